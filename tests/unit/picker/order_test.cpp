// Which pieces come first: rarest-first, tie-break, priorities, sequential, round-robin, streaming,
// partial pieces, choked peers, peers with few pieces.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "fake_torrent.hpp"

namespace ccbt::picker::test {
namespace {

// Picks one block at a time (1-block pieces) until nothing is left; returns the pieces in order.
std::vector<piece_index> drain_order(piece_picker& p, const peer_view& v) {
  std::vector<piece_index> order;
  while (true) {
    const auto got = pick(p, v, 1);
    if (got.empty()) break;
    EXPECT_EQ(got.size(), 1u);
    order.push_back(got[0].piece);
  }
  return order;
}

TEST(PickerOrder, RarestFirst) {
  fake_torrent t(8, block_size);
  piece_picker p(t);
  const auto peers = set_availability(p, {5, 2, 7, 1, 3, 6, 4, 8});
  for (piece_index i = 0; i < 8; ++i) EXPECT_EQ(p.availability(i), (std::vector<std::uint32_t>{5, 2, 7, 1, 3, 6, 4, 8})[i]);
  EXPECT_EQ(drain_order(p, seed_view(1)), (std::vector<piece_index>{3, 1, 4, 6, 0, 5, 2, 7}));
}

TEST(PickerOrder, SeedsDoNotChangeTheOrderAndCostNothingPerPiece) {
  fake_torrent t(6, block_size);
  piece_picker p(t);
  const auto peers = set_availability(p, {3, 1, 2, 0, 5, 4});
  p.on_peer_have_all();
  p.on_peer_have_all();
  EXPECT_EQ(p.seeds(), 2u);
  EXPECT_EQ(p.availability(3), 2u);
  EXPECT_EQ(p.availability(4), 7u);
  EXPECT_EQ(drain_order(p, seed_view(9)), (std::vector<piece_index>{3, 1, 2, 0, 5, 4}));
  p.on_peer_disconnected(seed_view(100));
  EXPECT_EQ(p.seeds(), 1u);
  EXPECT_EQ(p.availability(3), 1u);
}

TEST(PickerOrder, AvailabilityFollowsHaveAndDisconnect) {
  fake_torrent t(4, block_size);
  piece_picker p(t);
  auto a = set_of(4, {0, 1});
  p.on_peer_bitfield(a);
  p.on_peer_have(1);
  p.on_peer_have(2);
  EXPECT_EQ(p.availability(0), 1u);
  EXPECT_EQ(p.availability(1), 2u);
  EXPECT_EQ(p.availability(2), 1u);
  EXPECT_EQ(p.availability(3), 0u);
  p.on_peer_disconnected(view_of(7, a));
  EXPECT_EQ(p.availability(0), 0u);
  EXPECT_EQ(p.availability(1), 1u);
  // piece 3 (0) ties with 0 and is before 2 and 1.
  const auto order = drain_order(p, seed_view(1));
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ((std::set<piece_index>{order[0], order[1]}), (std::set<piece_index>{0, 3}));
  EXPECT_EQ((std::set<piece_index>{order[2], order[3]}), (std::set<piece_index>{1, 2}));
}

TEST(PickerOrder, RandomTieBreakIsSeededAndSpread) {
  fake_torrent t(8, block_size);
  std::map<piece_index, int> first;
  std::set<std::vector<piece_index>> sequences;
  for (std::uint64_t seed = 0; seed < 800; ++seed) {
    piece_picker p(t, seed);
    const auto order = drain_order(p, seed_view(1));
    ASSERT_EQ(order.size(), 8u);
    ++first[order[0]];
    sequences.insert(order);
    piece_picker again(t, seed);
    EXPECT_EQ(drain_order(again, seed_view(1)), order) << "seed " << seed;
  }
  ASSERT_EQ(first.size(), 8u);
  for (const auto& [piece, n] : first) {
    EXPECT_GT(n, 50) << piece;  // expected 100 each
    EXPECT_LT(n, 160) << piece;
  }
  EXPECT_GT(sequences.size(), 300u);
}

TEST(PickerOrder, PrioritiesSevenBeforeOneZeroNever) {
  fake_torrent t(10, block_size);
  piece_picker p(t);
  p.set_piece_priority(2, 7);
  p.set_piece_priority(3, 7);
  p.set_piece_priority(5, 1);
  p.set_piece_priority(7, 0);
  p.set_piece_priority(8, 9);  // clamped to 7
  EXPECT_EQ(p.piece_priority(8), 7);
  EXPECT_EQ(p.wanted_remaining(), 9u);
  // Make the low-priority piece the rarest: priority still wins.
  const auto peers = set_availability(p, {3, 3, 3, 3, 3, 0, 3, 3, 3, 3});
  const auto order = drain_order(p, seed_view(1));
  ASSERT_EQ(order.size(), 9u);
  EXPECT_EQ((std::set<piece_index>(order.begin(), order.begin() + 3)), (std::set<piece_index>{2, 3, 8}));
  EXPECT_EQ(order.back(), 5u);
  EXPECT_EQ(std::count(order.begin(), order.end(), 7u), 0);
  EXPECT_EQ(p.state(7), piece_state::missing);
}

TEST(PickerOrder, PriorityZeroStopsPickingAPartialPiece) {
  fake_torrent t(2, 4 * block_size);
  piece_picker p(t);
  p.set_piece_priority(1, 0);
  const auto a = pick(p, seed_view(1), 2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], (block_ref{0, 0}));
  p.set_piece_priority(0, 0);
  EXPECT_TRUE(pick(p, seed_view(2), 8).empty());
  EXPECT_EQ(p.wanted_remaining(), 0u);
  // what was requested may still arrive
  EXPECT_TRUE(p.on_block_received(1, {0, 0}).accepted);
  // and priority back: the rest is picked again, then (endgame) a duplicate of block 1.
  p.set_piece_priority(0, 4);
  const auto b = pick(p, seed_view(2), 8);
  EXPECT_EQ(b, (std::vector<block_ref>{{0, 2}, {0, 3}, {0, 1}}));
}

TEST(PickerOrder, Sequential) {
  fake_torrent t(130, block_size);
  piece_picker p(t);
  std::vector<std::uint32_t> avail(130);
  for (piece_index i = 0; i < 130; ++i) avail[i] = 130 - i;  // rarest at the end
  const auto peers = set_availability(p, avail);
  p.set_strategy(strategy::sequential);
  p.set_piece_priority(100, 6);
  const auto order = drain_order(p, seed_view(1));
  ASSERT_EQ(order.size(), 130u);
  EXPECT_EQ(order[0], 100u);
  for (piece_index k = 1; k < 130; ++k) EXPECT_EQ(order[k], k <= 100 ? k - 1 : k) << k;
}

TEST(PickerOrder, SequentialGoesBackToAFreedPieceRoundRobinMovesOn) {
  for (const auto s : {strategy::sequential, strategy::round_robin}) {
    fake_torrent t(5, block_size);
    piece_picker p(t);
    p.set_strategy(s);
    const auto a = seed_view(1);
    EXPECT_EQ(pick(p, a, 1), (std::vector<block_ref>{{0, 0}}));
    EXPECT_EQ(pick(p, a, 1), (std::vector<block_ref>{{1, 0}}));
    p.on_request_cancelled(1, {0, 0});  // piece 0 is missing again
    EXPECT_EQ(p.state(0), piece_state::missing);
    const auto next = pick(p, a, 1);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].piece, s == strategy::sequential ? 0u : 2u);
    if (s == strategy::round_robin) {  // the cursor wraps to piece 0 after the end
      EXPECT_EQ(pick(p, a, 3), (std::vector<block_ref>{{3, 0}, {4, 0}, {0, 0}}));
    }
  }
}

