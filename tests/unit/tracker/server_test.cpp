// The embedded tracker's pure parts: the peer database and the HTTP query/reply codec.
#include <gtest/gtest.h>

#include <ccbt/bencode.hpp>

#include "tracker/http_parse.hpp"
#include "tracker/server_query.hpp"
#include "tracker/swarm.hpp"
#include "tracker/url.hpp"

namespace ccbt::tracker::server {
namespace {

using namespace std::chrono_literals;
const clock::time_point t0 = clock::time_point{} + 1000h;

sha1_hash ih(char c) { return *sha1_hash::from_bytes(std::string(20, c)); }
peer_id pid(int n) {
  std::string s = "-TT0001-" + std::to_string(100000000000 + n);
  return *peer_id::from_bytes(s);
}

announce_in in(char torrent, const char* addr, int id, std::uint64_t left, event ev = event::none,
               std::optional<std::int32_t> num_want = {}) {
  announce_in a;
  a.request.info_hash = ih(torrent);
  a.request.pid = pid(id);
  a.request.left = left;
  a.request.ev = ev;
  a.request.num_want = num_want;
  a.from = *peer_address::from_string(addr);
  a.request.port = a.from.port;
  return a;
}

std::set<std::string> addresses(const announce_out& o) {
  std::set<std::string> s;
  for (const auto& p : o.peers) s.insert(p.address.to_string());
  return s;
}

TEST(Swarm, PeersFindEachOtherButNeverThemselves) {
  swarm_registry reg({}, 1);
  auto a = reg.announce(in('x', "10.0.0.1:1000", 1, 100, event::started), t0);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->peers.empty());
  EXPECT_EQ(a->incomplete, 1);
  auto b = reg.announce(in('x', "10.0.0.2:2000", 2, 100, event::started), t0);
  ASSERT_TRUE(b);
  EXPECT_EQ(addresses(*b), (std::set<std::string>{"10.0.0.1:1000"}));
  ASSERT_TRUE(b->peers[0].id);
  EXPECT_EQ(*b->peers[0].id, pid(1));
  auto a2 = reg.announce(in('x', "10.0.0.1:1000", 1, 100), t0 + 1s);
  EXPECT_EQ(addresses(*a2), (std::set<std::string>{"10.0.0.2:2000"}));
  // Same peer id from another address (e.g. a NAT change) is not handed to itself either.
  auto a3 = reg.announce(in('x', "10.0.0.9:1000", 1, 100), t0 + 2s);
  EXPECT_EQ(addresses(*a3), (std::set<std::string>{"10.0.0.2:2000"}));
  // Other torrents are separate.
  auto c = reg.announce(in('y', "10.0.0.3:3000", 3, 100), t0);
  EXPECT_TRUE(c->peers.empty());
  EXPECT_EQ(reg.stats().torrents, 2u);
  EXPECT_EQ(reg.stats().peers, 4u);
}

TEST(Swarm, SeedsGetOnlyLeechersAndCountsAreKept) {
  swarm_registry reg({}, 1);
  (void)reg.announce(in('x', "10.0.0.1:1", 1, 0, event::started), t0);
  (void)reg.announce(in('x', "10.0.0.2:2", 2, 0, event::started), t0);
  auto seed = reg.announce(in('x', "10.0.0.1:1", 1, 0), t0);
  EXPECT_TRUE(seed->peers.empty());
  EXPECT_EQ(seed->complete, 2);
  EXPECT_EQ(seed->incomplete, 0);
  auto leech = reg.announce(in('x', "10.0.0.3:3", 3, 50, event::started), t0);
  EXPECT_EQ(leech->peers.size(), 2u);
  EXPECT_EQ(leech->incomplete, 1);
  auto seed2 = reg.announce(in('x', "10.0.0.2:2", 2, 0), t0);
  EXPECT_EQ(addresses(*seed2), (std::set<std::string>{"10.0.0.3:3"}));
  // The leecher completes: counts move, downloaded counts the event.
  auto done = reg.announce(in('x', "10.0.0.3:3", 3, 0, event::completed), t0);
  EXPECT_EQ(done->complete, 3);
  EXPECT_EQ(done->incomplete, 0);
  EXPECT_EQ(done->downloaded, 1);
  EXPECT_EQ(reg.stats().seeds, 3u);
  auto s = reg.scrape(ih('x'));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->complete, 3);
  EXPECT_EQ(s->incomplete, 0);
  EXPECT_EQ(s->downloaded, 1);
  auto unknown = reg.scrape(ih('q'));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->complete, 0);
}

