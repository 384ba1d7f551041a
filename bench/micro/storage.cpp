// Storage layer micro-benchmarks: write throughput of 64 MiB in 16 KiB blocks through disk_io
// (in order and shuffled, every piece verified), SHA-1 / SHA-256 throughput on one core, and a
// full recheck on every core. Files go to a fresh directory under /tmp (page cache speed).
#include <benchmark/benchmark.h>

#include <stdlib.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <optional>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <ccbt/bencode.hpp>
#include <ccbt/metainfo.hpp>

#include "crypto/sha1_lanes.hpp"
#include "crypto/sha.hpp"
#include "storage/disk_io.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ccbt;

constexpr std::uint64_t total = 64u << 20;
constexpr std::uint32_t piece_length = 1u << 20;
constexpr std::uint32_t block = 16384;

class post_queue {
 public:
  storage::disk_io::executor executor() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(m_);
      q_.push_back(std::move(f));
      cv_.notify_one();
    };
  }
  void run_until(const std::function<bool()>& pred) {
    while (!pred()) {
      std::function<void()> f;
      {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return !q_.empty(); });
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

struct fixture {
  std::string payload;
  std::shared_ptr<const metainfo::torrent_info> info;

  fixture() {
    payload.resize(total);
    std::mt19937_64 rng(7);
    for (std::size_t i = 0; i < payload.size(); i += 8) {
      const std::uint64_t v = rng();
      std::memcpy(payload.data() + i, &v, 8);
    }
    std::string pieces;
    for (std::uint64_t off = 0; off < total; off += piece_length)
      pieces += crypto::sha1_digest(std::string_view(payload).substr(off, piece_length)).view();
    bencode::dict info_dict;
    info_dict["name"] = "bench.bin";
    info_dict["length"] = static_cast<std::int64_t>(total);
    info_dict["piece length"] = static_cast<std::int64_t>(piece_length);
    info_dict["pieces"] = pieces;
    bencode::dict top;
    top["info"] = info_dict;
    auto ti = metainfo::torrent_info::parse(bencode::encode(top));
    if (!ti) throw std::runtime_error(ti.error().message());
    info = std::make_shared<const metainfo::torrent_info>(std::move(*ti));
  }
  static const fixture& get() {
    static const fixture f;
    return f;
  }
};

fs::path make_dir() {
  std::string templ = "/tmp/ccbt-bench-storage-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp");
  return templ;
}

// Writes every block through disk_io (honouring back-pressure) and waits for every verdict.
void write_all(storage::disk_io& io, post_queue& q, storage::storage_index st, const fixture& f,
               const std::vector<std::uint32_t>& order) {
  const std::uint32_t per_piece = piece_length / block;
  std::vector<std::uint32_t> left(f.info->num_pieces(), per_piece);
  std::uint32_t verdicts = 0;
  bool ok = true;
  bool writable_again = false;
  io.set_writable_handler([&] { writable_again = true; });
  for (const std::uint32_t b : order) {
    if (!io.writable()) {
      writable_again = false;
      q.run_until([&] { return writable_again || io.writable(); });
    }
    const std::uint32_t piece = b / per_piece;
    const std::uint32_t offset = (b % per_piece) * block;
    auto buf = io.allocate_buffer(block);
    std::memcpy(buf.data(), f.payload.data() + std::uint64_t{b} * block, block);
    if (!io.async_write(st, piece, offset, std::move(buf))) ok = false;
    if (--left[piece] == 0)
      io.async_check_piece(st, piece, [&](storage::piece_result r) {
        ok = ok && r.status == storage::piece_status::passed;
        ++verdicts;
      });
  }
  q.run_until([&] { return verdicts == f.info->num_pieces(); });
  if (!ok) throw std::runtime_error("a piece did not pass");
}

enum class arrival { in_order, interleaved, shuffled };

// in_order: one peer streaming the file. interleaved: 16 peers, each sending one piece in order,
// their blocks interleaved (the usual swarm pattern). shuffled: every block anywhere (worst case).
std::vector<std::uint32_t> block_order(arrival a) {
  const std::uint32_t n = total / block;
  const std::uint32_t per_piece = piece_length / block;
  std::vector<std::uint32_t> order;
  order.reserve(n);
  if (a == arrival::interleaved) {
    const std::uint32_t pieces = n / per_piece;
    for (std::uint32_t window = 0; window < pieces; window += 16)
      for (std::uint32_t k = 0; k < per_piece; ++k)
        for (std::uint32_t p = window; p < std::min(pieces, window + 16); ++p) order.push_back(p * per_piece + k);
    return order;
  }
  for (std::uint32_t i = 0; i < n; ++i) order.push_back(i);
  if (a == arrival::shuffled) std::shuffle(order.begin(), order.end(), std::mt19937_64(11));
  return order;
}