TEST(PickerOrder, InOrderStrategiesOnlyTakeWhatThePeerHas) {
  for (const auto s : {strategy::sequential, strategy::round_robin}) {
    fake_torrent t(200, block_size);
    piece_picker p(t);
    p.set_strategy(s);
    const auto has = set_of(200, {3, 70, 150, 199});
    EXPECT_EQ(drain_order(p, view_of(1, has)), (std::vector<piece_index>{3, 70, 150, 199}));
  }
}

TEST(PickerOrder, StreamingEdgesThenWindowThenStrategy) {
  fake_torrent t(100, block_size);
  piece_picker p(t);
  const auto peers = set_availability(p, std::vector<std::uint32_t>(100, 2));
  p.on_peer_have(90);  // the others tie; 90 is the most common
  p.set_stream(stream_window{.position = 20, .window = 4, .file_begin = 10, .file_end = 50, .edge_pieces = 1});
  auto has = piece_set(100, true);
  has.reset(49);  // this peer lacks the file's last piece: skipped, not waited for
  const auto v = view_of(1, has);
  const auto a = pick(p, v, 5);
  EXPECT_EQ(a, (std::vector<block_ref>{{10, 0}, {20, 0}, {21, 0}, {22, 0}, {23, 0}}));
  // Another peer has 49: it comes first for it.
  EXPECT_EQ(pick(p, seed_view(2), 1), (std::vector<block_ref>{{49, 0}}));
  // Snubbed peers stay out of the window.
  p.set_stream(stream_window{.position = 30, .window = 2, .file_begin = 10, .file_end = 50});
  auto snubbed = seed_view(3);
  snubbed.snubbed = true;
  const auto s = pick(p, snubbed, 1);
  EXPECT_EQ(s, (std::vector<block_ref>{{90, 0}}));  // and it takes the most common piece
  // Playback moves on: the new window first.
  EXPECT_EQ(pick(p, seed_view(2), 2), (std::vector<block_ref>{{30, 0}, {31, 0}}));
  // Without streaming: back to rarest-first (piece 60 is now the rarest).
  p.on_peer_disconnected(view_of(no_peer, set_of(100, {60})));
  p.set_stream(std::nullopt);
  EXPECT_FALSE(p.stream().has_value());
  EXPECT_EQ(pick(p, seed_view(2), 1), (std::vector<block_ref>{{60, 0}}));
}