TEST(Swarm, StoppedRemovesAndExpiryDrops) {
  swarm_options o;
  o.interval = 100s;
  swarm_registry reg(o, 1);
  EXPECT_EQ(reg.peer_timeout(), 260s);
  (void)reg.announce(in('x', "10.0.0.1:1", 1, 5), t0);
  (void)reg.announce(in('x', "10.0.0.2:2", 2, 0), t0 + 200s);
  auto stopped = reg.announce(in('x', "10.0.0.2:2", 2, 0, event::stopped), t0 + 201s);
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(stopped->peers.empty());
  EXPECT_EQ(stopped->complete, 0);
  EXPECT_EQ(reg.stats().peers, 1u);
  EXPECT_EQ(reg.stats().seeds, 0u);
  // A stopped announce for an unknown torrent creates nothing.
  EXPECT_TRUE(reg.announce(in('z', "10.0.0.2:2", 2, 0, event::stopped), t0));
  EXPECT_EQ(reg.stats().torrents, 1u);
  (void)reg.announce(in('x', "10.0.0.3:3", 3, 5), t0 + 200s);
  reg.expire(t0 + 259s);
  EXPECT_EQ(reg.stats().peers, 2u);
  reg.expire(t0 + 261s);  // peer 1 last seen at t0
  EXPECT_EQ(reg.stats().peers, 1u);
  auto p = reg.announce(in('x', "10.0.0.4:4", 4, 5), t0 + 262s);
  EXPECT_EQ(addresses(*p), (std::set<std::string>{"10.0.0.3:3"}));
  reg.expire(t0 + 10000s);
  EXPECT_EQ(reg.stats().peers, 0u);
  EXPECT_EQ(reg.stats().torrents, 0u);
}

TEST(Swarm, MemoryIsBounded) {
  swarm_options o;
  o.max_peers_per_torrent = 3;
  o.max_torrents = 2;
  swarm_registry reg(o, 1);
  for (int i = 0; i < 10; ++i) {
    const std::string addr = "10.0.0." + std::to_string(i + 1) + ":1";
    ASSERT_TRUE(reg.announce(in('x', addr.c_str(), i, 5), t0 + std::chrono::seconds(i)));
  }
  EXPECT_EQ(reg.stats().peers, 3u);
  // The least recently seen ones were evicted: the last three remain.
  auto p = reg.announce(in('x', "10.0.0.10:1", 9, 5), t0 + 20s);
  EXPECT_EQ(addresses(*p), (std::set<std::string>{"10.0.0.8:1", "10.0.0.9:1"}));
  ASSERT_TRUE(reg.announce(in('y', "10.0.0.1:1", 1, 5), t0));
  auto full = reg.announce(in('z', "10.0.0.1:1", 1, 5), t0);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, make_error_code(errc::tracker_failure));
  EXPECT_EQ(full.error().context, "tracker is full");
}

TEST(Swarm, NumwantAndFamilies) {
  swarm_options o;
  o.default_numwant = 5;
  o.max_numwant = 8;
  swarm_registry reg(o, 42);
  for (int i = 0; i < 20; ++i) {
    const std::string addr = "10.0.1." + std::to_string(i + 1) + ":7";
    (void)reg.announce(in('x', addr.c_str(), i, 5), t0);
  }
  for (int i = 0; i < 3; ++i) {
    const std::string addr = "[2001:db8::" + std::to_string(i + 1) + "]:7";
    (void)reg.announce(in('x', addr.c_str(), 100 + i, 5), t0);
  }
  EXPECT_EQ(reg.announce(in('x', "10.9.9.9:1", 500, 5), t0)->peers.size(), 5u);
  EXPECT_EQ(reg.announce(in('x', "10.9.9.9:1", 500, 5, event::none, 100), t0)->peers.size(), 8u);
  EXPECT_EQ(reg.announce(in('x', "10.9.9.9:1", 500, 5, event::none, 0), t0)->peers.size(), 0u);
  auto v6only = in('x', "[2001:db8::99]:1", 501, 5, event::none, 100);
  v6only.want_v4 = false;
  auto r = reg.announce(v6only, t0);
  EXPECT_EQ(r->peers.size(), 3u);
  for (const auto& p : r->peers) EXPECT_TRUE(p.address.v6);
  auto v4only = in('x', "10.9.9.8:1", 502, 5, event::none, 100);
  v4only.want_v6 = false;
  const auto r4 = reg.announce(v4only, t0);
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->peers.size(), 8u);
  for (const auto& p : r4->peers) EXPECT_FALSE(p.address.v6);
  // Random choice: different announcers see different subsets.
  std::set<std::set<std::string>> subsets;
  for (int i = 0; i < 10; ++i) subsets.insert(addresses(*reg.announce(in('x', "10.9.9.9:1", 500, 5), t0)));
  EXPECT_GT(subsets.size(), 1u);
}

