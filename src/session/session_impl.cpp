#include "session/session_impl.hpp"

#include <chrono>
#include <random>
#include <sys/stat.h>

#include <ccbt/config.hpp>

#include "net/endpoint.hpp"
#include "session/announcer.hpp"
#include "session/live_settings.hpp"
#include "session/mse_handshake.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

namespace asio = net::asio;
using namespace asio::experimental::awaitable_operators;
using net::error_code;

namespace {

storage::disk_settings disk_settings_from(const settings& s) {
  storage::disk_settings d;
  d.disk_threads = static_cast<unsigned>(std::max(0, s.disk_threads));
  d.recheck_threads = static_cast<unsigned>(std::max(0, s.hash_threads));
  d.max_open_files = static_cast<std::size_t>(std::max(1, s.file_pool_size));
  d.write_buffer_bytes = std::max<std::size_t>(s.write_buffer_bytes, std::size_t{1} << 20);
  // Flushing under pressure starts at 3/4: the complete pieces waiting to be hashed together
  // (at most 3/4 of this watermark, see storage/piece_lanes.cpp) never cause it.
  d.write_buffer_low_watermark = d.write_buffer_bytes / 4 * 3;
  d.hash_lanes = static_cast<unsigned>(std::max(0, s.hash_lanes));
  d.hash_lane_wait_ms = static_cast<unsigned>(std::max(1, s.hash_lane_wait_ms));
  d.prealloc = s.prealloc == preallocation::none   ? storage::preallocation::none
               : s.prealloc == preallocation::full ? storage::preallocation::full
                                                   : storage::preallocation::sparse;
  d.sync = s.fsync_on_verify ? storage::sync_mode::piece : storage::sync_mode::none;
  d.reads = s.read_mode == disk_read_mode::pread ? storage::read_mode::pread : storage::read_mode::mmap;
  return d;
}

tracker::client_options tracker_options_from(const settings& s) {
  tracker::client_options o;
  o.http.timeout = std::chrono::seconds(std::max(1, s.tracker_http_timeout_s));
  o.udp.base_timeout = std::chrono::seconds(std::max(1, s.tracker_udp_timeout_s));
  o.udp.max_retransmits = std::max(0, s.tracker_udp_retries);
  return o;
}

wire::peer_id make_peer_id(const std::string& prefix) {
  wire::peer_id id{};
  static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device rd;
  for (std::size_t i = 0; i < id.size(); ++i)
    id[i] = static_cast<std::uint8_t>(i < prefix.size() ? prefix[i] : alphabet[rd() % (sizeof alphabet - 1)]);
  return id;
}

std::optional<resume::file_stat> stat_file(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return resume::file_stat{static_cast<std::uint64_t>(st.st_size),
                           static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

session_impl::session_impl(const settings& s)
    : settings_(s),
      announce_(std::make_unique<announce_context>(tracker_options_from(s))),
      peer_id_(make_peer_id(s.peer_id_prefix)) {
  disk_ = std::make_unique<storage::disk_io>(disk_settings_from(settings_),
                                             [this](std::function<void()> f) { asio::post(ioc_, std::move(f)); });
  disk_->set_writable_handler([this] { writable_signal_.cancel(); });
  writable_signal_.expires_at(clock::time_point::max());
  bandwidth_ = std::make_unique<session_detail::bandwidth>(ioc_);
  apply_rate_settings(*bandwidth_, settings_);
}

session_impl::~session_impl() {
  shutdown();
  bandwidth_->stop();
}

void session_impl::start() {
  if (!settings_.resume_db.empty()) {
    auto store = resume::resume_store::open(settings_.resume_db);
    if (!store) {
      alert a;
      a.kind = alert_kind::resume_error;
      a.error = store.error().code;
      a.message = "resume store " + settings_.resume_db + ": " + store.error().message();
      post_alert(std::move(a));
    } else {
      resume_ = std::move(*store);
      if (auto snap = resume_->load()) {
        for (auto& t : snap->torrents) resume_loaded_.emplace(t.record.hash.id().to_hex(), std::move(t));
      }
    }
  }
  for (const auto& iface : settings_.listen_interfaces) {
    alert a;
    auto ep = net::parse_endpoint(iface);
    if (!ep) {
      a.kind = alert_kind::listen_failed;
      a.message = "listen interface '" + iface + "': expected IP:PORT";
      post_alert(std::move(a));
      continue;
    }
    auto acc = std::make_unique<net::tcp::acceptor>(ioc_);
    error_code ec;
    acc->open(ep->protocol(), ec);
    if (!ec) acc->set_option(net::tcp::acceptor::reuse_address(true), ec);
    if (!ec && ep->address().is_v6()) acc->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acc->bind(*ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      a.kind = alert_kind::listen_failed;
      a.error = ec;
      a.message = "listen on " + iface + ": " + ec.message();
      post_alert(std::move(a));
      continue;
    }
    const auto bound = acc->local_endpoint(ec);
    if (listen_port_ == 0) listen_port_ = bound.port();
    a.kind = alert_kind::listen_succeeded;
    a.peer = net::to_string(bound);
    a.message = "listening on " + net::to_string(bound);
    post_alert(std::move(a));
    asio::co_spawn(ioc_, accept_loop(*acc), asio::detached);
    acceptors_.push_back(std::move(acc));
  }
  asio::co_spawn(ioc_, tick_loop(), asio::detached);
  running_ = true;
  thread_ = std::thread([this] { ioc_.run(); });
}

void session_impl::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (running_) {
    std::promise<void> all_stopped;
    auto fut = all_stopped.get_future();
    asio::post(ioc_, [this, &all_stopped] {
      for (auto& a : acceptors_) {
        error_code ec;
        a->close(ec);
      }
      auto remaining = std::make_shared<std::size_t>(torrents_.size());
      auto done = std::make_shared<std::promise<void>*>(&all_stopped);
      if (*remaining == 0) {
        all_stopped.set_value();
        return;
      }
      for (auto& entry : torrents_) {
        auto t = entry.second;
        t->stop(false, [this, remaining, done, t] {
          record_file_stats(*t);
          if (--*remaining == 0) (*done)->set_value();
        });
      }
    });
    // Bounded: a stuck disk must not hang the process forever.
    fut.wait_for(std::chrono::seconds(30));
    // The torrents' "stopped" announces: best effort, for at most 2 s (also if the thread is stuck).
    const auto announce_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (;;) {
      auto pending = std::make_shared<std::promise<std::size_t>>();
      auto count = pending->get_future();
      asio::post(ioc_, [this, pending] { pending->set_value(announce_->stops_in_flight); });
      if (count.wait_until(announce_deadline) != std::future_status::ready || count.get() == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (std::chrono::steady_clock::now() >= announce_deadline) break;
    }
    ioc_.stop();
    thread_.join();
    running_ = false;
  }
  if (resume_) (void)resume_->close();
  torrents_.clear();
}

// ---- alerts ------------------------------------------------------------------------------------

void session_impl::post_alert(alert a) {
  a.when = std::chrono::system_clock::now();
  {
    std::lock_guard lk(alerts_mutex_);
    if (alerts_.size() >= max_alerts) alerts_.pop_front();
    alerts_.push_back(std::move(a));
  }
  alerts_cv_.notify_all();
}

std::vector<alert> session_impl::pop_alerts() {
  std::lock_guard lk(alerts_mutex_);
  std::vector<alert> out(std::make_move_iterator(alerts_.begin()), std::make_move_iterator(alerts_.end()));
  alerts_.clear();
  return out;
}

bool session_impl::wait_for_alert(std::chrono::milliseconds timeout) {
  std::unique_lock lk(alerts_mutex_);
  return alerts_cv_.wait_for(lk, timeout, [this] { return !alerts_.empty(); });
}

// ---- torrents ------------------------------------------------------------------------------------

result<torrent_handle> session_impl::add_torrent(add_torrent_params p) {
  if (!p.torrent && !p.magnet) return make_error(std::errc::invalid_argument, "add_torrent: no torrent or magnet link");
  if (!p.torrent) {
    for (const auto& tr : p.magnet->trackers) p.trackers.push_back({tr});
    for (const auto& pe : p.magnet->peers)
      p.peers.push_back(pe.host.find(':') != std::string::npos ? "[" + pe.host + "]:" + std::to_string(pe.port)
                                                               : pe.host + ":" + std::to_string(pe.port));
  }
  const auto id = p.torrent ? p.torrent->hashes().id() : p.magnet->hashes.id();
  return call([&]() -> result<torrent_handle> {
    if (torrents_.count(id) != 0) return make_error(std::errc::file_exists, "torrent already added: " + id.to_hex());
    restore_overrides(p);
    auto t = std::make_shared<torrent>(*this, std::move(p));
    torrents_.emplace(id, t);
    save_overrides(*t);
    alert a;
    a.kind = alert_kind::torrent_added;
    a.torrent = id;
    a.torrent_name = t->name();
    a.message = t->name() + ": added";
    post_alert(std::move(a));
    t->start();
    return make_handle(id);
  });
}

void session_impl::remove_torrent(const sha1_hash& id, bool delete_files) {
  // Shared: if the wait below times out, the completion may still run later.
  auto removed = std::make_shared<std::promise<void>>();
  auto fut = removed->get_future();
  const bool found = call([&] {
    auto it = torrents_.find(id);
    if (it == torrents_.end()) return false;
    auto t = it->second;
    torrents_.erase(it);
    if (resume_) {
      if (auto rid = resume_ids_.find(id); rid != resume_ids_.end()) {
        (void)resume_->remove_torrent(rid->second);
        resume_ids_.erase(rid);
      }
    }
    t->stop(delete_files, [this, t, removed] {
      alert a;
      a.kind = alert_kind::torrent_removed;
      a.torrent = t->id();
      a.torrent_name = t->name();
      a.message = t->name() + ": removed";
      post_alert(std::move(a));
      removed->set_value();
    });
    return true;
  });
  if (found && running_) fut.wait_for(std::chrono::seconds(30));
}

std::vector<sha1_hash> session_impl::torrent_ids() {
  return call([&] {
    std::vector<sha1_hash> ids;
    for (const auto& [id, t] : torrents_) ids.push_back(id);
    return ids;
  });
}

std::shared_ptr<torrent> session_impl::find(const sha1_hash& id) {
  auto it = torrents_.find(id);
  return it == torrents_.end() ? nullptr : it->second;
}

int session_impl::connection_count() const {
  int n = 0;
  for (const auto& [id, t] : torrents_) n += static_cast<int>(t->num_connections());
  return n;
}

session_stats session_impl::stats() {
  return call([&] {
    session_stats s;
    for (const auto& [id, t] : torrents_) {
      const auto st = t->status();
      s.download_rate += st.download_rate;
      s.upload_rate += st.upload_rate;
      s.total_downloaded += st.total_downloaded;
      s.total_uploaded += st.total_uploaded;
      s.num_peers += st.num_peers;
    }
    s.num_torrents = static_cast<int>(torrents_.size());
    const auto d = disk_->stats();
    s.disk_write_buffer_bytes = d.write_buffer_bytes;
    s.disk_queue = d.queued_jobs;
    return s;
  });
}

std::vector<std::string> session_impl::apply_settings(const settings& s) {
  return call([&] {
    // Live keys apply now; restart keys (listen sockets, peer id, disk pool, trackers' client,
    // resume store, daemon) keep their running values. Which is which: the configuration's key table.
    auto changed = config::diff(settings_, s).restart;
    settings_ = config::merge_live(settings_, s);
    apply_rate_settings(*bandwidth_, settings_);
    for (auto& [id, t] : std::map(torrents_)) t->on_settings_changed();
    trim_connections();
    return changed;
  });
}

// ---- network ------------------------------------------------------------------------------------

net::awaitable<void> session_impl::wait_disk_writable() {
  // Every blocked reader waits on the same timer, whose expiry stays at "never": the disk's writable
  // handler cancels it, which wakes them all. (Resetting the expiry here would cancel the others.)
  co_await writable_signal_.async_wait(net::use_nothrow);
}

bool session_impl::reserve_half_open() {
  if (half_open_ >= settings_.max_half_open) return false;
  ++half_open_;
  return true;
}

net::awaitable<void> session_impl::accept_loop(net::tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(net::use_nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue;
    }
    asio::co_spawn(ioc_, handle_incoming(std::move(socket)), asio::detached);
  }
}

net::awaitable<void> session_impl::handle_incoming(net::tcp::socket socket) {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) co_return;
  if (connection_count() + incoming_handshakes_ >= settings_.max_connections) co_return;
  struct in_handshake {
    int& n;
    explicit in_handshake(int& c) : n(c) { ++n; }
    in_handshake(const in_handshake&) = delete;
    in_handshake& operator=(const in_handshake&) = delete;
    ~in_handshake() { --n; }
  } counted(incoming_handshakes_);
  // Read up to the info-hash (48 bytes) to find the torrent, bounded in time. The first 20 bytes
  // tell a plaintext handshake ("\x13BitTorrent protocol") from an MSE key exchange.
  const auto deadline = clock::now() + std::chrono::milliseconds(settings_.handshake_timeout_ms);
  wire::handshake_parser parser;
  std::array<char, wire::handshake_info_hash_end> buf{};
  asio::steady_timer timer(ioc_);
  timer.expires_at(deadline);
  constexpr std::size_t prefix = 20;
  auto first = co_await (asio::async_read(socket, asio::buffer(buf.data(), prefix), net::use_nothrow) ||
                         timer.async_wait(net::use_nothrow));
  if (first.index() == 1 || std::get<0>(std::get<0>(first))) co_return;
  if (std::string_view(buf.data(), prefix) != std::string_view("\x13" "BitTorrent protocol", prefix)) {
    if (settings_.encryption != encryption_policy::disabled)
      co_await handle_incoming_mse(socket, remote, std::string_view(buf.data(), prefix), deadline);
    else
      refused_incoming(remote, "not a plain BitTorrent handshake (network.encryption = \"disabled\")");
    co_return;
  }
  if (settings_.encryption == encryption_policy::required) {
    refused_incoming(remote, "plaintext handshake refused (network.encryption = \"required\")");
    co_return;
  }
  (void)parser.feed(std::string_view(buf.data(), prefix));
  while (!parser.has_info_hash()) {
    auto res = co_await (asio::async_read(socket, asio::buffer(buf.data(), parser.bytes_needed()), net::use_nothrow) ||
                         timer.async_wait(net::use_nothrow));
    if (res.index() == 1) co_return;  // handshake timeout
    auto [rec, n] = std::get<0>(res);
    if (rec) co_return;
    auto used = parser.feed(std::string_view(buf.data(), n));
    if (!used) co_return;  // not BitTorrent
  }
  auto t = [&]() -> std::shared_ptr<torrent> {
    for (auto& [id, tor] : torrents_)
      if (tor->matches(parser.info_hash())) return tor;
    return nullptr;
  }();
  if (!t || !t->accepts_connection() || t->is_banned(remote)) co_return;
  t->attach_incoming(std::move(socket), std::move(parser), net::to_string(remote), deadline);
}

void session_impl::refused_incoming(const net::tcp::endpoint& remote, const std::string& why) {
  alert a;
  a.kind = alert_kind::peer_disconnected;
  a.peer = net::to_string(remote);
  a.message = "peer " + a.peer + ": " + why;
  post_alert(std::move(a));
}

net::awaitable<void> session_impl::handle_incoming_mse(net::tcp::socket& socket, const net::tcp::endpoint& remote,
                                                      std::string_view first, clock::time_point deadline) {
  // The torrent is the one whose info-hash (v1, or v2 truncated) gives HASH('req2', SKEY).
  const mse::lookup_fn find = [this](const sha1_hash& req2) -> std::optional<sha1_hash> {
    for (auto& [id, tor] : torrents_)
      if (auto skey = tor->mse_skey(req2)) return skey;
    return std::nullopt;
  };
  auto out = std::make_unique<mse_outcome>();  // on the heap: a small coroutine frame
  co_await run_mse_responder(socket, mse_policy_from(settings_), find, first, deadline, *out);
  if (!out->ok) {
    alert a;
    a.kind = alert_kind::peer_error;
    a.peer = net::to_string(remote);
    a.message = "peer " + a.peer + ": " + out->error;
    post_alert(std::move(a));
    co_return;
  }
  std::shared_ptr<torrent> t;
  for (auto& [id, tor] : torrents_)
    if (tor->matches(out->skey)) t = tor;
  if (!t || !t->accepts_connection() || t->is_banned(remote)) co_return;
  t->attach_incoming(std::move(socket), wire::handshake_parser{}, net::to_string(remote), deadline, out.get());
}

net::awaitable<void> session_impl::tick_loop() {
  asio::steady_timer timer(ioc_);
  auto next = clock::now();
  int seconds = 0;
  for (;;) {
    next += std::chrono::seconds(1);
    timer.expires_at(next);
    auto [ec] = co_await timer.async_wait(net::use_nothrow);
    if (ec || stopped_) co_return;
    const auto now = clock::now();
    if (disk_->writable()) writable_signal_.cancel();  // belt and braces for back-pressure wake-ups
    for (auto& [id, t] : std::map(torrents_)) t->tick(now);
    if (resume_ && ++seconds % 30 == 0)
      for (auto& [id, t] : torrents_) record_file_stats(*t);
  }
}

// ---- fast resume ---------------------------------------------------------------------------------

std::optional<resume::torrent_id> session_impl::resume_id(torrent& t) {
  if (!resume_) return std::nullopt;
  auto it = resume_ids_.find(t.id());
  if (it != resume_ids_.end()) return it->second;
  resume::torrent_record rec;
  rec.hash = t.info().hashes();
  rec.name = t.info().name();
  rec.save_path = t.save_path().string();
  rec.metainfo = std::string(t.info().info_bytes());
  rec.piece_count = t.info().num_pieces();
  rec.state = resume::torrent_state::downloading;
  rec.added_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto id = resume_->add_torrent(std::move(rec));
  if (!id) {
    alert a;
    a.kind = alert_kind::resume_error;
    a.torrent = t.id();
    a.message = t.info().name() + ": resume store: " + id.error().message();
    post_alert(std::move(a));
    return std::nullopt;
  }
  resume_ids_.emplace(t.id(), *id);
  save_overrides(t);
  return *id;
}

std::optional<std::vector<bool>> session_impl::load_resume(torrent& t) {
  if (!resume_) return std::nullopt;
  auto it = resume_loaded_.find(t.id().to_hex());
  if (it == resume_loaded_.end()) return std::nullopt;
  const auto& r = it->second;
  resume_ids_.emplace(t.id(), r.id);
  if (r.verified.size() != t.info().num_pieces()) return std::nullopt;
  // Trust the recorded pieces only if every file still has the size and mtime recorded with them;
  // otherwise the caller rechecks (fast, on every core) — verified data is never downloaded again.
  const auto& files = t.info().files();
  for (const auto& fr : r.files) {
    if (fr.index >= files.size() || files[fr.index].pad()) continue;
    const auto now = stat_file(t.save_path() / files[fr.index].path);
    if (now != fr.stat) return std::nullopt;
  }
  if (r.files.empty() && !r.verified.none()) return std::nullopt;
  std::vector<bool> out(r.verified.size());
  for (std::uint32_t i = 0; i < r.verified.size(); ++i) out[i] = r.verified.test(i);
  return out;
}

void session_impl::resume_set_pieces(torrent& t, const picker::piece_set& have) {
  auto id = resume_id(t);
  if (!id) return;
  resume::bitfield bf(have.size());
  for (std::uint32_t i = have.find_next(0); i != picker::piece_set::npos; i = have.find_next(i + 1)) bf.set(i);
  (void)resume_->replace_pieces(*id, std::move(bf));
  record_file_stats(t);
}

void session_impl::resume_piece_verified(torrent& t, std::uint32_t piece) {
  if (auto id = resume_id(t)) (void)resume_->report_verified(*id, piece);
}

void session_impl::resume_flush(torrent& t) {
  if (!resume_) return;
  record_file_stats(t);
}

void session_impl::record_file_stats(torrent& t) {
  auto id = resume_id(t);
  if (!id) return;
  std::vector<resume::disk_file> files;
  const auto& fs = t.info().files();
  for (std::uint32_t i = 0; i < fs.size(); ++i) {
    if (fs[i].pad()) continue;
    files.push_back({i, stat_file(t.save_path() / fs[i].path)});
  }
  (void)resume_->record_file_stats(*id, std::move(files));
}

}  // namespace ccbt::session_detail
