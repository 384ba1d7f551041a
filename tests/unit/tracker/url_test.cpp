#include <gtest/gtest.h>

#include "tracker/url.hpp"

namespace ccbt::tracker {
namespace {

sha1_hash hash_of(std::string_view s) { return *sha1_hash::from_bytes(s); }

TEST(TrackerUrl, ParsesSchemesHostsAndPorts) {
  auto a = parse_tracker_url("http://tracker.example.org/announce");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->scheme, url_scheme::http);
  EXPECT_EQ(a->host, "tracker.example.org");
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->target, "/announce");
  EXPECT_EQ(a->authority(), "tracker.example.org");

  auto b = parse_tracker_url("HTTPS://Tracker.example:8443/a/announce?passkey=x#frag");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scheme, url_scheme::https);
  EXPECT_EQ(b->port, 8443);
  EXPECT_EQ(b->target, "/a/announce?passkey=x");
  EXPECT_EQ(b->to_string(), "https://Tracker.example:8443/a/announce?passkey=x");

  auto c = parse_tracker_url("udp://[::1]:6969/announce");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, url_scheme::udp);
  EXPECT_EQ(c->host, "::1");
  EXPECT_TRUE(c->ipv6_literal);
  EXPECT_EQ(c->authority(), "[::1]:6969");

  auto d = parse_tracker_url("http://127.0.0.1:6969?x=1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->target, "/?x=1");
  auto e = parse_tracker_url("https://h");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->target, "/");
}

TEST(TrackerUrl, RejectsMalformed) {
  struct bad {
    const char* url;
    errc code;
  };
  for (const auto& [url, code] : {
           bad{"ftp://h/announce", errc::unsupported_scheme},
           bad{"wss://h/announce", errc::unsupported_scheme},
           bad{"tracker.example/announce", errc::invalid_url},
           bad{"://h/", errc::invalid_url},
           bad{"http:///announce", errc::invalid_url},
           bad{"http://h:0/", errc::invalid_url},
           bad{"http://h:65536/", errc::invalid_url},
           bad{"http://h:/", errc::invalid_url},
           bad{"http://h:80x/", errc::invalid_url},
           bad{"udp://h/announce", errc::invalid_url},
           bad{"http://user@h/", errc::invalid_url},
           bad{"http://[::1/", errc::invalid_url},
           bad{"http://[nothex]:80/", errc::invalid_url},
           bad{"http://[::1]x/", errc::invalid_url},
           bad{"http://h h/", errc::invalid_url},
           bad{"http://h/\x01", errc::invalid_url},
           bad{"http://h\xc3\xa9/", errc::invalid_url},
           bad{"http://h%41/", errc::invalid_url},
       }) {
    auto r = parse_tracker_url(url);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().code, make_error_code(code)) << url << ": " << r.error().message();
  }
  EXPECT_FALSE(parse_tracker_url("http://h/" + std::string(5000, 'a')));
}

TEST(TrackerUrl, PercentEncoding) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode(std::string("\x00\xff +&=%", 7)), "%00%FF%20%2B%26%3D%25");
  auto d = percent_decode("%00%ff%2B+a");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, std::string("\x00\xff+ a", 5));
  for (const char* bad : {"%", "%4", "%4g", "a%zz"}) {
    auto r = percent_decode(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, make_error_code(errc::invalid_request));
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(*percent_decode(percent_encode(all)), all);
}

