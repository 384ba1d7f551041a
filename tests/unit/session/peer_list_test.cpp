// peer_list: ranking, back-off, size cap and eviction, and the duplicate-connection rule.
#include <gtest/gtest.h>

#include "session/peer_list.hpp"

namespace ccbt::session_detail {
namespace {

using namespace std::chrono_literals;
using clock = peer_list::clock;

net::tcp::endpoint ep(int last, std::uint16_t port = 6881) {
  return {net::asio::ip::make_address("10.0.0." + std::to_string(last)), port};
}

TEST(PeerList, AddsOnceAndUpgradesSource) {
  peer_list l;
  EXPECT_EQ(l.add(ep(1), peer_source::pex), peer_list::add_result::added);
  EXPECT_EQ(l.add(ep(1), peer_source::pex), peer_list::add_result::known);
  EXPECT_EQ(l.size(), 1U);
  EXPECT_EQ(l.find(ep(1))->source, peer_source::pex);
  EXPECT_EQ(l.add(ep(1), peer_source::tracker), peer_list::add_result::known);
  EXPECT_EQ(l.find(ep(1))->source, peer_source::tracker);
  EXPECT_EQ(l.add(ep(1), peer_source::pex), peer_list::add_result::known);
  EXPECT_EQ(l.find(ep(1))->source, peer_source::tracker);  // never downgraded
  EXPECT_EQ(l.find(ep(2)), nullptr);
}

TEST(PeerList, RemembersAPeerWithoutMse) {
  peer_list l;
  l.add(ep(1), peer_source::tracker);
  l.add(ep(2), peer_source::tracker);
  EXPECT_FALSE(l.find(ep(1))->no_mse);
  l.on_mse_failed(ep(1));
  l.on_mse_failed(ep(3));  // unknown: nothing to remember it in
  EXPECT_TRUE(l.find(ep(1))->no_mse);
  EXPECT_FALSE(l.find(ep(2))->no_mse);
  EXPECT_EQ(l.find(ep(3)), nullptr);
  l.on_connected(ep(1));  // a good plaintext connection keeps the note
  l.on_closed(ep(1), clock::now(), true, false);
  EXPECT_TRUE(l.find(ep(1))->no_mse);
}

TEST(PeerList, RanksBySourceThenFailuresThenHistory) {
  peer_list l;
  const auto now = clock::now();
  l.add(ep(1), peer_source::pex);
  l.add(ep(2), peer_source::tracker);
  l.add(ep(3), peer_source::manual);
  l.add(ep(4), peer_source::incoming);
  auto c = l.candidates(now, 10);
  ASSERT_EQ(c.size(), 4U);
  EXPECT_EQ(c[0], ep(3));
  EXPECT_EQ(c[1], ep(2));
  EXPECT_EQ(c[2], ep(4));
  EXPECT_EQ(c[3], ep(1));
  // A failed manual peer, once its back-off is over, comes after every never-failed one.
  l.on_connecting(ep(3));
  l.on_connect_failed(ep(3), now);
  c = l.candidates(now + 1h, 10);
  ASSERT_EQ(c.size(), 4U);
  EXPECT_EQ(c.back(), ep(3));
  // A pex peer we had a good connection with ranks before never-reached ones.
  l.on_connecting(ep(1));
  l.on_connected(ep(1));
  l.on_closed(ep(1), now, true, false);
  c = l.candidates(now + 1h, 10);
  EXPECT_EQ(c.front(), ep(1));
  // n limits the answer to the best ones.
  c = l.candidates(now + 1h, 2);
  ASSERT_EQ(c.size(), 2U);
  EXPECT_EQ(c[0], ep(1));
  EXPECT_EQ(c[1], ep(2));
}

TEST(PeerList, TieBreakIsStable) {
  peer_list a, b;
  for (int i = 1; i <= 20; ++i) a.add(ep(i), peer_source::tracker);
  for (int i = 20; i >= 1; --i) b.add(ep(i), peer_source::tracker);
  const auto now = clock::now();
  EXPECT_EQ(a.candidates(now, 20), b.candidates(now, 20));
}

TEST(PeerList, BackOffAndActive) {
  peer_list l;
  const auto now = clock::now();
  l.add(ep(1), peer_source::tracker);
  l.on_connecting(ep(1));
  EXPECT_TRUE(l.candidates(now, 10).empty());  // active: not offered
  l.on_connect_failed(ep(1), now);
  EXPECT_EQ(l.find(ep(1))->failures, 1);
  EXPECT_TRUE(l.candidates(now + 1s, 10).empty());
  EXPECT_EQ(l.candidates(now + 2s, 10).size(), 1U);
  l.on_connecting(ep(1));
  l.on_connect_failed(ep(1), now);
  EXPECT_TRUE(l.candidates(now + 3s, 10).empty());
  EXPECT_EQ(l.candidates(now + 4s, 10).size(), 1U);
  EXPECT_EQ(peer_list::backoff(1), 2s);
  EXPECT_EQ(peer_list::backoff(8), 256s);
  EXPECT_EQ(peer_list::backoff(9), 300s);
  EXPECT_EQ(peer_list::backoff(30), 300s);
  // Closed before the handshake: a failure. After a violation: 2 minutes. After a good one: 10 s.
  l.on_connecting(ep(1));
  l.on_closed(ep(1), now, false, false);
  EXPECT_EQ(l.find(ep(1))->failures, 3);
  l.on_connecting(ep(1));
  l.on_closed(ep(1), now, true, true);
  EXPECT_TRUE(l.candidates(now + 119s, 10).empty());
  EXPECT_EQ(l.candidates(now + 120s, 10).size(), 1U);
  l.on_connecting(ep(1));
  l.on_connected(ep(1));
  l.on_closed(ep(1), now, true, false);
  EXPECT_EQ(l.find(ep(1))->failures, 0);
  EXPECT_TRUE(l.candidates(now + 9s, 10).empty());
  EXPECT_EQ(l.candidates(now + 10s, 10).size(), 1U);
  // Resume: everything at once; manual re-add: at once.
  l.on_connecting(ep(1));
  l.on_connect_failed(ep(1), now);
  l.retry_now();
  EXPECT_EQ(l.candidates(now, 10).size(), 1U);
  l.on_connecting(ep(1));
  l.on_connect_failed(ep(1), now);
  l.add(ep(1), peer_source::manual);
  EXPECT_EQ(l.candidates(now, 10).size(), 1U);
}

TEST(PeerList, SkipFilter) {
  peer_list l;
  l.add(ep(1), peer_source::tracker);
  l.add(ep(2), peer_source::tracker);
  const auto c = l.candidates(clock::now(), 10, [](const net::tcp::endpoint& e) { return e == ep(1); });
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0], ep(2));
}

