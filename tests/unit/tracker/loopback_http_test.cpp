// HTTP(S) tracker client against the embedded tracker and against a scripted fake server, on
// loopback with real sockets. Every exchange is bounded in time.
#include "test_io.hpp"

#include <map>

#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ccbt/bencode.hpp>

#include "tracker/client.hpp"
#include "tracker/embedded_tracker.hpp"
#include "tracker/http_parse.hpp"

namespace ccbt::tracker {
namespace {

using namespace std::chrono_literals;
using test::request;
using test::run;
namespace asio = net::asio;
using net::tcp;
using net::use_nothrow;

std::string http_url(std::uint16_t port, const std::string& path = "/announce") {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

class EmbeddedHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    embedded_options o;
    o.swarm.interval = 60s;
    o.swarm.min_interval = 30s;
    o.udp_port.reset();
    auto t = embedded_tracker::create(io.get_executor(), o);
    ASSERT_TRUE(t) << t.error().message();
    tracker = std::move(*t);
    tracker->run();
    url = http_url(tracker->http_port());
  }
  asio::io_context io;
  std::unique_ptr<embedded_tracker> tracker;
  client c;
  std::string url;
};

TEST_F(EmbeddedHttp, TwoPeersFindEachOther) {
  EXPECT_EQ(tracker->udp_port(), 0);
  auto a = run(io, c.announce(url, request('x', 1, 1111, 100)));
  ASSERT_TRUE(a);
  ASSERT_TRUE(*a) << a->error().message();
  EXPECT_EQ((*a)->interval, 60s);
  EXPECT_EQ((*a)->min_interval, 30s);
  EXPECT_TRUE((*a)->peers.empty());
  EXPECT_EQ((*a)->incomplete, 1);

  auto b = run(io, c.announce(url, request('x', 2, 2222, 0)));
  ASSERT_TRUE(b && *b);
  ASSERT_EQ((*b)->peers.size(), 1u);
  EXPECT_EQ((*b)->peers[0].address.to_string(), "127.0.0.1:1111");
  EXPECT_EQ((*b)->complete, 1);
  EXPECT_EQ((*b)->incomplete, 1);

  auto s = run(io, c.scrape(url, {*sha1_hash::from_bytes(std::string(20, 'x')),
                                  *sha1_hash::from_bytes(std::string(20, 'y'))}));
  ASSERT_TRUE(s && *s) << (*s).error().message();
  ASSERT_EQ((*s)->files.size(), 2u);
  EXPECT_EQ((*s)->files[0].complete + (*s)->files[1].complete, 1);
  EXPECT_EQ((*s)->files[0].incomplete + (*s)->files[1].incomplete, 1);

  // The leecher stops: the seed's next announce finds nobody.
  auto stop = run(io, c.announce(url, request('x', 1, 1111, 100, event::stopped)));
  ASSERT_TRUE(stop && *stop);
  auto again = run(io, c.announce(url, request('x', 2, 2222, 0, event::none)));
  ASSERT_TRUE(again && *again);
  EXPECT_TRUE((*again)->peers.empty());
  const auto st = tracker->stats();
  EXPECT_EQ(st.announces, 4u);
  EXPECT_EQ(st.scrapes, 1u);
  EXPECT_EQ(st.peers, 1u);
}

TEST_F(EmbeddedHttp, NonCompactRepliesCarryPeerIds) {
  ASSERT_TRUE(run(io, c.announce(url, request('x', 1, 1111, 100))));
  auto req = request('x', 2, 2222, 100);
  const auto target = announce_url(url, req) + "&compact=0";
  auto reply = run(io, http_get(target, c.tls_context(), {}));
  ASSERT_TRUE(reply && *reply);
  EXPECT_EQ((*reply)->status, 200u);
  auto parsed = parse_announce_response((*reply)->body);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->peers.size(), 1u);
  ASSERT_TRUE(parsed->peers[0].id);
  EXPECT_EQ(*parsed->peers[0].id, request('x', 1, 0, 0).pid);
}