TEST(Swarm, WhitelistAndPortZero) {
  swarm_options o;
  o.whitelist = std::set<sha1_hash>{ih('a')};
  swarm_registry reg(o, 1);
  EXPECT_TRUE(reg.announce(in('a', "10.0.0.1:1", 1, 5), t0));
  auto r = reg.announce(in('b', "10.0.0.1:1", 1, 5), t0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::unknown_torrent));
  EXPECT_EQ(reg.scrape(ih('b')).error().code, make_error_code(errc::unknown_torrent));
  auto zero = reg.announce(in('a', "10.0.0.1:0", 1, 5), t0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, make_error_code(errc::invalid_request));
  // An IPv4-mapped sender is stored as IPv4.
  (void)reg.announce(in('a', "[::ffff:10.0.0.7]:7", 7, 5), t0);
  auto p = reg.announce(in('a', "10.0.0.8:8", 8, 5), t0);
  EXPECT_TRUE(addresses(*p).contains("10.0.0.7:7"));
}

TEST(ServerQuery, ParsesAnnounce) {
  announce_request r;
  r.info_hash = *sha1_hash::from_bytes(std::string("\x00\x01\xff+ %&=abcdefghijklm", 20));
  r.pid = pid(5);
  r.port = 51413;
  r.uploaded = 1;
  r.downloaded = 2;
  r.left = 3;
  r.ev = event::completed;
  r.num_want = 17;
  r.key = 0x1234;
  const auto url = announce_url("http://t/announce", r);
  const std::string target = url.substr(url.find("/announce"));
  const auto parts = split_target(target);
  EXPECT_EQ(parts.path, "/announce");
  auto q = parse_announce_query(parts.query);
  ASSERT_TRUE(q) << q.error().message() << " " << parts.query;
  EXPECT_EQ(q->request.info_hash, r.info_hash);
  EXPECT_EQ(q->request.pid, r.pid);
  EXPECT_EQ(q->request.port, 51413);
  EXPECT_EQ(q->request.uploaded, 1u);
  EXPECT_EQ(q->request.downloaded, 2u);
  EXPECT_EQ(q->request.left, 3u);
  EXPECT_EQ(q->request.ev, event::completed);
  EXPECT_EQ(q->request.num_want, 17);
  EXPECT_TRUE(q->compact);
  EXPECT_FALSE(q->no_peer_id);
  const std::string base = "info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=bbbbbbbbbbbbbbbbbbbb&port=1&left=0";
  auto non_compact = parse_announce_query(base + "&compact=0&no_peer_id=1&event=paused&numwant=-1&&x=y&ip=1.2.3.4");
  ASSERT_TRUE(non_compact);
  EXPECT_FALSE(non_compact->compact);
  EXPECT_TRUE(non_compact->no_peer_id);
  EXPECT_EQ(non_compact->request.ev, event::none);
  EXPECT_FALSE(non_compact->request.num_want);
  EXPECT_TRUE(parse_announce_query("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=bbbbbbbbbbbbbbbbbbbb&port=0&left=0&event=stopped"));
}

