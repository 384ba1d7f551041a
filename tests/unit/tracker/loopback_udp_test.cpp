// UDP tracker client (BEP 15) against the embedded tracker and a scripted fake tracker, on
// loopback with real sockets and short retransmission timeouts.
#include "test_io.hpp"

#include <functional>

#include <boost/asio/ip/udp.hpp>

#include "tracker/client.hpp"
#include "tracker/embedded_tracker.hpp"
#include "tracker/udp_packet.hpp"

namespace ccbt::tracker {
namespace {

using namespace std::chrono_literals;
using test::request;
using test::run;
namespace asio = net::asio;
using net::use_nothrow;
using uproto = asio::ip::udp;

std::string udp_url(const std::string& host, std::uint16_t port) {
  return "udp://" + host + ":" + std::to_string(port) + "/announce";
}

client_options fast() {
  client_options o;
  o.udp.base_timeout = 50ms;
  o.udp.max_retransmits = 2;
  return o;
}

template <class T>
result<T> must(std::optional<result<T>> r) {
  EXPECT_TRUE(r) << "no result in time";
  return r ? std::move(*r) : result<T>(make_error(errc::aborted));
}

TEST(EmbeddedUdp, TwoPeersFindEachOtherAndScrape) {
  asio::io_context io;
  embedded_options o;
  o.http_port.reset();
  o.swarm.interval = 90s;
  auto t = embedded_tracker::create(io.get_executor(), o);
  ASSERT_TRUE(t) << t.error().message();
  (*t)->run();
  EXPECT_EQ((*t)->http_port(), 0);
  client c(fast());
  const auto url = udp_url("127.0.0.1", (*t)->udp_port());
  auto a = must(run(io, c.announce(url, request('x', 1, 1111, 100))));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->interval, 90s);
  EXPECT_TRUE(a->peers.empty());
  auto b = must(run(io, c.announce(url, request('x', 2, 2222, 0))));
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_EQ(b->peers.size(), 1u);
  EXPECT_EQ(b->peers[0].address.to_string(), "127.0.0.1:1111");
  EXPECT_EQ(b->complete, 1);
  EXPECT_EQ(b->incomplete, 1);
  auto s = must(run(io, c.scrape(url, {*sha1_hash::from_bytes(std::string(20, 'x'))})));
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->files.size(), 1u);
  EXPECT_EQ(s->files[0].complete, 1);
  EXPECT_EQ(s->files[0].incomplete, 1);
  auto stop = must(run(io, c.announce(url, request('x', 2, 2222, 0, event::stopped))));
  ASSERT_TRUE(stop);
  EXPECT_EQ((*t)->stats().peers, 1u);
  EXPECT_EQ((*t)->stats().announces, 3u);
}

TEST(EmbeddedUdp, Ipv6PeersAre18Bytes) {
  asio::io_context io;
  embedded_options o;
  o.http_port.reset();
  o.bind_address = "::1";
  auto t = embedded_tracker::create(io.get_executor(), o);
  if (!t) GTEST_SKIP() << "no IPv6 loopback: " << t.error().message();
  (*t)->run();
  client c(fast());
  const auto url = udp_url("[::1]", (*t)->udp_port());
  ASSERT_TRUE(must(run(io, c.announce(url, request('x', 1, 1111, 5)))));
  auto b = must(run(io, c.announce(url, request('x', 2, 2222, 5))));
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_EQ(b->peers.size(), 1u);
  EXPECT_EQ(b->peers[0].address.to_string(), "[::1]:1111");
}

TEST(EmbeddedUdp, RejectsForgedConnectionIdsAndUnknownTorrents) {
  asio::io_context io;
  embedded_options o;
  o.http_port.reset();
  o.swarm.whitelist = std::set<sha1_hash>{*sha1_hash::from_bytes(std::string(20, 'a'))};
  auto t = embedded_tracker::create(io.get_executor(), o);
  ASSERT_TRUE(t);
  (*t)->run();
  client c(fast());
  const auto url = udp_url("127.0.0.1", (*t)->udp_port());
  auto refused = must(run(io, c.announce(url, request('b', 1, 1, 1))));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(errc::tracker_failure));
  EXPECT_NE(refused.error().context.find("not registered"), std::string::npos);
  // A raw announce with a made-up connection id gets an error packet.
  uproto::socket s(io, uproto::endpoint(uproto::v4(), 0));
  s.connect(uproto::endpoint(asio::ip::make_address("127.0.0.1"), (*t)->udp_port()));
  const auto pkt = udp::encode_announce(0x1234, 99, request('a', 1, 1, 1));
  s.send(asio::buffer(pkt));
  std::vector<std::uint8_t> buf(2048);
  auto n = must(run(io, [&]() -> net::awaitable<result<std::size_t>> {
    asio::steady_timer timer(io, 2s);
    using namespace asio::experimental::awaitable_operators;
    auto r = co_await (s.async_receive(asio::buffer(buf), use_nothrow) || timer.async_wait(use_nothrow));
    if (r.index() == 1) co_return make_error(errc::timeout);
    co_return std::get<1>(std::get<0>(r));
  }()));
  ASSERT_TRUE(n);
  auto decoded = udp::decode_announce(udp::bytes_view(buf.data(), *n), 99, false);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, make_error_code(errc::tracker_failure));
  EXPECT_EQ(decoded.error().context, "invalid connection id");
}