TEST_F(EmbeddedHttp, BadRequestsGetFailureReasons) {
  auto bad = run(io, http_get(url + "?info_hash=short", c.tls_context(), {}));
  ASSERT_TRUE(bad && *bad);
  auto parsed = parse_announce_response((*bad)->body);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, make_error_code(errc::tracker_failure));
  EXPECT_NE(parsed.error().context.find("info_hash"), std::string::npos) << parsed.error().context;
  auto missing = run(io, c.announce(http_url(tracker->http_port(), "/nothing/announce"), request('x', 1, 1, 1)));
  ASSERT_TRUE(missing);
  ASSERT_FALSE(*missing);
  EXPECT_EQ(missing->error().code, make_error_code(errc::tracker_failure));  // 404 with a bencoded reason
  auto no_scrape = run(io, c.scrape(http_url(tracker->http_port(), "/a"), {}));
  ASSERT_TRUE(no_scrape);
  EXPECT_EQ(no_scrape->error().code, make_error_code(errc::no_scrape_url));
  EXPECT_GE(tracker->stats().rejected, 2u);
}

TEST(EmbeddedHttpWhitelist, RefusesUnknownTorrents) {
  asio::io_context io;
  embedded_options o;
  o.udp_port.reset();
  o.swarm.whitelist = std::set<sha1_hash>{*sha1_hash::from_bytes(std::string(20, 'a'))};
  auto t = embedded_tracker::create(io.get_executor(), o);
  ASSERT_TRUE(t);
  (*t)->run();
  client c;
  const auto url = http_url((*t)->http_port());
  auto ok = run(io, c.announce(url, request('a', 1, 1, 1)));
  ASSERT_TRUE(ok && *ok);
  auto refused = run(io, c.announce(url, request('b', 1, 1, 1)));
  ASSERT_TRUE(refused);
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, make_error_code(errc::tracker_failure));
  EXPECT_NE(refused->error().context.find("not registered"), std::string::npos);
}

TEST(EmbeddedHttpV6, PeersSixOverIpv6) {
  asio::io_context io;
  embedded_options o;
  o.bind_address = "::1";
  o.udp_port.reset();
  auto t = embedded_tracker::create(io.get_executor(), o);
  if (!t) GTEST_SKIP() << "no IPv6 loopback: " << t.error().message();
  (*t)->run();
  client c;
  const auto url = "http://[::1]:" + std::to_string((*t)->http_port()) + "/announce";
  ASSERT_TRUE(run(io, c.announce(url, request('x', 1, 1111, 5))));
  auto b = run(io, c.announce(url, request('x', 2, 2222, 5)));
  ASSERT_TRUE(b && *b) << (*b).error().message();
  ASSERT_EQ((*b)->peers.size(), 1u);
  EXPECT_EQ((*b)->peers[0].address.to_string(), "[::1]:1111");
}

// ---- a scripted HTTP server -------------------------------------------------------------------

struct canned {
  std::string raw;        // the whole response, written as is
  bool hang = false;      // never answer
};

class FakeHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    acceptor.open(tcp::v4());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    asio::co_spawn(io, serve(), asio::detached);
  }

  net::awaitable<void> serve() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(use_nothrow);
      if (ec) co_return;
      asio::co_spawn(io, answer(std::move(sock)), asio::detached);
    }
  }
  net::awaitable<void> answer(tcp::socket sock) {
    std::string data;
    auto [ec, n] = co_await asio::async_read_until(sock, asio::dynamic_buffer(data), "\r\n\r\n", use_nothrow);
    if (ec) co_return;
    const auto sp1 = data.find(' ');
    std::string target = data.substr(sp1 + 1, data.find(' ', sp1 + 1) - sp1 - 1);
    ++hits[target.substr(0, target.find('?'))];
    const auto it = routes.find(target.substr(0, target.find('?')));
    if (it == routes.end()) co_return;
    if (it->second.hang) {
      asio::steady_timer t(io, 30s);
      co_await t.async_wait(use_nothrow);
      co_return;
    }
    co_await asio::async_write(sock, asio::buffer(it->second.raw), use_nothrow);
    boost::system::error_code ignored;
    sock.shutdown(tcp::socket::shutdown_both, ignored);
  }

  static std::string ok(std::string body, std::string extra_headers = {}) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
  }
  static std::string redirect(std::string location) {
    return "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n";
  }
  std::string url(const std::string& path) const { return http_url(port, path); }

  result<announce_response> announce(const std::string& path, client_options o = {}) {
    client c(o);
    auto r = run(io, c.announce(url(path), request('x', 1, 1, 1)), 20s);
    EXPECT_TRUE(r) << "no result in time";
    return r ? std::move(*r) : result<announce_response>(make_error(errc::aborted));
  }
  void expect_error(const std::string& path, std::error_code code, client_options o = {}) {
    auto r = announce(path, o);
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().code, code) << path << ": " << r.error().message();
  }

  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::map<std::string, canned> routes;
  std::map<std::string, int> hits;
};

