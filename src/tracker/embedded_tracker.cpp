#include "tracker/embedded_tracker.hpp"

#include <array>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include <boost/asio/ip/udp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "crypto/sha.hpp"
#include "tracker/http_parse.hpp"
#include "tracker/server_query.hpp"
#include "tracker/udp_packet.hpp"

namespace ccbt::tracker {

namespace beast = boost::beast;
namespace http = beast::http;
using net::use_nothrow;
using net::asio::ip::tcp;
using udp_socket = boost::asio::ip::udp::socket;
using udp_endpoint = boost::asio::ip::udp::endpoint;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::size_t max_requests_per_connection = 100;
constexpr std::size_t max_request_header = 8192;

peer_address to_peer_address(const net::asio::ip::address& a, std::uint16_t port) {
  peer_address p;
  p.port = port;
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::memcpy(p.ip.data(), b.data(), 4);
  } else {
    const auto b = a.to_v6().to_bytes();
    std::memcpy(p.ip.data(), b.data(), 16);
    p.v6 = true;
  }
  return p.unmapped();
}

std::uint32_t seconds32(std::chrono::seconds s) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s.count(), 0, 0x7fffffff));
}

}  // namespace

struct embedded_tracker::state : std::enable_shared_from_this<state> {
  state(net::asio::any_io_executor e, embedded_options o)
      : ex(e), opts(std::move(o)), registry(opts.swarm, std::random_device{}()), expiry(e) {
    std::random_device rd;
    for (auto& b : secret) b = static_cast<std::uint8_t>(rd());
  }

  net::asio::any_io_executor ex;
  embedded_options opts;
  server::swarm_registry registry;
  std::optional<tcp::acceptor> acceptor;
  std::optional<udp_socket> udp;
  net::asio::steady_timer expiry;
  std::array<std::uint8_t, 16> secret{};
  std::set<beast::tcp_stream*> connections;
  bool stopped = false;

  std::atomic<std::uint64_t> torrents{0}, peers{0}, seeds{0}, announces{0}, scrapes{0}, rejected{0};

  void publish_counts() {
    const auto s = registry.stats();
    torrents = s.torrents;
    peers = s.peers;
    seeds = s.seeds;
  }

  // ---- UDP connection ids ----
  std::uint64_t connection_id(const peer_address& from, std::int64_t minute) const {
    std::string data(reinterpret_cast<const char*>(secret.data()), secret.size());
    for (int shift = 56; shift >= 0; shift -= 8) data.push_back(static_cast<char>(minute >> shift));
    data.append(reinterpret_cast<const char*>(from.ip.data()), from.ip.size());
    data.push_back(from.v6 ? '6' : '4');
    const auto d = crypto::sha1_digest(data);
    std::uint64_t id = 0;
    for (int i = 0; i < 8; ++i) id = (id << 8) | d.bytes[static_cast<std::size_t>(i)];
    return id;
  }
  static std::int64_t minute_now() {
    return std::chrono::duration_cast<std::chrono::minutes>(steady::now().time_since_epoch()).count();
  }
  bool valid_connection_id(const peer_address& from, std::uint64_t id) const {
    const auto m = minute_now();
    return id == connection_id(from, m) || id == connection_id(from, m - 1);
  }

