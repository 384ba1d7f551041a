// hash_files() against hashes computed naively from the concatenated data; threads, read sizes,
// progress, cancellation and errors.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <stdexcept>
#include <thread>

#include "creator/hasher.hpp"
#include "creator/layout.hpp"
#include "crypto/sha.hpp"
#include "metainfo/merkle.hpp"
#include "test_util.hpp"

namespace ccbt::creator {
namespace {

using test_util::random_data;
using test_util::temp_dir;
using test_util::write_file;

// The byte space of a layout: file contents and pad zeros, concatenated.
std::string byte_space(const layout& l, const std::map<std::string, std::string>& contents) {
  std::string s;
  for (const auto& f : l.files) {
    if (f.pad) {
      s.append(f.size, '\0');
    } else {
      s += contents.at(f.disk_path.filename().string());
    }
  }
  return s;
}

std::vector<sha256_hash> leaves_of(const std::string& data) {
  std::vector<sha256_hash> out;
  for (std::size_t off = 0; off < data.size(); off += 16384)
    out.push_back(crypto::sha256_digest(std::string_view(data).substr(off, 16384)));
  return out;
}

struct fixture {
  temp_dir dir;
  std::map<std::string, std::string> contents;

  // Files named by their size, in a folder "root".
  explicit fixture(const std::vector<std::size_t>& sizes) {
    std::uint64_t seed = 1;
    for (auto n : sizes) {
      const std::string name = "f" + std::to_string(seed) + "-" + std::to_string(n);
      contents[name] = random_data(n, seed++);
      write_file(dir.path() / "root" / name, contents[name]);
    }
  }
  result<layout> lay(torrent_kind kind, std::uint64_t pl) {
    auto t = scan(dir.path() / "root");
    if (!t) return tl::unexpected(t.error());
    return make_layout(std::move(*t), kind, pl);
  }
};

void expect_v1(const layout& l, const torrent_hashes& h, const std::string& space) {
  ASSERT_EQ(h.pieces.size(), l.num_pieces());
  for (std::size_t p = 0; p < h.pieces.size(); ++p) {
    const auto piece = std::string_view(space).substr(p * l.piece_length, l.piece_length);
    EXPECT_EQ(h.pieces[p], crypto::sha1_digest(piece)) << "piece " << p;
  }
}

void expect_v2(const layout& l, const torrent_hashes& h, const std::map<std::string, std::string>& contents) {
  ASSERT_EQ(h.roots.size(), l.files.size());
  for (std::size_t i = 0; i < l.files.size(); ++i) {
    const auto& f = l.files[i];
    if (f.pad || f.size == 0) {
      EXPECT_TRUE(h.roots[i].is_zero());
      EXPECT_TRUE(h.layers[i].empty());
      continue;
    }
    const auto leaves = leaves_of(contents.at(f.disk_path.filename().string()));
    EXPECT_EQ(h.roots[i], metainfo::merkle::file_root(leaves)) << f.disk_path;
    if (f.size > l.piece_length) {
      EXPECT_EQ(h.layers[i], metainfo::merkle::piece_layer(leaves, l.piece_length)) << f.disk_path;
    } else {
      EXPECT_TRUE(h.layers[i].empty());
    }
  }
}

TEST(CreatorHasher, V1PiecesSpanFileBoundaries) {
  fixture fx({10000, 30000, 5, 0, 70001, 16384});
  for (std::uint64_t pl : {16384u, 49152u, 4096u}) {
    auto l = fx.lay(torrent_kind::v1, pl);
    ASSERT_TRUE(l) << l.error().message();
    const auto space = byte_space(*l, fx.contents);
    ASSERT_EQ(space.size(), l->total_size);
    for (unsigned threads : {1u, 2u, 5u}) {
      for (std::size_t read_size : {16384u, 65536u, 1u << 20}) {
        SCOPED_TRACE(::testing::Message() << "pl " << pl << " threads " << threads << " read " << read_size);
        hash_options o;
        o.threads = threads;
        o.read_size = read_size;
        auto h = hash_files(*l, o);
        ASSERT_TRUE(h) << h.error().message();
        EXPECT_TRUE(h->roots.empty());
        expect_v1(*l, *h, space);
      }
    }
  }
}

TEST(CreatorHasher, HybridAndV2MatchNaiveMerkleTrees) {
  // Sizes around block and piece boundaries (piece 32 KiB).
  fixture fx({1, 16383, 16384, 16385, 32767, 32768, 32769, 3 * 32768 + 5, 300000, 0});
  for (auto kind : {torrent_kind::hybrid, torrent_kind::v2}) {
    for (std::uint64_t pl : {16384u, 32768u, 131072u}) {
      auto l = fx.lay(kind, pl);
      ASSERT_TRUE(l) << l.error().message();
      const auto space = byte_space(*l, fx.contents);
      for (unsigned threads : {1u, 3u}) {
        for (std::size_t read_size : {16384u, 1u << 20}) {
          SCOPED_TRACE(::testing::Message() << "pl " << pl << " threads " << threads << " read " << read_size);
          hash_options o;
          o.threads = threads;
          o.read_size = read_size;
          auto h = hash_files(*l, o);
          ASSERT_TRUE(h) << h.error().message();
          expect_v2(*l, *h, fx.contents);
          if (kind == torrent_kind::hybrid) {
            expect_v1(*l, *h, space);
          } else {
            EXPECT_TRUE(h->pieces.empty());
          }
        }
      }
    }
  }
}

TEST(CreatorHasher, ProgressReportsFileBytesUpToTheTotal) {
  fixture fx({3'000'000, 123, 1'500'000});
  auto l = fx.lay(torrent_kind::hybrid, 16384);
  ASSERT_TRUE(l);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  const auto caller = std::this_thread::get_id();
  hash_options o;
  o.threads = 2;
  o.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    calls.emplace_back(done, total);
  };
  ASSERT_TRUE(hash_files(*l, o));
  ASSERT_FALSE(calls.empty());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].second, 4'500'123u);
    EXPECT_LE(calls[i].first, calls[i].second);
    if (i > 0) {
      EXPECT_GE(calls[i].first, calls[i - 1].first);
    }
  }
  EXPECT_EQ(calls.back().first, 4'500'123u);
}

