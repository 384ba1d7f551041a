#include <gtest/gtest.h>

#include <ccbt/bencode.hpp>

#include "tracker/http_parse.hpp"

namespace ccbt::tracker {
namespace {

using bencode::dict;
using bencode::list;
using bencode::value;

std::string enc(dict d) { return bencode::encode(value(std::move(d))); }

std::string compact(std::initializer_list<std::tuple<int, int, int, int, int>> peers) {
  std::string s;
  for (auto [a, b, c, d, port] : peers) {
    for (int x : {a, b, c, d}) s.push_back(static_cast<char>(x));
    s.push_back(static_cast<char>(port >> 8));
    s.push_back(static_cast<char>(port & 0xff));
  }
  return s;
}

void expect_error(std::string_view body, errc code, std::string_view context = {}, const parse_limits& lim = {}) {
  auto r = parse_announce_response(body, lim);
  ASSERT_FALSE(r) << "expected " << make_error_code(code).message();
  EXPECT_EQ(r.error().code, make_error_code(code)) << r.error().message();
  if (!context.empty()) {
    EXPECT_EQ(r.error().context, context) << r.error().message();
  }
}

TEST(HttpAnnounce, ParsesCompactResponse) {
  auto body = enc({{"interval", 1800},
                   {"min interval", 900},
                   {"complete", 3},
                   {"incomplete", 4},
                   {"downloaded", 5},
                   {"tracker id", "tid"},
                   {"warning message", "careful\x01"},
                   {"external ip", std::string("\x0a\x00\x00\x07", 4)},
                   {"peers", compact({{127, 0, 0, 1, 6881}, {10, 1, 2, 3, 0}, {192, 168, 1, 2, 65535}})}});
  auto r = parse_announce_response(body);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->interval, std::chrono::seconds(1800));
  EXPECT_EQ(r->min_interval, std::chrono::seconds(900));
  EXPECT_EQ(r->complete, 3);
  EXPECT_EQ(r->incomplete, 4);
  EXPECT_EQ(r->downloaded, 5);
  EXPECT_EQ(r->tracker_id, "tid");
  EXPECT_EQ(r->warning, "careful?");
  ASSERT_TRUE(r->external_ip);
  EXPECT_EQ(r->external_ip->ip_string(), "10.0.0.7");
  ASSERT_EQ(r->peers.size(), 2u);  // the port-0 peer is dropped
  EXPECT_EQ(r->peers[0].address.to_string(), "127.0.0.1:6881");
  EXPECT_EQ(r->peers[1].address.to_string(), "192.168.1.2:65535");
  EXPECT_FALSE(r->peers[0].id);
}

TEST(HttpAnnounce, ParsesDictionaryPeersAndPeers6) {
  std::string v6(16, '\0');
  v6[15] = 1;
  v6 += "\x1a\xe1";
  auto body = enc({{"interval", 60},
                   {"peers", list{dict{{"ip", "10.0.0.1"}, {"port", 1}, {"peer id", "-XX0001-000000000000"}},
                                  dict{{"ip", "2001:db8::2"}, {"port", 2}}}},
                   {"peers6", v6}});
  auto r = parse_announce_response(body);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->peers.size(), 3u);
  EXPECT_EQ(r->peers[0].address.to_string(), "10.0.0.1:1");
  ASSERT_TRUE(r->peers[0].id);
  EXPECT_EQ(r->peers[0].id->view(), "-XX0001-000000000000");
  EXPECT_EQ(r->peers[1].address.to_string(), "[2001:db8::2]:2");
  EXPECT_EQ(r->peers[2].address.to_string(), "[::1]:6881");
  EXPECT_FALSE(r->min_interval);
  EXPECT_FALSE(r->complete);
}

TEST(HttpAnnounce, MinimalResponse) {
  auto r = parse_announce_response("de");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->interval);
  EXPECT_TRUE(r->peers.empty());
  // Unknown keys are ignored.
  EXPECT_TRUE(parse_announce_response(enc({{"x", list{1, 2}}, {"interval", 5}})));
}

