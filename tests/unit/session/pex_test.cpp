// pex_state: when and what we tell a peer (full list first, then diffs, once a minute), and how
// often we listen.
#include <gtest/gtest.h>

#include "session/pex.hpp"

namespace ccbt::session_detail {
namespace {

using namespace std::chrono_literals;
using clock = pex_state::clock;

wire::pex_peer peer(std::uint8_t last, std::uint16_t port = 6881, std::uint8_t flags = 0) {
  wire::pex_peer p;
  p.ip.size = 4;
  p.ip.bytes = {10, 0, 0, last};
  p.port = port;
  p.flags = flags;
  return p;
}

wire::pex_peer peer6(std::uint16_t port) {
  wire::pex_peer p;
  p.ip.size = 16;
  p.ip.bytes[15] = 1;
  p.port = port;
  return p;
}

pex_state with_peer_support() {
  pex_state s;
  wire::extension_handshake h;
  h.m = {{"ut_pex", 7}};
  s.on_handshake(h);
  return s;
}

TEST(Pex, NothingWithoutPeerSupport) {
  pex_state s;
  EXPECT_FALSE(s.their_id());
  EXPECT_FALSE(s.next_message(clock::now(), {peer(1)}));
  wire::extension_handshake h;
  h.m = {{"ut_pex", 0}};  // disabled
  s.on_handshake(h);
  EXPECT_FALSE(s.next_message(clock::now(), {peer(1)}));
}

TEST(Pex, FirstFullListThenDiffsOnceAMinute) {
  auto s = with_peer_support();
  EXPECT_EQ(s.their_id(), 7);
  const auto t0 = clock::now();
  EXPECT_FALSE(s.next_message(t0, {}));  // nothing to say yet: nothing sent, no timer started
  auto m = s.next_message(t0 + 1s, {peer(1, 1, wire::pex_flag::seed), peer6(2), peer(2)});
  ASSERT_TRUE(m);
  ASSERT_EQ(m->added.size(), 3U);
  EXPECT_EQ(m->added[0], peer(1, 1, wire::pex_flag::seed));
  EXPECT_EQ(m->added[1], peer(2));   // IPv4 first
  EXPECT_EQ(m->added[2], peer6(2));
  EXPECT_TRUE(m->dropped.empty());
  // Within the minute: nothing, whatever changed.
  EXPECT_FALSE(s.next_message(t0 + 60s, {peer(3)}));
  // After it: the difference only (flags of a known peer do not matter).
  m = s.next_message(t0 + 61s, {peer(1, 1, 0), peer(3)});
  ASSERT_TRUE(m);
  ASSERT_EQ(m->added.size(), 1U);
  EXPECT_EQ(m->added[0], peer(3));
  ASSERT_EQ(m->dropped.size(), 2U);
  EXPECT_EQ(m->dropped[0], peer(2));
  EXPECT_EQ(m->dropped[1], peer6(2));
  EXPECT_EQ(s.advertised().size(), 2U);
  // No change: no message, and the next change may go out at once (a minute has passed).
  EXPECT_FALSE(s.next_message(t0 + 200s, {peer(1, 1), peer(3)}));
  m = s.next_message(t0 + 201s, {peer(1, 1), peer(3), peer(4)});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->added.size(), 1U);
}

TEST(Pex, AtMostFiftyPerMessage) {
  auto s = with_peer_support();
  std::vector<wire::pex_peer> many;
  for (int i = 0; i < 120; ++i) many.push_back(peer(static_cast<std::uint8_t>(i)));
  const auto t0 = clock::now();
  auto m = s.next_message(t0, many);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->added.size(), pex_state::max_added_per_message);
  m = s.next_message(t0 + 60s, many);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->added.size(), pex_state::max_added_per_message);
  m = s.next_message(t0 + 120s, many);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->added.size(), 20U);
  EXPECT_EQ(s.advertised().size(), 120U);
  m = s.next_message(t0 + 180s, {});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->dropped.size(), pex_state::max_dropped_per_message);
}

TEST(Pex, ReceiveRateLimit) {
  pex_state s;
  const auto t0 = clock::now();
  EXPECT_TRUE(s.accept_message(t0));
  EXPECT_FALSE(s.accept_message(t0 + 5s));
  EXPECT_FALSE(s.accept_message(t0 + 19s));
  EXPECT_TRUE(s.accept_message(t0 + 20s));
}

}  // namespace
}  // namespace ccbt::session_detail