void bm_write(benchmark::State& state, arrival a) {
  const auto& f = fixture::get();
  const std::vector<std::uint32_t> order = block_order(a);
  std::uint64_t read_backs = 0;
  std::uint64_t write_ops = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path dir = make_dir();
    state.ResumeTiming();
    {
      post_queue q;
      storage::disk_io io(storage::disk_settings{}, q.executor());
      storage::storage_params p;
      p.info = f.info;
      p.save_path = dir;
      const auto st = io.add_storage(std::move(p));
      write_all(io, q, st, f, order);
      read_backs += io.stats().read_backs;
      write_ops += io.stats().write_ops;
    }
    state.PauseTiming();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total));
  state.counters["read_backs"] = benchmark::Counter(static_cast<double>(read_backs), benchmark::Counter::kAvgIterations);
  state.counters["pwritev"] = benchmark::Counter(static_cast<double>(write_ops), benchmark::Counter::kAvgIterations);
}

void write_in_order(benchmark::State& state) { bm_write(state, arrival::in_order); }
void write_interleaved(benchmark::State& state) { bm_write(state, arrival::interleaved); }
void write_shuffled(benchmark::State& state) { bm_write(state, arrival::shuffled); }
BENCHMARK(write_in_order)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(write_interleaved)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(write_shuffled)->Unit(benchmark::kMillisecond)->UseRealTime();

void sha1_one_core(benchmark::State& state) {
  const auto& f = fixture::get();
  const std::string_view data = std::string_view(f.payload).substr(0, piece_length);
  for (auto _ : state) benchmark::DoNotOptimize(crypto::sha1_digest(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * piece_length));
}
BENCHMARK(sha1_one_core);

// 16 pieces (1 MiB each) hashed together with crypto::sha1_lanes, as the verifier feeds them
// (one 16 KiB block of every piece per update). Bytes processed: all 16 pieces.
void sha1_lanes_16_pieces(benchmark::State& state) {
  if (!crypto::sha1_lanes::available()) {
    state.SkipWithError("no AVX-512 on this CPU");
    return;
  }
  const auto& f = fixture::get();
  const auto* base = reinterpret_cast<const std::byte*>(f.payload.data());
  crypto::sha1_lanes h(16);
  std::array<const std::byte*, 16> ptrs{};
  std::array<sha1_hash, 16> out{};
  for (auto _ : state) {
    for (std::uint32_t off = 0; off < piece_length; off += block) {
      for (std::size_t i = 0; i < 16; ++i) ptrs[i] = base + i * piece_length + off;
      h.update(ptrs, block);
    }
    h.finish(out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 16 * piece_length));
}
BENCHMARK(sha1_lanes_16_pieces);

void sha256_blocks_one_core(benchmark::State& state) {
  const auto& f = fixture::get();
  for (auto _ : state)
    for (std::uint32_t off = 0; off < piece_length; off += block)
      benchmark::DoNotOptimize(crypto::sha256_digest(std::string_view(f.payload).substr(off, block)));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * piece_length));
}
BENCHMARK(sha256_blocks_one_core);

void recheck_all_cores(benchmark::State& state) {
  const auto& f = fixture::get();
  const fs::path dir = make_dir();
  post_queue q;
  storage::disk_io io(storage::disk_settings{}, q.executor());
  storage::storage_params p;
  p.info = f.info;
  p.save_path = dir;
  const auto st = io.add_storage(std::move(p));
  write_all(io, q, st, f, block_order(arrival::in_order));
  for (auto _ : state) {
    std::optional<ccbt::result<std::vector<bool>>> r;
    io.async_recheck(st, {}, [&](ccbt::result<std::vector<bool>> v) { r = std::move(v); });
    q.run_until([&] { return r.has_value(); });
    if (!*r || std::count(r->value().begin(), r->value().end(), true) != f.info->num_pieces())
      state.SkipWithError("recheck did not find every piece");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total));
  state.counters["threads"] = static_cast<double>(io.settings().recheck_threads);
  bool removed = false;
  io.remove_storage(st, [&] { removed = true; });
  q.run_until([&] { return removed; });
  fs::remove_all(dir);
}
BENCHMARK(recheck_all_cores)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