TEST(HttpAnnounce, FailureReasonWins) {
  expect_error(enc({{"failure reason", "unregistered torrent\n"}, {"interval", 5}}), errc::tracker_failure,
               "unregistered torrent?");
  parse_limits lim;
  lim.max_message = 4;
  expect_error(enc({{"failure reason", "abcdefgh"}}), errc::tracker_failure, "abcd", lim);
  expect_error(enc({{"failure reason", 1}}), errc::invalid_field, "failure reason");
}

TEST(HttpAnnounce, RejectsNonBencodedAndNonDictionary) {
  expect_error("", errc::invalid_bencode);
  expect_error("<html>502 Bad Gateway</html>", errc::invalid_bencode);
  expect_error("d8:intervali1800e5:peers", errc::invalid_bencode);  // truncated
  expect_error("d8:intervali1800ee trailing", errc::invalid_bencode);
  expect_error("le", errc::not_a_dictionary);
  expect_error("i5e", errc::not_a_dictionary);
  auto r = parse_announce_response("d8:intervali1800e5:peers");
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().offset);  // the bencode error's position
}

TEST(HttpAnnounce, RejectsBadFields) {
  expect_error(enc({{"interval", "1800"}}), errc::invalid_field, "interval");
  expect_error(enc({{"interval", 0}}), errc::invalid_field, "interval");
  expect_error(enc({{"interval", -5}}), errc::invalid_field, "interval");
  expect_error(enc({{"interval", std::int64_t{1} << 40}}), errc::invalid_field, "interval");
  expect_error(enc({{"min interval", -1}}), errc::invalid_field, "min interval");
  expect_error(enc({{"complete", -1}}), errc::invalid_field, "complete");
  expect_error(enc({{"incomplete", "x"}}), errc::invalid_field, "incomplete");
  expect_error(enc({{"downloaded", list{}}}), errc::invalid_field, "downloaded");
  expect_error(enc({{"tracker id", 5}}), errc::invalid_field, "tracker id");
  expect_error(enc({{"tracker id", std::string(2000, 'x')}}), errc::invalid_field, "tracker id");
  expect_error(enc({{"warning message", dict{}}}), errc::invalid_field, "warning message");
  // A malformed external ip is informational and ignored.
  auto r = parse_announce_response(enc({{"external ip", "abc"}}));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->external_ip);
}

TEST(HttpAnnounce, RejectsBadPeerLists) {
  expect_error(enc({{"peers", 5}}), errc::invalid_peers, "peers");
  expect_error(enc({{"peers", dict{}}}), errc::invalid_peers, "peers");
  expect_error(enc({{"peers", std::string(7, 'x')}}), errc::invalid_peers, "peers");
  expect_error(enc({{"peers6", std::string(17, 'x')}}), errc::invalid_peers, "peers6");
  expect_error(enc({{"peers6", list{}}}), errc::invalid_peers, "peers6");
  expect_error(enc({{"peers", list{5}}}), errc::invalid_peer_entry, "peers[0]");
  expect_error(enc({{"peers", list{dict{{"ip", "1.2.3.4"}, {"port", 1}}, dict{{"port", 1}}}}}), errc::invalid_peer_entry,
               "peers[1]");
  expect_error(enc({{"peers", list{dict{{"ip", "1.2.3.4"}}}}}), errc::invalid_peer_entry, "peers[0]");
  expect_error(enc({{"peers", list{dict{{"ip", "1.2.3.4"}, {"port", 0}}}}}), errc::invalid_peer_entry, "peers[0]");
  expect_error(enc({{"peers", list{dict{{"ip", "1.2.3.4"}, {"port", 65536}}}}}), errc::invalid_peer_entry, "peers[0]");
  expect_error(enc({{"peers", list{dict{{"ip", "1.2.3.4"}, {"port", "80"}}}}}), errc::invalid_peer_entry, "peers[0]");
  expect_error(enc({{"peers", list{dict{{"ip", "peer.example"}, {"port", 80}}}}}), errc::invalid_peer_entry,
               "peers[0].ip");
  expect_error(enc({{"peers", list{dict{{"ip", "1.2.3.4"}, {"port", 80}, {"peer id", "short"}}}}}),
               errc::invalid_peer_entry, "peers[0].peer id");
  expect_error(enc({{"peers", list{dict{{"ip", "1.2.3.4"}, {"port", 80}, {"peer id", 7}}}}}), errc::invalid_peer_entry,
               "peers[0].peer id");
}