  // ---- request handling (pure apart from the clock) ----
  std::vector<std::uint8_t> handle_udp(udp::bytes_view packet, const peer_address& from) {
    auto req = udp::decode_request(packet);
    if (!req) {
      ++rejected;
      if (packet.size() < 16) return {};
      const std::uint32_t tid = (std::uint32_t{packet[12]} << 24) | (std::uint32_t{packet[13]} << 16) |
                                (std::uint32_t{packet[14]} << 8) | std::uint32_t{packet[15]};
      return udp::encode_error(tid, req.error().message());
    }
    if (const auto* c = std::get_if<udp::connect_request>(&*req))
      return udp::encode_connect_response(c->transaction_id, connection_id(from, minute_now()));
    if (auto* a = std::get_if<udp::announce_packet>(&*req)) {
      if (!valid_connection_id(from, a->connection_id)) {
        ++rejected;
        return udp::encode_error(a->transaction_id, "invalid connection id");
      }
      server::announce_in in{a->request, from, !from.v6, from.v6};
      in.from.port = a->request.port;
      auto out = registry.announce(in, steady::now());
      publish_counts();
      if (!out) {
        ++rejected;
        return udp::encode_error(a->transaction_id, out.error().message());
      }
      ++announces;
      std::vector<peer_address> addresses;
      addresses.reserve(out->peers.size());
      for (const auto& p : out->peers) addresses.push_back(p.address);
      const auto u32 = [](std::int64_t v) { return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, 0xffffffff)); };
      return udp::encode_announce_response(a->transaction_id, seconds32(opts.swarm.interval), u32(out->incomplete),
                                           u32(out->complete), addresses);
    }
    const auto& s = std::get<udp::scrape_packet>(*req);
    if (!valid_connection_id(from, s.connection_id)) {
      ++rejected;
      return udp::encode_error(s.transaction_id, "invalid connection id");
    }
    std::vector<scrape_entry> entries;
    for (const auto& h : s.hashes) {
      auto e = registry.scrape(h);
      if (!e) {
        ++rejected;
        return udp::encode_error(s.transaction_id, e.error().message());
      }
      entries.push_back(*e);
    }
    ++scrapes;
    return udp::encode_scrape_response(s.transaction_id, entries);
  }

  std::pair<http::status, std::string> handle_http(std::string_view target, const peer_address& from) {
    const auto parts = server::split_target(target);
    if (parts.path == "/announce") {
      auto q = server::parse_announce_query(parts.query);
      if (!q) {
        ++rejected;
        return {http::status::ok, server::encode_failure(q.error().message())};
      }
      server::announce_in in{q->request, from, true, true};
      in.from.port = q->request.port;
      auto out = registry.announce(in, steady::now());
      publish_counts();
      if (!out) {
        ++rejected;
        return {http::status::ok, server::encode_failure(out.error().message())};
      }
      ++announces;
      server::announce_reply r;
      r.interval = seconds32(opts.swarm.interval);
      r.min_interval = seconds32(opts.swarm.min_interval);
      r.complete = out->complete;
      r.incomplete = out->incomplete;
      r.downloaded = out->downloaded;
      r.peers = std::move(out->peers);
      return {http::status::ok, server::encode_announce_reply(r, q->compact, q->no_peer_id)};
    }
    if (parts.path == "/scrape") {
      auto hashes = server::parse_scrape_query(parts.query, opts.max_scrape_hashes);
      if (!hashes) {
        ++rejected;
        return {http::status::ok, server::encode_failure(hashes.error().message())};
      }
      std::vector<scrape_entry> entries;
      for (const auto& h : *hashes) {
        auto e = registry.scrape(h);
        if (!e) {
          ++rejected;
          return {http::status::ok, server::encode_failure(e.error().message())};
        }
        entries.push_back(*e);
      }
      ++scrapes;
      return {http::status::ok, server::encode_scrape_reply(entries)};
    }
    ++rejected;
    return {http::status::not_found, server::encode_failure("not found")};
  }

  // ---- loops ----
  net::awaitable<void> serve_connection(tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    connections.insert(&stream);
    boost::system::error_code ec;
    const auto remote = stream.socket().remote_endpoint(ec);
    beast::flat_buffer buffer;
    for (std::size_t i = 0; !ec && !stopped && i < max_requests_per_connection; ++i) {
      stream.expires_after(opts.http_timeout);
      http::request_parser<http::empty_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(max_request_header));
      parser.body_limit(0);
      auto [rec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
      if (rec) break;
      const auto& req = parser.get();
      http::response<http::string_body> res;
      if (req.method() != http::verb::get) {
        ++rejected;
        res.result(http::status::method_not_allowed);
        res.body() = server::encode_failure("method not allowed");
      } else {
        auto [status, body] = handle_http(req.target(), to_peer_address(remote.address(), remote.port()));
        res.result(status);
        res.body() = std::move(body);
      }
      res.version(req.version());
      res.keep_alive(req.keep_alive() && i + 1 < max_requests_per_connection);
      res.set(http::field::server, "ccbt");
      res.set(http::field::content_type, "text/plain");
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
      if (wec || !res.keep_alive()) break;
    }
    connections.erase(&stream);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }

  net::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopped && acceptor && acceptor->is_open()) {
      auto [ec, socket] = co_await acceptor->async_accept(use_nothrow);
      if (ec) {
        if (ec == net::asio::error::operation_aborted || stopped) break;
        continue;  // e.g. EMFILE: try again with the next connection
      }
      if (connections.size() >= opts.max_http_connections) {
        ++rejected;
        continue;  // the socket closes here
      }
      net::asio::co_spawn(ex, serve_connection(std::move(socket)), net::asio::detached);
    }
  }

  net::awaitable<void> udp_loop() {
    auto self = shared_from_this();
    std::vector<std::uint8_t> buf(udp::max_packet);
    udp_endpoint sender;
    while (!stopped && udp && udp->is_open()) {
      auto [ec, n] = co_await udp->async_receive_from(net::asio::buffer(buf), sender, use_nothrow);
      if (ec) {
        if (ec == net::asio::error::operation_aborted || stopped) break;
        continue;  // ICMP errors from earlier replies
      }
      auto reply = handle_udp(udp::bytes_view(buf.data(), n), to_peer_address(sender.address(), sender.port()));
      if (!reply.empty()) (void)co_await udp->async_send_to(net::asio::buffer(reply), sender, use_nothrow);
    }
  }

  net::awaitable<void> expiry_loop() {
    auto self = shared_from_this();
    const auto period = std::clamp<std::chrono::seconds>(registry.peer_timeout() / 2, std::chrono::seconds(1),
                                                         std::chrono::seconds(60));
    while (!stopped) {
      expiry.expires_after(period);
      auto [ec] = co_await expiry.async_wait(use_nothrow);
      if (ec || stopped) break;
      registry.expire(steady::now());
      publish_counts();
    }
  }
};

