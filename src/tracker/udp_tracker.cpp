#include "tracker/udp_tracker.hpp"

#include <algorithm>
#include <random>
#include <variant>

#include "tracker/udp_packet.hpp"

namespace ccbt::tracker {
namespace {

using namespace net::asio::experimental::awaitable_operators;
using net::use_nothrow;
using udp_socket = boost::asio::ip::udp::socket;
using udp_endpoint = boost::asio::ip::udp::endpoint;
using steady = std::chrono::steady_clock;

std::uint32_t random_tid() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<std::uint32_t>(rng());
}

tl::unexpected<error> io_error(const boost::system::error_code& ec, std::string context) {
  if (ec == net::asio::error::operation_aborted) return make_error(errc::aborted, std::move(context));
  return tl::unexpected<error>(error{std::error_code(ec), std::nullopt, std::move(context)});
}

struct timed_out {};
using receive_result = std::variant<timed_out, std::size_t, boost::system::error_code>;

// Sends `packet`, then waits up to `wait` for a datagram whose transaction id is not one of `stale`
// (late answers to earlier requests of this exchange are skipped).
net::awaitable<receive_result> send_and_receive(udp_socket& sock, const std::vector<std::uint8_t>& packet,
                                                std::chrono::milliseconds wait, std::vector<std::uint8_t>& buf,
                                                const std::vector<std::uint32_t>& stale) {
  if (auto [ec, n] = co_await sock.async_send(net::asio::buffer(packet), use_nothrow); ec) co_return ec;
  const auto deadline = steady::now() + wait;
  net::asio::steady_timer timer(sock.get_executor());
  for (;;) {
    timer.expires_at(deadline);
    auto r = co_await (sock.async_receive(net::asio::buffer(buf), use_nothrow) || timer.async_wait(use_nothrow));
    if (r.index() == 1) co_return timed_out{};
    auto [ec, n] = std::get<0>(r);
    if (ec) co_return ec;
    const auto h = udp::peek_header(udp::bytes_view(buf.data(), n));
    if (h && std::find(stale.begin(), stale.end(), h->transaction_id) != stale.end()) continue;
    co_return n;
  }
}

net::awaitable<result<udp_endpoint>> resolve(const tracker_url& u) {
  boost::system::error_code ec;
  const auto literal = net::asio::ip::make_address(u.host, ec);
  if (!ec) co_return udp_endpoint(literal, u.port);
  boost::asio::ip::udp::resolver resolver(co_await net::asio::this_coro::executor);
  auto [rec, results] = co_await resolver.async_resolve(u.host, std::to_string(u.port), use_nothrow);
  if (rec) co_return io_error(rec, "resolve " + u.host);
  if (results.empty()) co_return make_error(errc::no_address, u.host);
  co_return results.begin()->endpoint();
}

// One BEP 15 exchange: connect if needed, then the request, with retransmissions.
// encode(connection_id, transaction_id) -> packet; decode(bytes, transaction_id, ipv6) -> result<T>.
template <class T, class Encode, class Decode>
net::awaitable<result<T>> transact(const tracker_url& u, udp_connection_cache& cache, const udp_options& opts,
                                   Encode encode, Decode decode) {
  auto ep = co_await resolve(u);
  if (!ep) co_return tl::unexpected(ep.error());
  const std::string where = u.authority();
  udp_socket sock(co_await net::asio::this_coro::executor);
  boost::system::error_code ec;
  sock.open(ep->protocol(), ec);
  if (!ec) sock.connect(*ep, ec);
  if (ec) co_return io_error(ec, "socket " + where);
  const bool ipv6 = ep->address().is_v6() && !ep->address().to_v6().is_v4_mapped();

  std::vector<std::uint8_t> buf(udp::max_packet);
  std::vector<std::uint32_t> stale;
  bool retried_stale_id = false;
  int n = 0;
  const auto wait = [&] { return opts.base_timeout * (std::int64_t{1} << std::min(n, 30)); };
  for (;;) {
    auto conn = cache.get(*ep, steady::now(), opts.connection_id_lifetime);
    const bool cached = conn.has_value();
    if (!conn) {
      const auto tid = random_tid();
      auto r = co_await send_and_receive(sock, udp::encode_connect(tid), wait(), buf, stale);
      stale.push_back(tid);
      if (std::holds_alternative<timed_out>(r)) {
        if (++n > opts.max_retransmits) co_return make_error(errc::timeout, "connect " + where);
        continue;
      }
      if (auto* e = std::get_if<boost::system::error_code>(&r)) co_return io_error(*e, "connect " + where);
      auto id = udp::decode_connect(udp::bytes_view(buf.data(), std::get<std::size_t>(r)), tid);
      if (!id) co_return tl::unexpected(id.error());
      cache.put(*ep, *id, steady::now());
      conn = *id;
    }
    const auto tid = random_tid();
    auto r = co_await send_and_receive(sock, encode(*conn, tid), wait(), buf, stale);
    stale.push_back(tid);
    if (std::holds_alternative<timed_out>(r)) {
      if (++n > opts.max_retransmits) co_return make_error(errc::timeout, where);
      continue;
    }
    if (auto* e = std::get_if<boost::system::error_code>(&r)) co_return io_error(*e, where);
    result<T> out = decode(udp::bytes_view(buf.data(), std::get<std::size_t>(r)), tid, ipv6);
    if (!out && out.error().code == errc::tracker_failure && cached && !retried_stale_id) {
      // The tracker may have forgotten a connection id we still hold: get a new one, once.
      cache.erase(*ep);
      retried_stale_id = true;
      continue;
    }
    co_return out;
  }
}

}  // namespace

std::optional<std::uint64_t> udp_connection_cache::get(const endpoint& ep, steady::time_point now,
                                                       std::chrono::seconds lifetime) const {
  const auto it = entries_.find(ep);
  if (it == entries_.end() || now - it->second.obtained >= lifetime) return std::nullopt;
  return it->second.id;
}

void udp_connection_cache::put(const endpoint& ep, std::uint64_t id, steady::time_point now) {
  if (entries_.size() >= max_entries && !entries_.contains(ep)) {
    const auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.obtained < b.second.obtained;
    });
    entries_.erase(oldest);
  }
  entries_[ep] = entry{id, now};
}

void udp_connection_cache::erase(const endpoint& ep) { entries_.erase(ep); }

net::awaitable<result<announce_response>> udp_announce(tracker_url url, announce_request req,
                                                       udp_connection_cache& cache, udp_options opts,
                                                       parse_limits limits) {
  const std::string url_data = url.target == "/" ? std::string() : url.target;
  co_return co_await transact<announce_response>(
      url, cache, opts,
      [&](std::uint64_t conn, std::uint32_t tid) { return udp::encode_announce(conn, tid, req, url_data); },
      [&](udp::bytes_view p, std::uint32_t tid, bool ipv6) { return udp::decode_announce(p, tid, ipv6, limits); });
}

net::awaitable<result<scrape_response>> udp_scrape(tracker_url url, std::vector<sha1_hash> hashes,
                                                   udp_connection_cache& cache, udp_options opts) {
  if (hashes.size() > udp::max_scrape_hashes) hashes.resize(udp::max_scrape_hashes);
  co_return co_await transact<scrape_response>(
      url, cache, opts, [&](std::uint64_t conn, std::uint32_t tid) { return udp::encode_scrape(conn, tid, hashes); },
      [&](udp::bytes_view p, std::uint32_t tid, bool) { return udp::decode_scrape(p, tid, hashes); });
}

}  // namespace ccbt::tracker