TEST(PickerOrder, StreamingSkipsHadAndSkippedPieces) {
  fake_torrent t(20, 2 * block_size);
  piece_picker p(t);
  p.on_piece_verified(0);
  p.set_piece_priority(1, 0);
  p.set_stream(stream_window{.position = 0, .window = 4, .file_begin = 0, .file_end = 20, .edge_pieces = 2});
  // edges: 0 (have), 1 (priority 0), 18, 19; window: 0, 1 (skipped), 2, 3
  EXPECT_EQ(pick(p, seed_view(1), 7),
            (std::vector<block_ref>{{18, 0}, {18, 1}, {19, 0}, {19, 1}, {2, 0}, {2, 1}, {3, 0}}));
}

TEST(PickerOrder, PartialPiecesFirstOwnBeforeOthers) {
  fake_torrent t(10, 8 * block_size);
  piece_picker p(t);
  auto a_has = piece_set(10, true);
  const auto a = view_of(1, a_has);
  const auto first = pick(p, a, 2);
  ASSERT_EQ(first.size(), 2u);
  const piece_index x = first[0].piece;
  EXPECT_EQ(first[1], (block_ref{x, 1}));
  // C lacks x: it starts its own piece z.
  auto c_has = piece_set(10, true);
  c_has.reset(x);
  const auto c = view_of(3, c_has);
  const auto c1 = pick(p, c, 2);
  ASSERT_EQ(c1.size(), 2u);
  const piece_index z = c1[0].piece;
  EXPECT_NE(z, x);
  // Now C has x too: it still continues its own piece first.
  c_has.set(x);
  EXPECT_EQ(pick(p, c, 2), (std::vector<block_ref>{{z, 2}, {z, 3}}));
  // B continues partial pieces before starting anything new: 4 + 6 blocks left in x and z.
  const auto b = pick(p, seed_view(2), 10);
  ASSERT_EQ(b.size(), 10u);
  for (const auto& r : b) EXPECT_TRUE(r.piece == x || r.piece == z);
  EXPECT_EQ(p.state(x), piece_state::requested);
  EXPECT_EQ(p.state(z), piece_state::requested);
  EXPECT_EQ(p.num_downloading(), 2u);
}