TEST(HttpAnnounce, BoundsThePeerCount) {
  parse_limits lim;
  lim.max_peers = 3;
  EXPECT_TRUE(parse_announce_response(enc({{"peers", std::string(18, 'x')}}), lim));
  expect_error(enc({{"peers", std::string(24, 'x')}}), errc::too_many_peers, {}, lim);
  expect_error(enc({{"peers", std::string(12, 'x')}, {"peers6", std::string(36, 'x')}}), errc::too_many_peers, {}, lim);
  list many;
  for (int i = 0; i < 4; ++i) many.emplace_back(dict{{"ip", "1.2.3.4"}, {"port", 1 + i}});
  expect_error(enc({{"peers", many}}), errc::too_many_peers, {}, lim);
  // The default limit: 2000 peers.
  EXPECT_TRUE(parse_announce_response(enc({{"peers", std::string(6 * 2000, 'x')}})));
  expect_error(enc({{"peers", std::string(6 * 2001, 'x')}}), errc::too_many_peers);
  // A huge dictionary list fails before it costs memory (bounded token count or peer count).
  list huge;
  for (int i = 0; i < 50000; ++i) huge.emplace_back(dict{{"ip", "1.2.3.4"}, {"port", 1}});
  EXPECT_FALSE(parse_announce_response(enc({{"peers", huge}})));
}

TEST(HttpScrape, ParsesFilesAndFlags) {
  const std::string h1(20, 'a'), h2(20, 'b');
  auto body = enc({{"files", dict{{h1, dict{{"complete", 1}, {"downloaded", 2}, {"incomplete", 3}}},
                                  {h2, dict{{"complete", 4}}}}},
                   {"flags", dict{{"min_request_interval", 600}}}});
  auto r = parse_scrape_response(body);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->files.size(), 2u);
  EXPECT_EQ(r->files[0].info_hash.view(), h1);
  EXPECT_EQ(r->files[0].complete, 1);
  EXPECT_EQ(r->files[0].downloaded, 2);
  EXPECT_EQ(r->files[0].incomplete, 3);
  EXPECT_EQ(r->files[1].complete, 4);
  EXPECT_EQ(r->files[1].incomplete, 0);
  EXPECT_EQ(r->min_request_interval, std::chrono::seconds(600));
  auto empty = parse_scrape_response("d5:filesdee");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->files.empty());
}

TEST(HttpScrape, RejectsMalformed) {
  const auto err = [](std::string_view body, errc code, std::string_view context = {}, parse_limits lim = {}) {
    auto r = parse_scrape_response(body, lim);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(code)) << r.error().message();
    if (!context.empty()) {
      EXPECT_EQ(r.error().context, context);
    }
  };
  const std::string h(20, 'a');
  err("x", errc::invalid_bencode);
  err("l5:filese", errc::not_a_dictionary);
  err(enc({{"failure reason", "no scrape here"}}), errc::tracker_failure, "no scrape here");
  err("de", errc::invalid_field, "files");
  err(enc({{"files", list{}}}), errc::invalid_field, "files");
  err(enc({{"files", dict{{"short", dict{}}}}}), errc::invalid_field, "files[0]");
  err(enc({{"files", dict{{h, 5}}}}), errc::invalid_field, "files[0]");
  err(enc({{"files", dict{{h, dict{{"complete", -1}}}}}}), errc::invalid_field, "files[0].complete");
  err(enc({{"files", dict{{h, dict{{"downloaded", "x"}}}}}}), errc::invalid_field, "files[0].downloaded");
  err(enc({{"files", dict{}}, {"flags", dict{{"min_request_interval", -3}}}}), errc::invalid_field,
      "flags.min_request_interval");
  parse_limits lim;
  lim.max_scrape_files = 1;
  err(enc({{"files", dict{{h, dict{}}, {std::string(20, 'b'), dict{}}}}}), errc::too_many_files, "2", lim);
}

TEST(HttpParse, Printable) {
  EXPECT_EQ(printable(std::string("a\0b\x7f\xc3\xa9", 6), 100), "a?b?\xc3\xa9");
  EXPECT_EQ(printable("abcdef", 3), "abc");
}

}  // namespace
}  // namespace ccbt::tracker
