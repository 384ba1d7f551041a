#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "choker/choker.hpp"

namespace ccbt::choker {
namespace {

peer_state peer(peer_id id, double down, bool interested = true) {
  peer_state p;
  p.id = id;
  p.interested = interested;
  p.download_rate = down;
  p.connected_at = 0;
  return p;
}

bool contains(const std::vector<peer_id>& v, peer_id id) { return std::find(v.begin(), v.end(), id) != v.end(); }

TEST(Choker, LeechingUnchokesFastestUploaders) {
  std::vector<peer_state> peers = {peer(1, 10), peer(2, 500), peer(3, 300), peer(4, 50), peer(5, 400), peer(6, 1000, false)};
  config cfg;
  cfg.slots = 3;
  const auto d = regular_round(peers, mode::leeching, cfg, 100);
  EXPECT_EQ(d.unchoke, (std::vector<peer_id>{2, 3, 5}));
  EXPECT_TRUE(d.choke.empty());
}

TEST(Choker, ChokesPeersThatFellBehindAndKeepsOptimistic) {
  std::vector<peer_state> peers = {peer(1, 10), peer(2, 500), peer(3, 300), peer(4, 50)};
  peers[0].unchoked = true;                           // slow, loses its slot
  peers[3].unchoked = peers[3].optimistic = true;     // optimistic keeps its slot whatever its rate
  config cfg;
  cfg.slots = 3;
  const auto d = regular_round(peers, mode::leeching, cfg, 100);
  EXPECT_EQ(d.unchoke, (std::vector<peer_id>{2, 3}));
  EXPECT_EQ(d.choke, (std::vector<peer_id>{1}));
}

TEST(Choker, SnubbedAndUploadOnlyPeersRankLast) {
  std::vector<peer_state> peers = {peer(1, 900), peer(2, 100), peer(3, 800)};
  peers[0].snubbed = true;
  peers[2].upload_only = true;
  config cfg;
  cfg.slots = 2;
  const auto d = regular_round(peers, mode::leeching, cfg, 100);
  EXPECT_TRUE(contains(d.unchoke, 2));
  EXPECT_TRUE(contains(d.unchoke, 3));   // fills the slot nobody better wants
  EXPECT_FALSE(contains(d.unchoke, 1));  // snubbed never holds a regular slot while leeching
}

TEST(Choker, SeedingRotatesPeersWhoseTurnIsOver) {
  std::vector<peer_state> peers = {peer(1, 0), peer(2, 0), peer(3, 0), peer(4, 0)};
  for (auto& p : peers) p.upload_rate = 100;
  peers[0].unchoked = true;
  peers[0].last_unchoked = 0;    // turn over at now=100 (rotation 30 s)
  peers[1].unchoked = true;
  peers[1].last_unchoked = 90;   // still in its turn
  config cfg;
  cfg.slots = 2;
  const auto d = regular_round(peers, mode::seeding, cfg, 100);
  EXPECT_EQ(d.choke, (std::vector<peer_id>{1}));
  ASSERT_EQ(d.unchoke.size(), 1u);
  EXPECT_TRUE(d.unchoke[0] == 3 || d.unchoke[0] == 4);
}

TEST(Choker, SeedingEveryInterestedPeerGetsATurn) {
  std::vector<peer_state> peers;
  for (peer_id i = 1; i <= 8; ++i) peers.push_back(peer(i, 0));
  config cfg;
  cfg.slots = 2;
  std::map<peer_id, int> turns;
  for (seconds now = 100; now < 100 + 10 * 40; now += 10) {
    const auto d = regular_round(peers, mode::seeding, cfg, now);
    for (auto& p : peers) {
      if (contains(d.unchoke, p.id)) {
        p.unchoked = true;
        p.last_unchoked = now;
        ++turns[p.id];
      }
      if (contains(d.choke, p.id)) p.unchoked = false;
    }
    EXPECT_EQ(std::count_if(peers.begin(), peers.end(), [](auto& p) { return p.unchoked; }), 2);
  }
  EXPECT_EQ(turns.size(), 8u);  // nobody starves
}

TEST(Choker, OptimisticPrefersNewPeersAndSkipsUnchoked) {
  std::vector<peer_state> peers = {peer(1, 0), peer(2, 0), peer(3, 0)};
  peers[0].connected_at = 0;     // old
  peers[1].connected_at = 990;   // new at now=1000
  peers[2].unchoked = true;      // already unchoked: never the optimistic pick
  config cfg;
  std::mt19937_64 rng(42);
  std::map<peer_id, int> picks;
  for (int i = 0; i < 4000; ++i) ++picks[*optimistic_round(peers, mode::leeching, cfg, 1000, rng)];
  EXPECT_EQ(picks.count(3), 0u);
  // Weight 3:1 -> about 3000 vs 1000.
  EXPECT_GT(picks[2], 2700);
  EXPECT_LT(picks[2], 3300);
}

TEST(Choker, OptimisticWithoutCandidates) {
  std::vector<peer_state> peers = {peer(1, 0, false)};
  std::mt19937_64 rng(1);
  EXPECT_FALSE(optimistic_round(peers, mode::leeching, config{}, 10, rng).has_value());
}

}  // namespace
}  // namespace ccbt::choker
