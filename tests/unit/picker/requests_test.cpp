// Request bookkeeping: endgame duplicates and cancels, timeouts, rejects, disconnects, hash results,
// piece and block sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "fake_torrent.hpp"

namespace ccbt::picker::test {
namespace {

std::set<peer_token> cancel_set(const receive_result& r) { return {r.cancels().begin(), r.cancels().end()}; }

TEST(PickerRequests, EndgameDuplicatesAndCancels) {
  fake_torrent t(2, 2 * block_size);
  piece_picker p(t);
  EXPECT_FALSE(p.in_endgame());  // nothing requested yet
  p.on_peer_have_all();
  EXPECT_FALSE(p.in_endgame());
  const auto a = pick(p, seed_view(1), 10);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_TRUE(p.in_endgame());
  EXPECT_TRUE(pick(p, seed_view(1), 10).empty());  // never twice to the same peer
  auto snubbed = seed_view(5);
  snubbed.snubbed = true;
  EXPECT_TRUE(pick(p, snubbed, 10).empty());  // snubbed peers take no duplicate slot
  EXPECT_EQ(pick(p, seed_view(2), 10).size(), 4u);
  EXPECT_EQ(pick(p, seed_view(3), 10).size(), 4u);
  EXPECT_TRUE(pick(p, seed_view(4), 10).empty());  // max_copies reached
  for (const auto& b : a) EXPECT_EQ(p.request_count(b), max_copies);

  const auto r = p.on_block_received(2, {0, 0});
  EXPECT_TRUE(r.accepted);
  EXPECT_FALSE(r.piece_complete);
  EXPECT_EQ(cancel_set(r), (std::set<peer_token>{1, 3}));
  EXPECT_EQ(p.request_count({0, 0}), 0u);
  EXPECT_EQ(p.state(block_ref{0, 0}), block_state::received);
  const auto late = p.on_block_received(1, {0, 0});  // a cancelled duplicate arrives anyway
  EXPECT_FALSE(late.accepted);
  EXPECT_EQ(late.cancel_count, 0);

  const auto r2 = p.on_block_received(3, {0, 1});
  EXPECT_TRUE(r2.accepted);
  EXPECT_TRUE(r2.piece_complete);
  EXPECT_EQ(cancel_set(r2), (std::set<peer_token>{1, 2}));
  EXPECT_EQ(p.state(0), piece_state::received);
}

TEST(PickerRequests, EndgameFewestCopiesFirstAndOnlyPiecesThePeerHas) {
  fake_torrent t(3, 2 * block_size);
  piece_picker p(t);
  ASSERT_EQ(pick(p, seed_view(1), 6).size(), 6u);
  const auto b = pick(p, seed_view(2), 2);
  ASSERT_EQ(b.size(), 2u);
  const piece_index q = b[0].piece;
  EXPECT_EQ(b, (std::vector<block_ref>{{q, 0}, {q, 1}}));
  // Peer 3: the blocks with one copy first (the other two pieces), then the third copy of q.
  const auto c = pick(p, seed_view(3), 5);
  ASSERT_EQ(c.size(), 5u);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_NE(c[k].piece, q);
  EXPECT_EQ(c[4].piece, q);
  // A peer with only one piece duplicates only that piece.
  const piece_index r = q == 2 ? 1 : 2;
  const auto has_r = set_of(3, {r});
  const auto d = pick(p, view_of(4, has_r), 5);
  EXPECT_EQ(d, (std::vector<block_ref>{{r, 0}, {r, 1}}));
}

TEST(PickerRequests, NoEndgameWhileSomethingAvailableIsUnrequested) {
  fake_torrent t(3, block_size);
  piece_picker p(t);
  const auto only0 = set_of(3, {0});
  const auto only1 = set_of(3, {1});
  p.on_peer_bitfield(only0);
  p.on_peer_bitfield(only1);
  EXPECT_EQ(pick(p, view_of(1, only0), 4).size(), 1u);
  EXPECT_FALSE(p.in_endgame());  // piece 1 is wanted, available and unrequested
  EXPECT_TRUE(pick(p, view_of(2, only0), 4).empty());
  EXPECT_EQ(pick(p, view_of(3, only1), 4).size(), 1u);
  // Only piece 2 is left, and nobody has it: endgame for the rest.
  EXPECT_TRUE(p.in_endgame());
  EXPECT_EQ(pick(p, view_of(2, only0), 4), (std::vector<block_ref>{{0, 0}}));
  // A seed appears: piece 2 is available and unrequested again.
  p.on_peer_have_all();
  EXPECT_FALSE(p.in_endgame());
  EXPECT_TRUE(pick(p, peer_view{}, 4).empty());  // no token, no pieces: nothing
}

TEST(PickerRequests, TimeoutAndRejectMoveTheBlockToAnotherPeer) {
  fake_torrent t(2, 4 * block_size);
  piece_picker p(t);
  const auto a = pick(p, seed_view(1), 2);
  ASSERT_EQ(a.size(), 2u);
  const piece_index x = a[0].piece, y = 1 - x;
  EXPECT_EQ(a, (std::vector<block_ref>{{x, 0}, {x, 1}}));
  p.on_request_timeout(1, {x, 0});
  p.on_request_rejected(1, {x, 1});
  EXPECT_EQ(p.state(block_ref{x, 0}), block_state::none);
  EXPECT_EQ(p.request_count({x, 1}), 0u);
  EXPECT_EQ(p.state(x), piece_state::partial);  // kept: it remembers whom not to ask
  // Peer 1 does not get them back while it has other work.
  EXPECT_EQ(pick(p, seed_view(1), 2), (std::vector<block_ref>{{x, 2}, {x, 3}}));
  EXPECT_EQ(pick(p, seed_view(1), 2), (std::vector<block_ref>{{y, 0}, {y, 1}}));
  // Peer 2 does, before anything new.
  EXPECT_EQ(pick(p, seed_view(2), 2), (std::vector<block_ref>{{x, 0}, {x, 1}}));
  // Endgame duplicates skip the marked peer too.
  EXPECT_EQ(pick(p, seed_view(1), 10), (std::vector<block_ref>{{y, 2}, {y, 3}}));
  EXPECT_TRUE(p.in_endgame());
  EXPECT_TRUE(pick(p, seed_view(1), 10).empty());
}

TEST(PickerRequests, TimedOutBlockReturnsToTheSamePeerWhenNothingElseIsLeft) {
  fake_torrent t(1, 2 * block_size);
  piece_picker p(t);
  const auto only = set_of(1, {0});
  ASSERT_EQ(pick(p, view_of(1, only), 2).size(), 2u);
  p.on_request_timeout(1, {0, 1});
  EXPECT_EQ(pick(p, view_of(1, only), 2), (std::vector<block_ref>{{0, 1}}));
}

TEST(PickerRequests, CancelDoesNotMarkThePeer) {
  fake_torrent t(2, 4 * block_size);
  piece_picker p(t);
  const auto a = pick(p, seed_view(1), 2);
  ASSERT_EQ(a.size(), 2u);
  p.on_request_cancelled(1, a[0]);
  EXPECT_EQ(pick(p, seed_view(1), 1), (std::vector<block_ref>{a[0]}));
  p.on_request_cancelled(1, a[0]);
  p.on_request_cancelled(1, a[1]);
  EXPECT_EQ(p.state(a[0].piece), piece_state::missing);  // nothing left: back to missing
  EXPECT_EQ(p.num_downloading(), 0u);
}

TEST(PickerRequests, DataFromAPeerThatTimedOutIsStillAccepted) {
  fake_torrent t(1, 2 * block_size);
  piece_picker p(t);
  ASSERT_EQ(pick(p, seed_view(1), 1).size(), 1u);
  p.on_request_timeout(1, {0, 0});
  ASSERT_EQ(pick(p, seed_view(2), 1), (std::vector<block_ref>{{0, 0}}));
  const auto r = p.on_block_received(1, {0, 0});  // the slow peer delivers after all
  EXPECT_TRUE(r.accepted);
  EXPECT_EQ(cancel_set(r), (std::set<peer_token>{2}));
}

TEST(PickerRequests, AbortAndDisconnectReturnEverything) {
  fake_torrent t(4, 2 * block_size);
  piece_picker p(t);
  auto has = piece_set(4, true);
  p.on_peer_bitfield(has);
  const auto v = view_of(1, has);
  EXPECT_EQ(pick(p, v, 5).size(), 5u);
  EXPECT_EQ(pick(p, seed_view(2), 2).size(), 2u);
  EXPECT_TRUE(p.on_block_received(1, {pick(p, seed_view(3), 1).at(0)}).accepted);  // 3's block, sent by 1
  EXPECT_EQ(p.num_downloading(), 4u);
  p.on_peer_disconnected(v);
  for (piece_index i = 0; i < 4; ++i) EXPECT_EQ(p.availability(i), 0u);
  EXPECT_EQ(p.abort_requests(1), 0u);
  EXPECT_EQ(p.abort_requests(2), 2u);
  // Only the received block keeps a record.
  EXPECT_EQ(p.num_downloading(), 1u);
  EXPECT_EQ(pick(p, seed_view(4), 100).size(), 7u);
}

TEST(PickerRequests, HashFailureReturnsContributorsAndRestarts) {
  fake_torrent t(2, 4 * block_size);
  piece_picker p(t);
  p.set_piece_priority(1, 0);
  const auto a = pick(p, seed_view(1), 4);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_TRUE(p.on_block_received(1, {0, 0}).accepted);
  EXPECT_TRUE(p.on_block_received(7, {0, 1}).accepted);  // someone else sent it
  EXPECT_TRUE(p.on_block_received(1, {0, 2}).accepted);
  p.on_block_written({0, 0});
  EXPECT_EQ(p.state(block_ref{0, 0}), block_state::written);
  const auto last = p.on_block_received(9, {0, 3});
  EXPECT_TRUE(last.piece_complete);
  EXPECT_EQ(cancel_set(last), (std::set<peer_token>{1}));
  EXPECT_EQ(p.state(0), piece_state::received);
  EXPECT_TRUE(pick(p, seed_view(2), 4).empty());

  auto peers = p.on_hash_failed(0);
  std::sort(peers.begin(), peers.end());
  EXPECT_EQ(peers, (std::vector<peer_token>{1, 7, 9}));
  EXPECT_EQ(p.state(0), piece_state::missing);
  EXPECT_EQ(p.state(block_ref{0, 0}), block_state::none);
  EXPECT_TRUE(p.on_hash_failed(0).empty());  // nothing to blame twice
  EXPECT_EQ(pick(p, seed_view(2), 8).size(), 4u);
  for (std::uint32_t b = 0; b < 4; ++b) p.on_block_received(2, {0, b});
  EXPECT_EQ(p.on_hash_failed(0), (std::vector<peer_token>{2}));
}

TEST(PickerRequests, VerifiedPieceBecomesHave) {
  fake_torrent t(3, block_size);
  piece_picker p(t);
  EXPECT_EQ(p.wanted_remaining(), 3u);
  const auto x = pick(p, seed_view(1), 1);
  ASSERT_EQ(x.size(), 1u);
  const auto got = pick(p, seed_view(2), 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(p.on_block_received(1, x[0]).piece_complete);
  EXPECT_TRUE(p.on_piece_verified(x[0].piece).empty());
  EXPECT_TRUE(p.have(x[0].piece));
  EXPECT_EQ(p.num_have(), 1u);
  EXPECT_EQ(p.wanted_remaining(), 2u);
  EXPECT_EQ(p.num_downloading(), 2u);
  // A piece obtained elsewhere while requested: its outstanding requests are returned to cancel.
  EXPECT_EQ(p.on_piece_verified(got[0].piece), (std::vector<peer_request>{{2, got[0]}}));
  EXPECT_FALSE(p.on_block_received(2, got[0]).accepted);
  EXPECT_EQ(p.num_have(), 2u);
  EXPECT_EQ(p.num_downloading(), 1u);
}

TEST(PickerRequests, UnsolicitedBlocks) {
  fake_torrent t(3, 2 * block_size);
  piece_picker p(t);
  p.set_piece_priority(2, 0);
  EXPECT_FALSE(p.on_block_received(1, {2, 0}).accepted);  // not wanted
  EXPECT_FALSE(p.on_block_received(1, {0, 5}).accepted);  // out of range
  EXPECT_FALSE(p.on_block_received(1, {9, 0}).accepted);
  const auto r = p.on_block_received(1, {1, 1});           // wanted, never requested: keep it
  EXPECT_TRUE(r.accepted);
  EXPECT_EQ(p.state(1), piece_state::partial);
  EXPECT_EQ(pick(p, seed_view(2), 1), (std::vector<block_ref>{{1, 0}}));
}

TEST(PickerRequests, LastPieceShort) {
  fake_torrent t(3, 2 * block_size, 20000);
  piece_picker p(t);
  EXPECT_EQ(p.blocks_in_piece(0), 2u);
  EXPECT_EQ(p.blocks_in_piece(2), 2u);
  EXPECT_EQ(p.block_length({2, 0}), block_size);
  EXPECT_EQ(p.block_length({2, 1}), 20000u - block_size);
  EXPECT_EQ(p.block_length({2, 2}), 0u);
  fake_torrent tiny(1, 100);
  piece_picker q(tiny);
  EXPECT_EQ(q.blocks_in_piece(0), 1u);
  EXPECT_EQ(pick(q, seed_view(1), 5), (std::vector<block_ref>{{0, 0}}));
  EXPECT_EQ(q.block_length({0, 0}), 100u);
}

TEST(PickerRequests, PiecesOfDifferentSizesV2) {
  // BEP 52: the last piece of every file is short.
  fake_torrent t(std::vector<std::uint32_t>{4 * block_size, 5000, 4 * block_size, 3 * block_size + 1});
  piece_picker p(t);
  p.set_strategy(strategy::sequential);
  const auto all = pick(p, seed_view(1), 100);
  std::vector<block_ref> expected;
  for (piece_index i = 0; i < 4; ++i)
    for (std::uint32_t b = 0; b < p.blocks_in_piece(i); ++b) expected.push_back({i, b});
  EXPECT_EQ(all, expected);
  EXPECT_EQ(all.size(), 4u + 1 + 4 + 4);
  EXPECT_EQ(p.block_length({3, 3}), 1u);
  EXPECT_EQ(p.block_length({1, 0}), 5000u);
}

TEST(PickerRequests, Interest) {
  fake_torrent t(200, 2 * block_size);
  piece_picker p(t);
  piece_set ours(200, true);
  ours.reset(150);
  ours.reset(151);
  p.set_have(ours);
  p.set_piece_priority(151, 0);
  const auto has151 = set_of(200, {0, 151});
  const auto has150 = set_of(200, {3, 150});
  EXPECT_FALSE(p.is_interesting(view_of(1, has151)));  // only pieces we have or skip
  EXPECT_TRUE(p.is_interesting(view_of(2, has150)));
  EXPECT_TRUE(p.is_interesting(seed_view(3)));
  EXPECT_FALSE(p.is_interesting(peer_view{}));
  EXPECT_TRUE(p.wants(150));
  EXPECT_FALSE(p.wants(151));
  EXPECT_FALSE(p.wants(0));
  // Downloading (not in the pickable set) still counts until every block is received.
  ASSERT_EQ(pick(p, seed_view(3), 2).size(), 2u);
  EXPECT_TRUE(p.is_interesting(view_of(2, has150)));
  p.on_block_received(3, {150, 0});
  EXPECT_TRUE(p.on_block_received(3, {150, 1}).piece_complete);
  EXPECT_FALSE(p.wants(150));
  EXPECT_FALSE(p.is_interesting(view_of(2, has150)));
  EXPECT_FALSE(p.is_interesting(seed_view(3)));
}

TEST(PickerRequests, ResumeSetHave) {
  fake_torrent t(5, block_size);
  piece_picker p(t);
  p.set_piece_priority(4, 0);
  p.set_have(set_of(5, {0, 2, 4}));
  EXPECT_EQ(p.num_have(), 3u);
  EXPECT_EQ(p.wanted_remaining(), 2u);
  p.set_have(set_of(5, {0}));  // idempotent
  EXPECT_EQ(p.num_have(), 3u);
  const auto got = pick(p, seed_view(1), 10);
  std::set<piece_index> pieces;
  for (const auto& b : got) pieces.insert(b.piece);
  EXPECT_EQ(pieces, (std::set<piece_index>{1, 3}));
  EXPECT_EQ(p.state(block_ref{2, 0}), block_state::written);
}

}  // namespace
}  // namespace ccbt::picker::test
