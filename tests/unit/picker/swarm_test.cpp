// Property test: a simulated swarm (peers joining and leaving, random arrivals, timeouts, rejects,
// hash failures, strategy, priority and streaming changes) runs until the wanted pieces are
// complete. Checked all along: no priority-0 piece is picked, nobody gets a block it already has
// requested, at most max_copies requests per block, each block is accepted once per attempt of its
// piece, hash failures blame exactly the senders, availability and request counts match a model.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "fake_torrent.hpp"

namespace ccbt::picker::test {
namespace {

struct sim_peer {
  bool connected = false;
  bool has_all = false;
  bool snubbed = false;
  bool choked = false;
  piece_set has;
  std::vector<piece_index> fast;
  std::set<std::pair<piece_index, std::uint32_t>> outstanding;
};

void run_swarm(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto rnd = [&](std::uint64_t n) { return static_cast<std::uint32_t>(rng() % n); };

  const piece_index n = 40 + rnd(200);
  std::vector<std::uint32_t> sizes(n);
  for (auto& s : sizes) s = rnd(4) == 0 ? 1 + rnd(3 * block_size) : (1 + rnd(4)) * block_size;
  fake_torrent t(sizes);
  piece_picker p(t, seed);
  std::vector<std::uint8_t> prio(n);
  for (auto& x : prio) x = static_cast<std::uint8_t>(rnd(5) == 0 ? 0 : 1 + rnd(7));
  p.set_piece_priorities(prio);

  std::vector<sim_peer> peers(12);
  auto connect = [&](peer_token k) {
    sim_peer& s = peers[k];
    s.connected = true;
    s.has_all = k == 0 || rnd(6) == 0;  // peer 0: a seed that never leaves, so everything completes
    s.has = piece_set(n);
    s.fast.clear();
    if (s.has_all) {
      p.on_peer_have_all();
    } else {
      const auto density = 1 + rnd(9);
      for (piece_index i = 0; i < n; ++i)
        if (rnd(10) < density) s.has.set(i);
      p.on_peer_bitfield(s.has);
    }
    for (int f = 0; f < 3; ++f) s.fast.push_back(rnd(n));
  };
  auto view = [&](peer_token k) {
    peer_view v;
    v.token = k;
    v.has_all = peers[k].has_all;
    v.has = &peers[k].has;
    v.snubbed = peers[k].snubbed;
    v.choked = peers[k].choked;
    v.allowed_fast = peers[k].fast;
    return v;
  };
  for (peer_token k = 0; k < peers.size(); ++k) connect(k);

  // accepted[piece][block]: times accepted in the current attempt of the piece; senders per piece.
  std::vector<std::vector<int>> accepted(n);
  std::vector<std::set<peer_token>> senders(n);
  for (piece_index i = 0; i < n; ++i) accepted[i].assign(p.blocks_in_piece(i), 0);
  std::vector<std::pair<peer_token, block_ref>> cancelled;  // may still arrive
  std::uint32_t verified_wanted = 0;

  auto deliver = [&](peer_token k, block_ref b) {
    const auto r = p.on_block_received(k, b);
    if (!r.accepted) return;
    ASSERT_LT(b.block, accepted[b.piece].size());
    ASSERT_EQ(++accepted[b.piece][b.block], 1) << "block accepted twice";
    senders[b.piece].insert(k);
    for (const peer_token c : r.cancels()) {
      ASSERT_NE(c, k);
      ASSERT_EQ(peers[c].outstanding.erase({b.piece, b.block}), 1u) << "cancel for a request not outstanding";
      cancelled.emplace_back(c, b);
    }
    if (!r.piece_complete) return;
    for (const int a : accepted[b.piece]) ASSERT_EQ(a, 1);
    if (rnd(8) == 0) {  // corrupt data
      auto blamed = p.on_hash_failed(b.piece);
      ASSERT_EQ(std::set<peer_token>(blamed.begin(), blamed.end()), senders[b.piece]);
      ASSERT_EQ(blamed.size(), senders[b.piece].size());
      std::fill(accepted[b.piece].begin(), accepted[b.piece].end(), 0);
      senders[b.piece].clear();
    } else {
      ASSERT_TRUE(p.on_piece_verified(b.piece).empty());
      if (p.piece_priority(b.piece) > 0) ++verified_wanted;
    }
  };

  auto check_model = [&] {
    std::map<std::pair<piece_index, std::uint32_t>, std::size_t> reqs;
    for (const auto& s : peers)
      for (const auto& o : s.outstanding) ++reqs[o];
    for (piece_index i = 0; i < n; ++i) {
      std::uint32_t avail = 0;
      for (const auto& s : peers)
        if (s.connected && (s.has_all || s.has.test(i))) ++avail;
      ASSERT_EQ(p.availability(i), avail) << i;
      for (std::uint32_t b = 0; b < p.blocks_in_piece(i); ++b) {
        const auto it = reqs.find({i, b});
        ASSERT_EQ(p.request_count({i, b}), it == reqs.end() ? 0 : it->second) << i << "/" << b;
      }
    }
  };

  std::vector<block_ref> out;
  std::size_t steps = 0;
  for (; p.wanted_remaining() > 0 && steps < 200000; ++steps) {
    const auto k = static_cast<peer_token>(rnd(peers.size()));
    sim_peer& s = peers[k];
    const auto ev = rnd(100);
    if (!s.connected) {
      if (ev < 20) connect(k);
      continue;
    }
    if (ev < 35) {  // pick
      out.clear();
      const std::size_t want = 1 + rnd(12);
      p.pick(view(k), want, out);
      const bool endgame = p.in_endgame();
      ASSERT_LE(out.size(), want);
      for (const auto& b : out) {
        ASSERT_LT(b.piece, n);
        ASSERT_GT(p.piece_priority(b.piece), 0) << "priority 0 piece picked";
        ASSERT_TRUE(s.has_all || s.has.test(b.piece));
        if (s.choked) {
          ASSERT_NE(std::find(s.fast.begin(), s.fast.end(), b.piece), s.fast.end());
        }
        ASSERT_TRUE(s.outstanding.insert({b.piece, b.block}).second) << "same block twice to one peer";
        ASSERT_LE(p.request_count(b), max_copies);
        if (p.request_count(b) > 1) {
          ASSERT_TRUE(endgame) << "duplicate outside endgame";
        }
        ASSERT_GT(p.block_length(b), 0u);
      }
    } else if (ev < 70) {  // a requested block arrives
      if (s.outstanding.empty()) continue;
      auto it = s.outstanding.begin();
      std::advance(it, rnd(s.outstanding.size()));
      const block_ref b{it->first, it->second};
      s.outstanding.erase(it);
      deliver(k, b);
    } else if (ev < 74) {  // a cancelled request arrives anyway
      if (cancelled.empty()) continue;
      const auto idx = rnd(cancelled.size());
      const auto [c, b] = cancelled[idx];
      cancelled.erase(cancelled.begin() + idx);
      if (peers[c].connected && !peers[c].outstanding.count({b.piece, b.block})) deliver(c, b);
    } else if (ev < 80) {  // timeout / reject / our cancel
      if (s.outstanding.empty()) continue;
      const auto o = *s.outstanding.begin();
      s.outstanding.erase(s.outstanding.begin());
      const block_ref b{o.first, o.second};
      if (ev < 76) p.on_request_timeout(k, b);
      else if (ev < 78) p.on_request_rejected(k, b);
      else p.on_request_cancelled(k, b);
    } else if (ev < 84) {  // new have
      if (s.has_all) continue;
      const auto i = rnd(n);
      if (s.has.set(i)) p.on_peer_have(i);
    } else if (ev < 86) {  // disconnect (never the seed 0)
      if (k == 0) continue;
      p.on_peer_disconnected(view(k));
      s.outstanding.clear();
      s.connected = false;
    } else if (ev < 88) {  // choke (without fast extension semantics: requests dropped) / unchoke
      s.choked = !s.choked && k != 0;
      if (s.choked) {
        ASSERT_EQ(p.abort_requests(k), s.outstanding.size());
        s.outstanding.clear();
      }
    } else if (ev < 90) {
      s.snubbed = !s.snubbed;
    } else if (ev < 92) {
      p.set_strategy(static_cast<strategy>(rnd(3)));
    } else if (ev < 94) {  // priority change (never the seed-only view of completion: 0 allowed)
      const auto i = rnd(n);
      const auto before = p.piece_priority(i);
      const auto to = static_cast<std::uint8_t>(rnd(8));
      if (p.have(i) && before > 0 && to == 0) --verified_wanted;
      if (p.have(i) && before == 0 && to > 0) ++verified_wanted;
      p.set_piece_priority(i, to);
    } else if (ev < 96) {
      if (rnd(3) == 0) {
        p.set_stream(std::nullopt);
      } else {
        const auto b = rnd(n);
        p.set_stream(stream_window{.position = rnd(n), .window = rnd(8), .file_begin = b,
                                   .file_end = b + rnd(n - b + 1), .edge_pieces = rnd(3)});
      }
    } else if (ev < 97) {
      ASSERT_NO_FATAL_FAILURE(check_model());
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  ASSERT_EQ(p.wanted_remaining(), 0u) << "swarm did not complete in " << steps << " steps (seed " << seed << ")";
  ASSERT_NO_FATAL_FAILURE(check_model());
  std::uint32_t wanted_have = 0;
  for (piece_index i = 0; i < n; ++i) {
    if (p.piece_priority(i) == 0) continue;
    ASSERT_TRUE(p.have(i));
    ++wanted_have;
  }
  EXPECT_EQ(wanted_have, verified_wanted);
}

TEST(PickerSwarm, RandomSwarmsComplete) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE(seed);
    run_swarm(seed);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace ccbt::picker::test