// ---- a scripted UDP tracker -----------------------------------------------------------------

class FakeUdp : public ::testing::Test {
 protected:
  // behaviour(packet) -> reply bytes (empty: stay silent)
  using script = std::function<std::vector<std::uint8_t>(const udp::request&, udp::bytes_view raw)>;

  void SetUp() override {
    sock.open(uproto::v4());
    sock.bind(uproto::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    url = udp_url("127.0.0.1", sock.local_endpoint().port());
    asio::co_spawn(io, serve(), asio::detached);
  }
  net::awaitable<void> serve() {
    std::vector<std::uint8_t> buf(2048);
    uproto::endpoint from;
    for (;;) {
      auto [ec, n] = co_await sock.async_receive_from(asio::buffer(buf), from, use_nothrow);
      if (ec) co_return;
      const udp::bytes_view raw(buf.data(), n);
      auto req = udp::decode_request(raw);
      if (!req) continue;
      if (std::holds_alternative<udp::connect_request>(*req)) ++connects;
      if (std::holds_alternative<udp::announce_packet>(*req)) ++announces;
      auto reply = behaviour(*req, raw);
      if (!reply.empty()) co_await sock.async_send_to(asio::buffer(reply), from, use_nothrow);
    }
  }
  // A well-behaved tracker, with one peer.
  static std::vector<std::uint8_t> good(const udp::request& r, std::uint64_t id = 77) {
    if (const auto* c = std::get_if<udp::connect_request>(&r)) return udp::encode_connect_response(c->transaction_id, id);
    if (const auto* a = std::get_if<udp::announce_packet>(&r)) {
      if (a->connection_id != id) return udp::encode_error(a->transaction_id, "bad connection id");
      const peer_address p[] = {*peer_address::from_string("10.1.1.1:5")};
      return udp::encode_announce_response(a->transaction_id, 120, 1, 2, p);
    }
    const auto& s = std::get<udp::scrape_packet>(r);
    std::vector<scrape_entry> e;
    for (const auto& h : s.hashes) e.push_back({h, 1, 2, 3});
    return udp::encode_scrape_response(s.transaction_id, e);
  }
  result<announce_response> announce(client& c) { return must(run(io, c.announce(url, request('x', 1, 1, 1)), 20s)); }

  asio::io_context io;
  uproto::socket sock{io};
  std::string url;
  script behaviour = [](const udp::request& r, udp::bytes_view) { return good(r); };
  int connects = 0;
  int announces = 0;
};

TEST_F(FakeUdp, ConnectionIdIsCachedForItsLifetime) {
  client c(fast());
  ASSERT_TRUE(announce(c));
  ASSERT_TRUE(announce(c));
  auto s = must(run(io, c.scrape(url, {*sha1_hash::from_bytes(std::string(20, 'q'))})));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->files[0].downloaded, 2);
  EXPECT_EQ(connects, 1);
  EXPECT_EQ(announces, 2);
  auto o = fast();
  o.udp.connection_id_lifetime = 0s;
  client fresh(o);
  ASSERT_TRUE(announce(fresh));
  ASSERT_TRUE(announce(fresh));
  EXPECT_EQ(connects, 3);
}

TEST_F(FakeUdp, RetransmitsWithExponentialTimeouts) {
  int dropped = 0;
  behaviour = [&](const udp::request& r, udp::bytes_view) -> std::vector<std::uint8_t> {
    if (dropped < 2) {
      ++dropped;
      return {};
    }
    return good(r);
  };
  client c(fast());
  const auto start = std::chrono::steady_clock::now();
  auto r = announce(c);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);  // 50 + 100 ms before the third try
  EXPECT_EQ(connects, 3);
  ASSERT_EQ(r->peers.size(), 1u);
  EXPECT_EQ(r->peers[0].address.to_string(), "10.1.1.1:5");
}