TEST(ServerQuery, RejectsBadAnnounce) {
  const auto err = [](std::string_view q, errc code, std::string_view context) {
    auto r = parse_announce_query(q);
    ASSERT_FALSE(r) << q;
    EXPECT_EQ(r.error().code, make_error_code(code)) << q;
    EXPECT_EQ(r.error().context, context) << q;
  };
  const std::string h = "info_hash=aaaaaaaaaaaaaaaaaaaa", p = "&peer_id=bbbbbbbbbbbbbbbbbbbb";
  err(p + "&port=1&left=0", errc::missing_parameter, "info_hash");
  err(h + "&port=1&left=0", errc::missing_parameter, "peer_id");
  err(h + p + "&left=0", errc::missing_parameter, "port");
  err(h + p + "&port=1", errc::missing_parameter, "left");
  err("info_hash=short" + p + "&port=1&left=0", errc::invalid_request, "info_hash");
  err(h + "&peer_id=%zz&port=1&left=0", errc::invalid_request, "peer_id");
  err(h + p + "&port=65536&left=0", errc::invalid_request, "port");
  err(h + p + "&port=0&left=0", errc::invalid_request, "port");
  err(h + p + "&port=1&left=-1", errc::invalid_request, "left");
  err(h + p + "&port=1&left=0&uploaded=x", errc::invalid_request, "uploaded");
  err(h + p + "&port=1&left=0&event=bogus", errc::invalid_request, "event");
  err(h + p + "&port=1&left=0&numwant=many", errc::invalid_request, "numwant");
}

TEST(ServerQuery, ScrapeQuery) {
  auto r = parse_scrape_query("info_hash=aaaaaaaaaaaaaaaaaaaa&x=1&info_hash=%62bbbbbbbbbbbbbbbbbbb", 10);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1], ih('b'));
  EXPECT_EQ(parse_scrape_query("", 10).error().code, make_error_code(errc::missing_parameter));
  EXPECT_EQ(parse_scrape_query("info_hash=abc", 10).error().code, make_error_code(errc::invalid_request));
  EXPECT_EQ(parse_scrape_query("info_hash=aaaaaaaaaaaaaaaaaaaa&info_hash=aaaaaaaaaaaaaaaaaaaa", 1).error().code,
            make_error_code(errc::invalid_request));
}

TEST(ServerQuery, RepliesParseBackWithTheClientParser) {
  announce_reply r;
  r.interval = 900;
  r.min_interval = 60;
  r.complete = 2;
  r.incomplete = 3;
  r.downloaded = 4;
  r.peers = {{*peer_address::from_string("10.0.0.1:1"), pid(1)}, {*peer_address::from_string("[::1]:2"), pid(2)}};
  auto compact = parse_announce_response(encode_announce_reply(r, true, false));
  ASSERT_TRUE(compact) << compact.error().message();
  EXPECT_EQ(compact->interval, 900s);
  EXPECT_EQ(compact->min_interval, 60s);
  EXPECT_EQ(compact->complete, 2);
  EXPECT_EQ(compact->incomplete, 3);
  EXPECT_EQ(compact->downloaded, 4);
  ASSERT_EQ(compact->peers.size(), 2u);
  EXPECT_EQ(compact->peers[0].address.to_string(), "10.0.0.1:1");
  EXPECT_EQ(compact->peers[1].address.to_string(), "[::1]:2");
  auto dicts = parse_announce_response(encode_announce_reply(r, false, false));
  ASSERT_TRUE(dicts);
  ASSERT_EQ(dicts->peers.size(), 2u);
  EXPECT_EQ(dicts->peers[0], r.peers[0]);
  EXPECT_EQ(dicts->peers[1], r.peers[1]);
  auto no_ids = parse_announce_response(encode_announce_reply(r, false, true));
  ASSERT_TRUE(no_ids);
  EXPECT_FALSE(no_ids->peers[0].id);
  const scrape_entry entries[] = {{ih('a'), 1, 2, 3}};
  auto s = parse_scrape_response(encode_scrape_reply(entries));
  ASSERT_TRUE(s);
  ASSERT_EQ(s->files.size(), 1u);
  EXPECT_EQ(s->files[0], entries[0]);
  auto f = parse_announce_response(encode_failure("nope"));
  EXPECT_EQ(f.error().context, "nope");
}

}  // namespace
}  // namespace ccbt::tracker::server
