// Micro-benchmarks for the bencode decoder and encoder (Google Benchmark).
//
//   build/<dir>/bench/bench_bencode [--benchmark_filter=...]
//
// Inputs are generated in setup: a ~4 MiB v1 torrent with 20,000 files in a 'files' list and a
// 2.4 MB 'pieces' string (the shape of a large real torrent), and a list of 500,000 small integers
// (the worst case per byte: one token every ~5 bytes), and a small DHT message.
#include <ccbt/bencode.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>

namespace {

namespace b = ccbt::bencode;

b::value make_torrent() {
  std::mt19937_64 rng(42);
  b::list files;
  constexpr int n_files = 20'000;
  files.reserve(n_files);
  for (int i = 0; i < n_files; ++i) {
    const auto length = static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 28));
    b::list path{b::value("season-" + std::to_string(i / 1000)), b::value("disc-" + std::to_string(i / 100 % 10)),
                 b::value("episode-" + std::to_string(i) + ".mkv")};
    files.push_back(b::value(b::dict{{"length", b::value(length)}, {"path", b::value(std::move(path))}}));
  }
  constexpr std::int64_t piece_length = std::int64_t{1} << 22;
  // 2.4 MB of SHA-1 hashes (random bytes; their count is not checked against the file sizes).
  constexpr std::size_t n_pieces = 130'000;
  std::string pieces(n_pieces * 20, '\0');
  for (auto& c : pieces) c = static_cast<char>(rng());
  b::dict info{{"files", b::value(std::move(files))},
               {"name", b::value("a large multi-file torrent")},
               {"piece length", b::value(piece_length)},
               {"pieces", b::value(std::move(pieces))}};
  b::list tier1{b::value("http://tracker.example.org:6969/announce")};
  b::list tier2{b::value("udp://tracker.example.net:1337/announce")};
  return b::value(b::dict{{"announce", b::value("http://tracker.example.org:6969/announce")},
                          {"announce-list", b::value(b::list{b::value(std::move(tier1)), b::value(std::move(tier2))})},
                          {"comment", b::value("benchmark input")},
                          {"created by", b::value("ccbt bench")},
                          {"creation date", b::value(std::int64_t{1'700'000'000})},
                          {"info", b::value(std::move(info))}});
}

const b::value& torrent_value() {
  static const b::value v = make_torrent();
  return v;
}

const std::string& torrent_bytes() {
  static const std::string s = b::encode(torrent_value());
  return s;
}

const std::string& int_list_bytes() {
  static const std::string s = [] {
    std::mt19937_64 rng(7);
    b::list l;
    l.reserve(500'000);
    for (int i = 0; i < 500'000; ++i) l.emplace_back(static_cast<std::int64_t>(rng() % 1000));
    return b::encode(b::value(std::move(l)));
  }();
  return s;
}

void decode_bench(benchmark::State& state, const std::string& in, bool strict) {
  b::limits lim;
  lim.strict = strict;
  std::size_t tokens = 0;
  for (auto _ : state) {
    auto r = b::decode(in, lim);
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      break;
    }
    tokens = r->token_count();
    benchmark::DoNotOptimize(r->root());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
  state.counters["input_bytes"] = static_cast<double>(in.size());
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsIterationInvariantRate);
}

// A DHT get_peers response with 8 compact peers (~250 bytes): the common small message.
const std::string& krpc_bytes() {
  static const std::string s = b::encode(b::value(b::dict{
      {"r", b::value(b::dict{{"id", b::value(std::string(20, 'N'))},
                             {"token", b::value("aoeusnth")},
                             {"values", b::value(b::list(8, b::value(std::string(6, 'P'))))}})},
      {"t", b::value("aa")},
      {"v", b::value("CC01")},
      {"y", b::value("r")}}));
  return s;
}

void BM_decode_torrent(benchmark::State& state) { decode_bench(state, torrent_bytes(), false); }
void BM_decode_torrent_strict(benchmark::State& state) { decode_bench(state, torrent_bytes(), true); }
void BM_decode_int_list(benchmark::State& state) { decode_bench(state, int_list_bytes(), false); }
void BM_decode_krpc(benchmark::State& state) { decode_bench(state, krpc_bytes(), false); }

// Decode plus what a metainfo parser does next: find info.files and read every length and path.
void BM_decode_and_walk_files(benchmark::State& state) {
  const std::string& in = torrent_bytes();
  for (auto _ : state) {
    auto r = b::decode(in);
    std::int64_t total = 0;
    std::size_t path_bytes = 0;
    const auto info = r->root().find_dict("info");
    for (b::node f : info->find_list("files")->items()) {
      total += f.find_int("length").value_or(0);
      for (b::node p : f.find_list("path")->items()) path_bytes += p.string().size();
    }
    benchmark::DoNotOptimize(total);
    benchmark::DoNotOptimize(path_bytes);
    benchmark::DoNotOptimize(info->find_string("pieces"));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

void BM_encode_torrent(benchmark::State& state) {
  const b::value& v = torrent_value();
  std::size_t size = 0;
  for (auto _ : state) {
    std::string out = b::encode(v);
    size = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void BM_encode_int_list(benchmark::State& state) {
  auto doc = b::decode(int_list_bytes());
  const b::value v = b::to_value(doc->root());
  std::size_t size = 0;
  for (auto _ : state) {
    std::string out = b::encode(v);
    size = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void BM_to_value_torrent(benchmark::State& state) {
  const std::string& in = torrent_bytes();
  auto doc = b::decode(in);
  for (auto _ : state) {
    b::value v = b::to_value(doc->root());
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}

BENCHMARK(BM_decode_torrent)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_torrent_strict)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_int_list)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decode_krpc);
BENCHMARK(BM_decode_and_walk_files)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_encode_torrent)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_encode_int_list)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_to_value_torrent)->Unit(benchmark::kMillisecond);

}  // namespace