TEST(PickerOrder, HigherPriorityPartialFirst) {
  fake_torrent t(3, 4 * block_size);
  piece_picker p(t);
  p.set_piece_priority(0, 2);
  p.set_piece_priority(1, 6);
  auto only0 = set_of(3, {0});
  auto only1 = set_of(3, {1});
  EXPECT_EQ(pick(p, view_of(1, only0), 1).at(0).piece, 0u);
  EXPECT_EQ(pick(p, view_of(2, only1), 1).at(0).piece, 1u);
  const auto c = pick(p, seed_view(3), 4);
  EXPECT_EQ(c, (std::vector<block_ref>{{1, 1}, {1, 2}, {1, 3}, {0, 1}}));
}

TEST(PickerOrder, ChokedPeerOnlyAllowedFast) {
  fake_torrent t(10, block_size);
  piece_picker p(t);
  auto v = seed_view(1);
  v.choked = true;
  EXPECT_TRUE(pick(p, v, 4).empty());
  const std::vector<piece_index> fast{7, 3, 12};  // 12 is out of range: ignored
  v.allowed_fast = fast;
  EXPECT_EQ(pick(p, v, 4), (std::vector<block_ref>{{7, 0}, {3, 0}}));
  auto has = set_of(10, {3});
  auto w = view_of(2, has);
  w.choked = true;
  const std::vector<piece_index> fast2{5};
  w.allowed_fast = fast2;  // allowed but it does not have it
  EXPECT_TRUE(pick(p, w, 4).empty());
}

TEST(PickerOrder, PeerWithFewPiecesGetsItsRarest) {
  // 20000 pieces; the peer has 6 of them: the sparse path (word scan) must keep rarest-first.
  fake_torrent t(20000, block_size);
  piece_picker p(t);
  const auto peers = set_availability(p, std::vector<std::uint32_t>(20000, 3));
  for (const piece_index i : {500u, 19000u}) p.on_peer_have(i);  // common
  auto low = set_of(20000, {12345});
  p.on_peer_disconnected(view_of(no_peer, low));  // 12345 becomes the rarest
  const auto has = set_of(20000, {500, 12345, 19000, 7, 8000, 19999});
  const auto order = drain_order(p, view_of(1, has));
  ASSERT_EQ(order.size(), 6u);
  EXPECT_EQ(order[0], 12345u);
  EXPECT_EQ((std::set<piece_index>(order.begin() + 1, order.begin() + 4)), (std::set<piece_index>{7, 8000, 19999}));
  EXPECT_EQ((std::set<piece_index>(order.begin() + 4, order.end())), (std::set<piece_index>{500, 19000}));

  // A snubbed peer with the same pieces takes the most common first.
  piece_picker q(t);
  const auto qpeers = set_availability(q, std::vector<std::uint32_t>(20000, 3));
  q.on_peer_have(19000);
  auto snubbed = view_of(2, has);
  snubbed.snubbed = true;
  EXPECT_EQ(pick(q, snubbed, 1), (std::vector<block_ref>{{19000, 0}}));
}

TEST(PickerOrder, ScanThatFindsLittleFallsBackToWordScan) {
  // We have 9000 of 10000 pieces; the peer has those 9000 and one other: the bucket scan finds almost
  // nothing and must fall back to the word scan, which finds it.
  fake_torrent t(10000, block_size);
  piece_picker p(t);
  piece_set ours(10000);
  for (piece_index i = 0; i < 9000; ++i) ours.set(i);
  p.set_have(ours);
  EXPECT_EQ(p.num_have(), 9000u);
  EXPECT_EQ(p.wanted_remaining(), 1000u);
  auto has = ours;
  has.set(9500);
  EXPECT_EQ(pick(p, view_of(1, has), 4), (std::vector<block_ref>{{9500, 0}}));
}

}  // namespace
}  // namespace ccbt::picker::test
