// Resume store: cost of report_verified() on the caller's thread, sustained durable throughput
// (report + commit), commit latency per batch size, and load() time. Numbers: docs/design/resume.md.
//
// Torrents are 100 GiB of 256 KiB pieces (409,600 pieces); reports walk fresh pieces and move to a
// new torrent when one is complete, so journal inserts and compactions are what a download does.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "resume/resume_store.hpp"

namespace {

using namespace ccbt::resume;

constexpr std::uint32_t pieces_per_torrent = 409'600;

class temp_db {
 public:
  temp_db() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ccbt-bench-resume-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
  }
  temp_db(const temp_db&) = delete;
  temp_db& operator=(const temp_db&) = delete;
  ~temp_db() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  [[nodiscard]] std::filesystem::path file() const { return dir_ / "resume.db"; }

 private:
  std::filesystem::path dir_;
};

// Hands out fresh (torrent, piece) pairs, adding torrents as needed.
class piece_source {
 public:
  explicit piece_source(resume_store& s) : s_(s) {}
  std::pair<torrent_id, std::uint32_t> next() {
    if (!have_ || piece_ == pieces_per_torrent) add();
    return {id_, piece_++};
  }

 private:
  void add() {
    torrent_record r;
    r.hash.v1 = ccbt::sha1_hash{};
    for (std::size_t i = 0; i < 8; ++i) r.hash.v1->bytes[i] = static_cast<std::uint8_t>(n_ >> (8 * i));
    r.name = "bench-" + std::to_string(n_);
    r.save_path = "/tmp";
    r.metainfo.assign(20 * std::size_t{pieces_per_torrent} + 200, 'm');  // a real .torrent's size
    r.piece_count = pieces_per_torrent;
    ++n_;
    auto id = s_.add_torrent(std::move(r));
    if (!id) throw std::runtime_error(id.error().message());
    id_ = *id;
    piece_ = 0;
    have_ = true;
  }

  resume_store& s_;
  torrent_id id_{};
  std::uint32_t piece_ = 0;
  std::uint64_t n_ = 0;
  bool have_ = false;
};

std::unique_ptr<resume_store> open_store(const temp_db& db, durability level) {
  store_options o;
  o.level = level;
  auto s = resume_store::open(db.file(), o);
  if (!s) throw std::runtime_error(s.error().message());
  return std::move(*s);
}

// Caller-side cost of one report while the writer commits in the background.
void BM_ReportVerified(benchmark::State& state) {
  temp_db db;
  auto s = open_store(db, durability::process_crash);
  piece_source src(*s);
  for (auto _ : state) {
    auto [id, p] = src.next();
    auto seq = s->report_verified(id, p);
    benchmark::DoNotOptimize(seq);
  }
  state.SetItemsProcessed(state.iterations());
  (void)s->flush();
  const auto st = s->stats();
  state.counters["transactions"] = static_cast<double>(st.transactions);
  state.counters["max_commit_ms"] = static_cast<double>(st.max_commit.count()) / 1000.0;
}
BENCHMARK(BM_ReportVerified)->UseRealTime();

// Reports made durable per second: report a block of pieces as fast as possible, then flush.
void BM_SustainedDurable(benchmark::State& state) {
  temp_db db;
  const auto level = state.range(0) == 0 ? durability::process_crash : durability::power_loss;
  auto s = open_store(db, level);
  piece_source src(*s);
  constexpr int block = 50'000;
  for (auto _ : state) {
    for (int i = 0; i < block; ++i) {
      auto [id, p] = src.next();
      benchmark::DoNotOptimize(s->report_verified(id, p));
    }
    if (!s->flush()) state.SkipWithError("flush failed");
  }
  state.SetItemsProcessed(state.iterations() * block);
  const auto st = s->stats();
  state.counters["transactions"] = static_cast<double>(st.transactions);
  state.counters["compactions"] = static_cast<double>(st.compactions);
  state.counters["max_commit_ms"] = static_cast<double>(st.max_commit.count()) / 1000.0;
}
BENCHMARK(BM_SustainedDurable)->Arg(0)->Arg(1)->ArgName("power_loss")->UseRealTime()->Unit(benchmark::kMillisecond);

// Latency of committing one batch of N pieces (flush() right after reporting them).
void BM_CommitLatency(benchmark::State& state) {
  temp_db db;
  const auto level = state.range(1) == 0 ? durability::process_crash : durability::power_loss;
  auto s = open_store(db, level);
  piece_source src(*s);
  const auto n = state.range(0);
  (void)s->flush();
  for (auto _ : state) {
    state.PauseTiming();
    for (std::int64_t i = 0; i < n; ++i) {
      auto [id, p] = src.next();
      benchmark::DoNotOptimize(s->report_verified(id, p));
    }
    state.ResumeTiming();
    if (!s->flush()) state.SkipWithError("flush failed");
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_CommitLatency)
    ->ArgsProduct({{1, 64, 1024, 8192}, {0, 1}})
    ->ArgNames({"pieces", "power_loss"})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// load() of a store with T torrents of 409,600 pieces, half of each verified (compacted by close).
void BM_Load(benchmark::State& state) {
  temp_db db;
  const auto torrents = state.range(0);
  {
    auto s = open_store(db, durability::process_crash);
    piece_source src(*s);
    for (std::int64_t t = 0; t < torrents; ++t) {
      for (std::uint32_t p = 0; p < pieces_per_torrent; ++p) {
        auto [id, piece] = src.next();
        if (p % 2 == 0) (void)s->report_verified(id, piece);
      }
    }
    if (!s->close()) state.SkipWithError("close failed");
  }
  for (auto _ : state) {
    store_options o;
    o.check_integrity = state.range(1) != 0;
    auto s = resume_store::open(db.file(), o);
    if (!s) {
      state.SkipWithError("open failed");
      break;
    }
    auto snap = (*s)->load();
    benchmark::DoNotOptimize(snap);
  }
  state.counters["db_MiB"] = static_cast<double>(std::filesystem::file_size(db.file())) / (1 << 20);
}
BENCHMARK(BM_Load)
    ->ArgsProduct({{1, 20}, {0, 1}})
    ->ArgNames({"torrents", "quick_check"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