TEST(TrackerUrl, AnnounceUrlCarriesEveryParameter) {
  announce_request r;
  r.info_hash = hash_of(std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\xff", 20));
  r.pid = *peer_id::from_bytes("-CC0001-abcdefghijkl");
  r.port = 6881;
  r.uploaded = 1;
  r.downloaded = 2;
  r.left = 18446744073709551615ull;
  r.key = 0xdeadbeef;
  r.ev = event::started;
  r.num_want = 50;
  r.tracker_id = "id 1";
  EXPECT_EQ(announce_url("http://t/announce#x", r),
            "http://t/announce?info_hash=%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%FF"
            "&peer_id=-CC0001-abcdefghijkl&port=6881&uploaded=1&downloaded=2&left=18446744073709551615"
            "&key=DEADBEEF&event=started&numwant=50&compact=1&trackerid=id%201");
  r.ev = event::none;
  r.num_want.reset();
  r.tracker_id.clear();
  const auto with_query = announce_url("http://t/announce?passkey=abc", r);
  EXPECT_NE(with_query.find("/announce?passkey=abc&info_hash="), std::string::npos) << with_query;
  EXPECT_EQ(with_query.find("event="), std::string::npos);
  EXPECT_EQ(with_query.find("numwant="), std::string::npos);
  EXPECT_NE(announce_url("http://t/announce?", r).find("/announce?info_hash="), std::string::npos);
  r.ev = event::completed;
  EXPECT_NE(announce_url("http://t/a", r).find("&event=completed&"), std::string::npos);
  r.ev = event::stopped;
  EXPECT_NE(announce_url("http://t/a", r).find("&event=stopped&"), std::string::npos);
}

TEST(TrackerUrl, ScrapeUrlFollowsBep48) {
  EXPECT_EQ(*scrape_url("http://example.com/announce"), "http://example.com/scrape");
  EXPECT_EQ(*scrape_url("http://example.com/x/announce"), "http://example.com/x/scrape");
  EXPECT_EQ(*scrape_url("http://example.com/announce.php"), "http://example.com/scrape.php");
  EXPECT_EQ(*scrape_url("http://example.com/announce?x2%0644"), "http://example.com/scrape?x2%0644");
  EXPECT_EQ(*scrape_url("http://example.com/announce-x?a=b"), "http://example.com/scrape-x?a=b");
  EXPECT_EQ(*scrape_url("udp://example.com:80/announce"), "udp://example.com:80/announce");
  for (const char* none : {"http://example.com/a", "http://example.com/announce?x=2/4", "http://example.com/x%064announce",
                           "http://example.com/announce/x", "http://example.com"}) {
    auto r = scrape_url(none);
    ASSERT_FALSE(r) << none;
    EXPECT_EQ(r.error().code, make_error_code(errc::no_scrape_url)) << none;
  }
  EXPECT_EQ(scrape_url("gopher://x/announce").error().code, make_error_code(errc::unsupported_scheme));

  const sha1_hash hashes[] = {hash_of("aaaaaaaaaaaaaaaaaaaa"), hash_of("bbbbbbbbbbbbbbbbbbbb")};
  EXPECT_EQ(scrape_request_url("http://t/scrape", hashes),
            "http://t/scrape?info_hash=aaaaaaaaaaaaaaaaaaaa&info_hash=bbbbbbbbbbbbbbbbbbbb");
  EXPECT_EQ(scrape_request_url("http://t/scrape?k=1", std::span(hashes, 1)),
            "http://t/scrape?k=1&info_hash=aaaaaaaaaaaaaaaaaaaa");
}

TEST(TrackerUrl, ResolvesRedirects) {
  EXPECT_EQ(*resolve_redirect("http://a/x/announce?q", "https://b:8443/announce"), "https://b:8443/announce");
  EXPECT_EQ(*resolve_redirect("https://a/x/announce", "//c/announce"), "https://c/announce");
  EXPECT_EQ(*resolve_redirect("http://a:81/x/announce", "/y/announce?z"), "http://a:81/y/announce?z");
  EXPECT_EQ(*resolve_redirect("http://a/x/announce?q=/", "other?k"), "http://a/x/other?k");
  EXPECT_EQ(*resolve_redirect("http://[::1]:8/announce", "b"), "http://[::1]:8/b");
  EXPECT_EQ(resolve_redirect("http://a/", "").error().code, make_error_code(errc::invalid_redirect));
  EXPECT_EQ(resolve_redirect("http://a/", "udp://b:1/announce").error().code, make_error_code(errc::invalid_redirect));
  EXPECT_EQ(resolve_redirect("http://a/", "ftp://b/").error().code, make_error_code(errc::invalid_redirect));
  EXPECT_EQ(resolve_redirect("http://a/", "/with space").error().code, make_error_code(errc::invalid_redirect));
}

TEST(TrackerUrl, PeerAddressText) {
  auto a = peer_address::from_string("10.0.0.1:6881");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->v6);
  EXPECT_EQ(a->to_string(), "10.0.0.1:6881");
  auto b = peer_address::from_string("[2001:db8::1]:1");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->v6);
  EXPECT_EQ(b->to_string(), "[2001:db8::1]:1");
  auto m = peer_address::from_string("[::ffff:1.2.3.4]:5");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->unmapped().to_string(), "1.2.3.4:5");
  EXPECT_EQ(m->unmapped(), *peer_address::from_string("1.2.3.4:5"));
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "::1:5", "[1.2.3.4]:5", "host:80", "[::1]5"})
    EXPECT_FALSE(peer_address::from_string(bad)) << bad;
}

}  // namespace
}  // namespace ccbt::tracker