TEST(CreatorHasher, ThrowingProgressCallbackPropagatesAfterTheWorkersStop) {
  fixture fx({4'000'000});
  auto l = fx.lay(torrent_kind::hybrid, 16384);
  ASSERT_TRUE(l);
  hash_options o;
  o.threads = 2;
  o.progress = [](std::uint64_t, std::uint64_t) { throw std::runtime_error("callback"); };
  EXPECT_THROW((void)hash_files(*l, o), std::runtime_error);
}

TEST(CreatorHasher, CancelStopsHashing) {
  fixture fx({2'000'000, 1'000'000});
  auto l = fx.lay(torrent_kind::v1, 16384);
  ASSERT_TRUE(l);
  std::atomic<bool> cancel{true};
  hash_options o;
  o.cancel = &cancel;
  auto h = hash_files(*l, o);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::cancelled);
}

TEST(CreatorHasher, FileThatChangedSizeIsAnError) {
  fixture fx({100000, 50000});
  auto l = fx.lay(torrent_kind::hybrid, 16384);
  ASSERT_TRUE(l);
  const auto victim = fx.dir.path() / "root" / "f2-50000";
  ASSERT_EQ(::truncate(victim.c_str(), 40000), 0);
  auto h = hash_files(*l, {});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::file_changed);
  EXPECT_NE(h.error().context.find(victim.string()), std::string::npos) << h.error().message();

  ASSERT_EQ(::truncate(victim.c_str(), 60000), 0);  // grew
  h = hash_files(*l, {});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::file_changed);
}

TEST(CreatorHasher, UnreadableFileIsAnErrorWithItsPath) {
  fixture fx({100000, 50000});
  auto l = fx.lay(torrent_kind::v1, 16384);
  ASSERT_TRUE(l);
  const auto victim = fx.dir.path() / "root" / "f1-100000";
  std::filesystem::remove(victim);
  auto h = hash_files(*l, {});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::read_failed);
  EXPECT_NE(h.error().message().find(victim.string()), std::string::npos) << h.error().message();
}

}  // namespace
}  // namespace ccbt::creator