std::string compact_peers(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += std::string("\x0a\x00\x00\x01\x1a\xe1", 6);
  return s;
}

TEST_F(FakeHttp, ValidResponsesInSeveralFramings) {
  const std::string body = bencode::encode(bencode::dict{{"interval", 77}, {"peers", compact_peers(2)}});
  routes["/len/announce"] = {ok(body)};
  routes["/eof/announce"] = {"HTTP/1.0 200 OK\r\n\r\n" + body};
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t i = 0; i < body.size(); i += 7) {
    const auto part = body.substr(i, 7);
    char len[16];
    std::snprintf(len, sizeof len, "%zx\r\n", part.size());
    chunked += len + part + "\r\n";
  }
  routes["/chunked/announce"] = {chunked + "0\r\n\r\n"};
  routes["/hop/announce"] = {redirect("/len/announce")};
  for (const char* path : {"/len/announce", "/eof/announce", "/chunked/announce", "/hop/announce"}) {
    auto r = announce(path);
    ASSERT_TRUE(r) << path << ": " << r.error().message();
    EXPECT_EQ(r->interval, 77s) << path;
    EXPECT_EQ(r->peers.size(), 2u) << path;
  }
  EXPECT_EQ(hits["/len/announce"], 2);
}

TEST_F(FakeHttp, MalformedResponsesAreErrors) {
  routes["/html/announce"] = {ok("<html>hello</html>")};
  routes["/list/announce"] = {ok("li1ee")};
  routes["/truncated/announce"] = {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nd8:interval"};
  routes["/cut/announce"] = {ok("d8:intervali60e5:peers12:abc")};
  routes["/huge/announce"] = {ok(bencode::encode(bencode::dict{{"peers", compact_peers(2001)}}))};
  routes["/gzip/announce"] = {ok("d8:intervali1ee", "Content-Encoding: gzip\r\n")};
  routes["/garbage/announce"] = {"NOT HTTP AT ALL\r\n\r\n"};
  routes["/failure/announce"] = {ok("d14:failure reason6:bannede")};
  routes["/404/announce"] = {"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"};
  routes["/400/announce"] = {"HTTP/1.1 400 Bad Request\r\nContent-Length: 25\r\n\r\nd14:failure reason4:nopee"};
  expect_error("/html/announce", errc::invalid_bencode);
  expect_error("/list/announce", errc::not_a_dictionary);
  expect_error("/cut/announce", errc::invalid_bencode);
  expect_error("/huge/announce", errc::too_many_peers);
  expect_error("/gzip/announce", errc::unsupported_encoding);
  expect_error("/failure/announce", errc::tracker_failure);
  expect_error("/404/announce", errc::http_status);
  expect_error("/400/announce", errc::tracker_failure);
  auto truncated = announce("/truncated/announce");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, std::error_code(boost::system::error_code(boost::beast::http::error::partial_message)));
  auto garbage = announce("/garbage/announce");
  ASSERT_FALSE(garbage);
  auto none = announce("/unrouted/announce");  // closes without a reply
  ASSERT_FALSE(none);
}

TEST_F(FakeHttp, SizeLimit) {
  routes["/big/announce"] = {ok("d8:intervali1e3:pad" + std::to_string(5000) + ":" + std::string(5000, 'p') + "e")};
  client_options o;
  o.http.max_response_size = 4096;
  expect_error("/big/announce", errc::response_too_large, o);
  EXPECT_TRUE(announce("/big/announce"));  // under the default 1 MiB
}

TEST_F(FakeHttp, RedirectLoopsAndChains) {
  routes["/a/announce"] = {redirect("/b/announce")};
  routes["/b/announce"] = {redirect(url("/a/announce"))};
  expect_error("/a/announce", errc::redirect_loop);
  for (int i = 0; i < 10; ++i)
    routes["/r" + std::to_string(i) + "/announce"] = {redirect("/r" + std::to_string(i + 1) + "/announce")};
  expect_error("/r0/announce", errc::too_many_redirects);
  EXPECT_EQ(hits["/r5/announce"], 1);  // five redirects followed, the sixth refused
  EXPECT_EQ(hits["/r6/announce"], 0);
  routes["/nolocation/announce"] = {"HTTP/1.1 301 Moved\r\nContent-Length: 0\r\n\r\n"};
  expect_error("/nolocation/announce", errc::invalid_redirect);
  routes["/toudp/announce"] = {redirect("udp://127.0.0.1:1/announce")};
  expect_error("/toudp/announce", errc::invalid_redirect);
}

