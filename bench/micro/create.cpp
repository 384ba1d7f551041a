// Torrent creation throughput through the public API (ccbt::creator::create) on data in the page
// cache: 256 MiB in 4 files under $TMPDIR (default /tmp), created once and removed at exit.
// Bytes/s is file data hashed per second of wall time; compare with `openssl speed -evp sha1`
// (see bench/create_vs_libtorrent.sh for the full comparison against libtorrent).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ccbt/create_torrent.hpp>

namespace {

namespace fs = std::filesystem;

constexpr std::size_t file_size = 64u << 20;
constexpr int num_files = 4;

class data_set {
 public:
  data_set() {
    const fs::path base = fs::temp_directory_path();
    std::string tmpl = (base / "ccbt-bench-create-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = fs::path(tmpl) / "data";
    fs::create_directories(root_);
    std::vector<char> buf(1 << 20);
    std::uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int f = 0; f < num_files; ++f) {
      std::ofstream out(root_ / ("file" + std::to_string(f) + ".bin"), std::ios::binary);
      for (std::size_t done = 0; done < file_size; done += buf.size()) {
        for (auto& c : buf) {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          c = static_cast<char>(x >> 56);
        }
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      }
    }
  }
  data_set(const data_set&) = delete;
  data_set& operator=(const data_set&) = delete;
  ~data_set() {
    std::error_code ec;
    fs::remove_all(root_.parent_path(), ec);
  }
  [[nodiscard]] const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

const data_set& data() {
  static const data_set d;
  return d;
}

void bm_create(benchmark::State& state, ccbt::creator::torrent_kind kind) {
  ccbt::creator::create_options o;
  o.kind = kind;
  o.piece_length = 1 << 20;
  o.threads = static_cast<unsigned>(state.range(0));
  const auto& root = data().root();
  // Warm the page cache.
  if (!ccbt::creator::create(root, o)) state.SkipWithError("create failed");
  for (auto _ : state) {
    auto r = ccbt::creator::create(root, o);
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(r->data.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * num_files *
                          static_cast<std::int64_t>(file_size));
}

void thread_args(benchmark::internal::Benchmark* b) {
  const auto hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  b->Arg(1);
  if (hw > 1) b->Arg(hw);
  b->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
}

BENCHMARK_CAPTURE(bm_create, v1, ccbt::creator::torrent_kind::v1)->Apply(thread_args);
BENCHMARK_CAPTURE(bm_create, v2, ccbt::creator::torrent_kind::v2)->Apply(thread_args);
BENCHMARK_CAPTURE(bm_create, hybrid, ccbt::creator::torrent_kind::hybrid)->Apply(thread_args);

}  // namespace