TEST(PeerList, CapEvictsWorstInactive) {
  peer_list l(3);
  const auto now = clock::now();
  l.add(ep(1), peer_source::pex);
  l.add(ep(2), peer_source::pex);
  l.add(ep(3), peer_source::tracker);
  l.on_connecting(ep(1));
  l.on_connect_failed(ep(1), now);  // the worst
  // A new pex peer ranks above a failed one: it takes its place.
  EXPECT_EQ(l.add(ep(4), peer_source::pex), peer_list::add_result::added);
  EXPECT_EQ(l.size(), 3U);
  EXPECT_EQ(l.find(ep(1)), nullptr);
  // Nothing ranks below another never-tried pex peer whose hash is worse?  With only equal-failure
  // entries, a pex newcomer enters only if some pex entry's tie-break ranks below it; a tracker
  // newcomer always beats a pex entry.
  EXPECT_EQ(l.add(ep(5), peer_source::tracker), peer_list::add_result::added);
  EXPECT_EQ(l.size(), 3U);
  EXPECT_NE(l.find(ep(5)), nullptr);
  EXPECT_NE(l.find(ep(3)), nullptr);
  // Active entries are never evicted: all active -> full.
  for (int i : {3, 4, 5})
    if (l.find(ep(i))) l.on_connecting(ep(i));
  for (int i : {2})
    if (l.find(ep(i))) l.on_connecting(ep(i));
  EXPECT_EQ(l.add(ep(6), peer_source::tracker), peer_list::add_result::full);
  EXPECT_EQ(l.size(), 3U);
  // Manual peers are always taken.
  EXPECT_EQ(l.add(ep(7), peer_source::manual), peer_list::add_result::added);
  EXPECT_EQ(l.size(), 4U);
}

TEST(PeerList, CapIsBounded) {
  peer_list l(50);
  for (int i = 0; i < 2000; ++i)
    l.add(net::tcp::endpoint(net::asio::ip::make_address("10.1.0.1"), static_cast<std::uint16_t>(1000 + i)),
          i % 2 ? peer_source::pex : peer_source::tracker);
  EXPECT_EQ(l.size(), 50U);
}

TEST(DuplicateRule, KeepsTheConnectionInitiatedByTheGreaterPeerId) {
  wire::peer_id low{}, high{};
  low.fill('a');
  high.fill('b');
  // We are the greater id: our outgoing connection survives, whichever came second.
  EXPECT_TRUE(keep_newer_duplicate(true, high, low));    // newer is ours (outgoing): keep it
  EXPECT_FALSE(keep_newer_duplicate(false, high, low));  // newer is theirs (incoming): close it
  // We are the lower id: their connection (our incoming) survives.
  EXPECT_FALSE(keep_newer_duplicate(true, low, high));
  EXPECT_TRUE(keep_newer_duplicate(false, low, high));
  // Both ends agree: the same connection is outgoing at one end and incoming at the other.
  for (bool outgoing : {true, false}) {
    const bool we_keep_newer = keep_newer_duplicate(outgoing, high, low);
    const bool they_keep_newer = keep_newer_duplicate(!outgoing, low, high);
    EXPECT_EQ(we_keep_newer, they_keep_newer);
  }
}

}  // namespace
}  // namespace ccbt::session_detail