TEST_F(FakeHttp, TimeoutAndRefusedConnection) {
  routes["/hang/announce"] = {"", true};
  client_options o;
  o.http.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  expect_error("/hang/announce", errc::timeout, o);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  // A port nobody listens on.
  tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto dead = closed.local_endpoint().port();
  closed.close();
  client c;
  auto r = run(io, c.announce(http_url(dead), request('x', 1, 1, 1)));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, std::error_code(boost::system::error_code(asio::error::connection_refused))) << r->error().message();
}

// ---- HTTPS ---------------------------------------------------------------------------------

struct pem_pair {
  std::string cert, key;
};

// A self-signed certificate for `san` ("DNS:localhost,IP:127.0.0.1"), made in memory.
pem_pair self_signed(const char* san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ccbt test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san);
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, key, EVP_sha256());
  const auto to_string = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return s;
  };
  pem_pair out;
  out.cert = to_string([&](BIO* b) { PEM_write_bio_X509(b, x); });
  out.key = to_string([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

class Https : public ::testing::Test {
 protected:
  void start(const char* san) {
    pem = self_signed(san);
    tls.use_certificate_chain(asio::buffer(pem.cert));
    tls.use_private_key(asio::buffer(pem.key), asio::ssl::context::pem);
    acceptor.open(tcp::v4());
    acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    asio::co_spawn(io, serve(), asio::detached);
  }
  net::awaitable<void> serve() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(use_nothrow);
      if (ec) co_return;
      asio::co_spawn(io, answer(std::move(sock)), asio::detached);
    }
  }
  net::awaitable<void> answer(tcp::socket sock) {
    asio::ssl::stream<tcp::socket> s(std::move(sock), tls);
    if (auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::server, use_nothrow); ec) co_return;
    boost::beast::flat_buffer buf;
    boost::beast::http::request<boost::beast::http::empty_body> req;
    if (auto [ec, n] = co_await boost::beast::http::async_read(s, buf, req, use_nothrow); ec) co_return;
    ++served;
    boost::beast::http::response<boost::beast::http::string_body> res{boost::beast::http::status::ok, 11};
    res.body() = "d8:intervali42e5:peers0:e";
    res.prepare_payload();
    co_await boost::beast::http::async_write(s, res, use_nothrow);
    co_await s.async_shutdown(use_nothrow);
  }
  result<announce_response> announce(client& c, const std::string& host) {
    const auto url = "https://" + host + ":" + std::to_string(port) + "/announce";
    auto r = run(io, c.announce(url, request('x', 1, 1, 1)));
    EXPECT_TRUE(r);
    return r ? std::move(*r) : result<announce_response>(make_error(errc::aborted));
  }

  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  pem_pair pem;
  int served = 0;
};

TEST_F(Https, VerifiedCertificateByNameAndAddress) {
  start("DNS:localhost,IP:127.0.0.1");
  client c;
  ASSERT_TRUE(c.add_trust_anchors_pem(pem.cert));
  auto by_ip = announce(c, "127.0.0.1");
  ASSERT_TRUE(by_ip) << by_ip.error().message();
  EXPECT_EQ(by_ip->interval, 42s);
  auto by_name = announce(c, "localhost");
  ASSERT_TRUE(by_name) << by_name.error().message();
  EXPECT_EQ(served, 2);
}

TEST_F(Https, UntrustedCertificateIsRefused) {
  start("DNS:localhost,IP:127.0.0.1");
  client c;  // the system store only
  auto r = announce(c, "127.0.0.1");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("certificate verify failed"), std::string::npos) << r.error().message();
  EXPECT_EQ(served, 0);
}

TEST_F(Https, CertificateForAnotherHostIsRefused) {
  start("DNS:other.example");
  client c;
  ASSERT_TRUE(c.add_trust_anchors_pem(pem.cert));
  auto by_ip = announce(c, "127.0.0.1");
  ASSERT_FALSE(by_ip);
  EXPECT_NE(by_ip.error().message().find("certificate verify failed"), std::string::npos) << by_ip.error().message();
  auto by_name = announce(c, "localhost");
  ASSERT_FALSE(by_name);
  EXPECT_EQ(served, 0);
  EXPECT_FALSE(c.add_trust_anchors_pem("not a certificate"));
  EXPECT_FALSE(c.add_trust_anchors_file("/nonexistent/ca.pem"));
}

}  // namespace
}  // namespace ccbt::tracker