result<std::unique_ptr<embedded_tracker>> embedded_tracker::create(net::asio::any_io_executor ex,
                                                                   embedded_options opts) {
  boost::system::error_code ec;
  const auto address = net::asio::ip::make_address(opts.bind_address, ec);
  if (ec) return tl::unexpected<error>(error{std::error_code(ec), std::nullopt, "bind address " + opts.bind_address});
  auto s = std::make_shared<state>(ex, std::move(opts));
  const auto fail = [&](const char* what, std::uint16_t port) {
    return tl::unexpected<error>(error{std::error_code(ec), std::nullopt,
                                       std::string(what) + " " + s->opts.bind_address + ":" + std::to_string(port)});
  };
  if (s->opts.http_port) {
    const tcp::endpoint ep(address, *s->opts.http_port);
    auto& acc = s->acceptor.emplace(ex);
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(net::asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("HTTP tracker listen on", *s->opts.http_port);
  }
  if (s->opts.udp_port) {
    const udp_endpoint ep(address, *s->opts.udp_port);
    auto& sock = s->udp.emplace(ex);
    sock.open(ep.protocol(), ec);
    if (!ec) sock.bind(ep, ec);
    if (ec) return fail("UDP tracker bind to", *s->opts.udp_port);
  }
  return std::unique_ptr<embedded_tracker>(new embedded_tracker(std::move(s)));
}

embedded_tracker::~embedded_tracker() { stop(); }

std::uint16_t embedded_tracker::http_port() const noexcept {
  boost::system::error_code ec;
  return state_->acceptor ? state_->acceptor->local_endpoint(ec).port() : 0;
}

std::uint16_t embedded_tracker::udp_port() const noexcept {
  boost::system::error_code ec;
  return state_->udp ? state_->udp->local_endpoint(ec).port() : 0;
}

void embedded_tracker::run() {
  if (state_->acceptor) net::asio::co_spawn(state_->ex, state_->accept_loop(), net::asio::detached);
  if (state_->udp) net::asio::co_spawn(state_->ex, state_->udp_loop(), net::asio::detached);
  net::asio::co_spawn(state_->ex, state_->expiry_loop(), net::asio::detached);
}

void embedded_tracker::stop() {
  auto& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  boost::system::error_code ignored;
  if (s.acceptor) s.acceptor->close(ignored);
  if (s.udp) s.udp->close(ignored);
  s.expiry.cancel();
  for (auto* c : s.connections) c->socket().close(ignored);
}

embedded_stats embedded_tracker::stats() const noexcept {
  const auto& s = *state_;
  return {s.torrents.load(), s.peers.load(), s.seeds.load(), s.announces.load(), s.scrapes.load(), s.rejected.load()};
}

}  // namespace ccbt::tracker