TEST_F(FakeUdp, SilentTrackerTimesOut) {
  behaviour = [](const udp::request&, udp::bytes_view) { return std::vector<std::uint8_t>{}; };
  client c(fast());
  const auto start = std::chrono::steady_clock::now();
  auto r = announce(c);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::timeout));
  EXPECT_EQ(connects, 3);  // n = 0, 1, 2
  EXPECT_GE(took, 350ms);  // 50 + 100 + 200
  EXPECT_LT(took, 3s);
}

TEST_F(FakeUdp, WrongTransactionId) {
  behaviour = [](const udp::request& r, udp::bytes_view) {
    if (const auto* c = std::get_if<udp::connect_request>(&r)) return udp::encode_connect_response(c->transaction_id + 1, 5);
    return good(r);
  };
  client c(fast());
  auto r = announce(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::wrong_transaction_id));
}

TEST_F(FakeUdp, TruncatedAndMisshapenReplies) {
  behaviour = [](const udp::request& r, udp::bytes_view) {
    auto out = good(r);
    if (std::holds_alternative<udp::announce_packet>(r)) out.resize(15);
    return out;
  };
  client c(fast());
  auto r = announce(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::packet_too_short));

  behaviour = [](const udp::request& req, udp::bytes_view) {
    auto out = good(req);
    if (std::holds_alternative<udp::announce_packet>(req)) out.push_back(1);  // 7-byte peer area
    return out;
  };
  auto r2 = announce(c);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, make_error_code(errc::invalid_packet_size));

  behaviour = [](const udp::request& req, udp::bytes_view) {
    if (const auto* a = std::get_if<udp::announce_packet>(&req)) return udp::encode_connect_response(a->transaction_id, 1);
    return good(req);
  };
  auto r3 = announce(c);
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().code, make_error_code(errc::wrong_action));
}

TEST_F(FakeUdp, HugePeerListIsAnError) {
  behaviour = [](const udp::request& r, udp::bytes_view) {
    if (const auto* a = std::get_if<udp::announce_packet>(&r)) {
      std::vector<peer_address> many(2001, *peer_address::from_string("10.0.0.1:1"));
      return udp::encode_announce_response(a->transaction_id, 60, 0, 0, many);
    }
    return good(r);
  };
  client c(fast());
  auto r = announce(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::too_many_peers));
}

TEST_F(FakeUdp, ErrorPacketAndStaleConnectionId) {
  std::uint64_t id = 77;
  behaviour = [&](const udp::request& r, udp::bytes_view) { return good(r, id); };
  client c(fast());
  ASSERT_TRUE(announce(c));
  // The tracker restarts and forgets id 77: the client's cached id is refused once, then renewed.
  id = 88;
  auto r = announce(c);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(connects, 2);
  // A tracker that refuses everything: the error text comes through.
  behaviour = [](const udp::request& req, udp::bytes_view) {
    if (const auto* a = std::get_if<udp::announce_packet>(&req)) return udp::encode_error(a->transaction_id, "go away");
    return good(req);
  };
  auto refused = announce(c);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(errc::tracker_failure));
  EXPECT_EQ(refused.error().context, "go away");
}

TEST_F(FakeUdp, Bep41UrlDataIsSent) {
  std::string seen;
  behaviour = [&](const udp::request& r, udp::bytes_view raw) {
    if (std::holds_alternative<udp::announce_packet>(r) && raw.size() > udp::announce_request_size + 2)
      seen.assign(raw.begin() + udp::announce_request_size + 2, raw.end());
    return good(r);
  };
  client c(fast());
  auto r = must(run(io, c.announce(url + "?passkey=abc", request('x', 1, 1, 1))));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(seen, "/announce?passkey=abc");
}

TEST(UdpClient, RefusedPortFailsFast) {
  asio::io_context io;
  uproto::socket probe(io, uproto::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = probe.local_endpoint().port();
  probe.close();
  client_options o;
  o.udp.base_timeout = 2s;  // ICMP "port unreachable" must end it long before the timeout
  client c(o);
  const auto start = std::chrono::steady_clock::now();
  auto r = must(run(io, c.announce(udp_url("127.0.0.1", port), request('x', 1, 1, 1))));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::error_code(boost::system::error_code(asio::error::connection_refused)))
      << r.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

}  // namespace
}  // namespace ccbt::tracker
