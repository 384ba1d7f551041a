// ccbt::tracker_server: the public, asio-free face of tracker::embedded_tracker.
#include <ccbt/tracker_server.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>

#include "tracker/embedded_tracker.hpp"
#include "tracker/errors.hpp"

namespace ccbt {

namespace asio = net::asio;

struct tracker_server::impl {
  tracker_server_options opts;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<tracker::embedded_tracker> tracker;
  std::optional<asio::signal_set> signals;
  std::thread thread;
  std::uint16_t http_port = 0;
  std::uint16_t udp_port = 0;

  std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  bool armed = false;
  int signal_number = 0;

  std::string url(const char* scheme, std::uint16_t port) const {
    if (port == 0) return {};
    std::string host = opts.bind_address;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return std::string(scheme) + "://" + host + ":" + std::to_string(port) + "/announce";
  }
};

tracker_server::tracker_server(tracker_server_options opts) : impl_(std::make_unique<impl>()) {
  impl_->opts = std::move(opts);
}

tracker_server::~tracker_server() { stop(); }

result<void> tracker_server::start() {
  auto& d = *impl_;
  if (d.thread.joinable()) return {};
  {
    std::lock_guard lock(d.mutex);
    d.stopping = false;
    d.armed = false;
    d.signal_number = 0;
  }
  const auto port_option = [](int p) -> result<std::optional<std::uint16_t>> {
    if (p < -1 || p > 65535) return make_error(tracker::errc::invalid_request, "port " + std::to_string(p));
    if (p == -1) return std::optional<std::uint16_t>{};
    return std::optional<std::uint16_t>{static_cast<std::uint16_t>(p)};
  };
  auto http = port_option(d.opts.http_port);
  if (!http) return tl::unexpected(http.error());
  auto udp = port_option(d.opts.udp_port);
  if (!udp) return tl::unexpected(udp.error());
  if (d.opts.announce_interval.count() <= 0) return make_error(tracker::errc::invalid_request, "announce interval");

  tracker::embedded_options eo;
  eo.bind_address = d.opts.bind_address;
  eo.http_port = *http;
  eo.udp_port = *udp;
  eo.swarm.interval = d.opts.announce_interval;
  eo.swarm.max_peers_per_torrent = std::max<std::size_t>(d.opts.max_peers_per_torrent, 1);
  eo.swarm.max_torrents = std::max<std::size_t>(d.opts.max_torrents, 1);
  if (!d.opts.whitelist.empty())
    eo.swarm.whitelist = std::set<sha1_hash>(d.opts.whitelist.begin(), d.opts.whitelist.end());
  auto t = tracker::embedded_tracker::create(d.io.get_executor(), std::move(eo));
  if (!t) return tl::unexpected(t.error());
  d.tracker = std::move(*t);
  d.http_port = d.tracker->http_port();
  d.udp_port = d.tracker->udp_port();
  d.tracker->run();
  d.io.restart();  // a server may be started again after stop()
  d.work.emplace(d.io.get_executor());
  d.thread = std::thread([&d] { d.io.run(); });
  return {};
}

void tracker_server::stop() {
  auto& d = *impl_;
  {
    std::lock_guard lock(d.mutex);
    d.stopping = true;
  }
  d.cv.notify_all();
  if (!d.thread.joinable()) return;
  asio::post(d.io, [&d] {
    if (d.tracker) d.tracker->stop();
    d.signals.reset();  // cancels a pending wait
    d.work.reset();
  });
  d.thread.join();
  d.tracker.reset();
}

int tracker_server::wait_for_signal(const std::function<void()>& on_armed) {
  auto& d = *impl_;
  if (!d.thread.joinable()) return 0;
  asio::post(d.io, [&d] {
    d.signals.emplace(d.io, SIGINT, SIGTERM);
    d.signals->async_wait([&d](const boost::system::error_code& ec, int number) {
      if (ec) return;
      {
        std::lock_guard lock(d.mutex);
        d.signal_number = number;
      }
      d.cv.notify_all();
    });
    {
      std::lock_guard lock(d.mutex);
      d.armed = true;
    }
    d.cv.notify_all();
  });
  {
    std::unique_lock lock(d.mutex);
    d.cv.wait(lock, [&d] { return d.stopping || d.armed; });
  }
  if (on_armed) on_armed();
  std::unique_lock lock(d.mutex);
  d.cv.wait(lock, [&d] { return d.stopping || d.signal_number != 0; });
  return d.signal_number;
}

std::uint16_t tracker_server::http_port() const noexcept { return impl_->http_port; }
std::uint16_t tracker_server::udp_port() const noexcept { return impl_->udp_port; }
std::string tracker_server::http_announce_url() const { return impl_->url("http", impl_->http_port); }
std::string tracker_server::udp_announce_url() const { return impl_->url("udp", impl_->udp_port); }

tracker_server_stats tracker_server::stats() const {
  if (!impl_->tracker) return {};
  const auto s = impl_->tracker->stats();
  return {s.torrents, s.peers, s.seeds, s.announces, s.scrapes, s.rejected};
}

}  // namespace ccbt
