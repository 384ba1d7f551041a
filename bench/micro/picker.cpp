// Piece picker micro-benchmarks: 100k pieces of 256 KiB (16 blocks), 200 peers with random bitfields
// (each peer has a random share of 20..100% of the pieces), 64-block picks in a steady state where
// every peer has 64 requests outstanding. Numbers are recorded in docs/design/picker.md.
#include <benchmark/benchmark.h>

#include <time.h>

#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include "picker/piece_picker.hpp"

namespace {

using namespace ccbt::picker;

constexpr piece_index kPieces = 100000;
constexpr std::uint32_t kPeers = 200;
constexpr std::size_t kDepth = 64;

class uniform_torrent final : public torrent_view {
 public:
  [[nodiscard]] piece_index piece_count() const override { return kPieces; }
  [[nodiscard]] std::uint32_t piece_size(piece_index i) const override {
    return i + 1 == kPieces ? 100000 : 16 * block_size;
  }
};

struct swarm {
  uniform_torrent torrent;
  std::unique_ptr<piece_picker> picker;
  std::vector<piece_set> has;
  std::vector<std::vector<block_ref>> outstanding;
  std::mt19937_64 rng{42};

  explicit swarm(strategy s, double have_fraction = 0.0) {
    picker = std::make_unique<piece_picker>(torrent, 7);
    picker->set_strategy(s);
    if (have_fraction > 0) {
      piece_set ours(kPieces);
      for (piece_index i = 0; i < kPieces; ++i)
        if (static_cast<double>(rng() % 1000) < have_fraction * 1000) ours.set(i);
      picker->set_have(ours);
    }
    has.reserve(kPeers);
    for (std::uint32_t k = 0; k < kPeers; ++k) {
      const auto density = 200 + rng() % 801;  // per mille
      piece_set s(kPieces);
      for (piece_index i = 0; i < kPieces; ++i)
        if (rng() % 1000 < density) s.set(i);
      picker->on_peer_bitfield(s);
      has.push_back(std::move(s));
    }
    outstanding.resize(kPeers);
    for (std::uint32_t k = 0; k < kPeers; ++k) picker->pick(view(k), kDepth, outstanding[k]);
  }
  [[nodiscard]] peer_view view(std::uint32_t k) const {
    peer_view v;
    v.token = k;
    v.has = &has[k];
    return v;
  }
};

// Thread CPU time: the VM is shared with other builds, so wall time would count their time slices.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One iteration = every peer's 64 requests cancelled (untimed), then every peer picks 64 again (timed;
// the ns/pick counter is CPU time per pick). The picks see the others' requests in flight, as in a running download.
void run_picks(benchmark::State& state, swarm& s) {
  std::size_t picked = 0;
  double total = 0;
  for (auto _ : state) {
    for (std::uint32_t k = 0; k < kPeers; ++k) {
      for (const block_ref b : s.outstanding[k]) s.picker->on_request_cancelled(k, b);
      s.outstanding[k].clear();
    }
    const double t0 = cpu_now();
    for (std::uint32_t k = 0; k < kPeers; ++k) picked += s.picker->pick(s.view(k), kDepth, s.outstanding[k]);
    const double t = cpu_now() - t0;
    total += t;
    state.SetIterationTime(t);
  }
  const auto picks = static_cast<double>(state.iterations() * kPeers);
  state.counters["ns/pick"] = total * 1e9 / picks;
  state.counters["blocks/pick"] = static_cast<double>(picked) / picks;
}

void BM_Pick64Rarest(benchmark::State& state) {
  swarm s(strategy::rarest_first);
  run_picks(state, s);
}
BENCHMARK(BM_Pick64Rarest)->UseManualTime();

void BM_Pick64RarestHalfDone(benchmark::State& state) {
  swarm s(strategy::rarest_first, 0.5);
  run_picks(state, s);
}
BENCHMARK(BM_Pick64RarestHalfDone)->UseManualTime();

void BM_Pick64Sequential(benchmark::State& state) {
  swarm s(strategy::sequential);
  run_picks(state, s);
}
BENCHMARK(BM_Pick64Sequential)->UseManualTime();

void BM_Pick64RoundRobin(benchmark::State& state) {
  swarm s(strategy::round_robin);
  run_picks(state, s);
}
BENCHMARK(BM_Pick64RoundRobin)->UseManualTime();

// The cancels alone, to subtract from the cycles above.
// 64 cancels (CPU time per peer's 64): blocks back to the pool, pieces back into their buckets.
void BM_Cancel64(benchmark::State& state) {
  swarm s(strategy::rarest_first);
  double total = 0;
  for (auto _ : state) {
    const double t0 = cpu_now();
    for (std::uint32_t k = 0; k < kPeers; ++k) {
      for (const block_ref b : s.outstanding[k]) s.picker->on_request_cancelled(k, b);
      s.outstanding[k].clear();
    }
    const double t = cpu_now() - t0;
    total += t;
    state.SetIterationTime(t);
    for (std::uint32_t k = 0; k < kPeers; ++k) s.picker->pick(s.view(k), kDepth, s.outstanding[k]);
  }
  state.counters["ns/64cancels"] = total * 1e9 / static_cast<double>(state.iterations() * kPeers);
}
BENCHMARK(BM_Cancel64)->UseManualTime();

// A full request cycle without cancels: 64 blocks picked, received and their pieces verified, on a
// torrent that is refilled (new picker) when it completes.
void BM_PickReceiveVerify64(benchmark::State& state) {
  auto s = std::make_unique<swarm>(strategy::rarest_first);
  std::uint32_t k = 0;
  std::vector<block_ref> out;
  for (auto _ : state) {
    out.clear();
    if (s->picker->pick(s->view(k), kDepth, out) == 0) {
      state.PauseTiming();
      s = std::make_unique<swarm>(strategy::rarest_first);
      state.ResumeTiming();
      continue;
    }
    for (const block_ref b : out) {
      const auto r = s->picker->on_block_received(k, b);
      if (r.piece_complete) benchmark::DoNotOptimize(s->picker->on_piece_verified(b.piece));
    }
    k = k + 1 == kPeers ? 0 : k + 1;
  }
}
BENCHMARK(BM_PickReceiveVerify64);

// A peer that has only 0.5% of the pieces (word-scan path).
void BM_Pick64SparsePeer(benchmark::State& state) {
  swarm s(strategy::rarest_first);
  std::mt19937_64 rng(3);
  piece_set few(kPieces);
  for (int j = 0; j < 500; ++j) few.set(static_cast<piece_index>(rng() % kPieces));
  peer_view v;
  v.token = 1000;
  v.has = &few;
  std::vector<block_ref> out;
  for (auto _ : state) {
    for (const block_ref b : out) s.picker->on_request_cancelled(1000, b);
    out.clear();
    s.picker->pick(v, kDepth, out);
  }
}
BENCHMARK(BM_Pick64SparsePeer);

void BM_PeerHave(benchmark::State& state) {
  swarm s(strategy::rarest_first);
  std::mt19937_64 rng(5);
  std::vector<piece_index> idx(1 << 16);
  for (auto& i : idx) i = static_cast<piece_index>(rng() % kPieces);
  std::size_t j = 0;
  for (auto _ : state) {
    s.picker->on_peer_have(idx[j]);
    j = (j + 1) & (idx.size() - 1);
  }
}
BENCHMARK(BM_PeerHave);

// A peer connects with a bitfield (50%) and leaves: cost per piece of availability updates.
void BM_PeerBitfieldJoinLeave(benchmark::State& state) {
  swarm s(strategy::rarest_first);
  std::mt19937_64 rng(9);
  piece_set half(kPieces);
  for (piece_index i = 0; i < kPieces; ++i)
    if (rng() & 1) half.set(i);
  peer_view v;
  v.token = 5000;
  v.has = &half;
  for (auto _ : state) {
    s.picker->on_peer_bitfield(half);
    s.picker->on_peer_disconnected(v);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2 * half.count());
}
BENCHMARK(BM_PeerBitfieldJoinLeave)->Unit(benchmark::kMicrosecond);

}  // namespace
