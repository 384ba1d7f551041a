// make_layout(): libtorrent's file order and pad placement; piece length rules.
#include <gtest/gtest.h>

#include "creator/layout.hpp"

namespace ccbt::creator {
namespace {

input_file in(std::vector<std::string> path, std::uint64_t size, bool exec = false) {
  return input_file{std::move(path), size, exec, {}};
}

scanned_tree folder(std::vector<input_file> files) { return scanned_tree{"root", true, std::move(files)}; }

std::vector<std::string> names(const layout& l) {
  std::vector<std::string> out;
  for (const auto& f : l.files) {
    std::string s;
    for (const auto& c : f.path) s += (s.empty() ? "" : "/") + c;
    out.push_back(s);
  }
  return out;
}

TEST(CreatorLayout, AutoPieceLengthFollowsLibtorrentsTable) {
  EXPECT_EQ(auto_piece_length(1), 16384u);
  EXPECT_EQ(auto_piece_length(2684355), 16384u);
  EXPECT_EQ(auto_piece_length(2684356), 32768u);
  EXPECT_EQ(auto_piece_length(10737419), 65536u);
  EXPECT_EQ(auto_piece_length(687194767), 262144u);
  EXPECT_EQ(auto_piece_length(687194768), 524288u);
  EXPECT_EQ(auto_piece_length(2748779070), 1048576u);
  EXPECT_EQ(auto_piece_length(703687441777), 8388608u);
  EXPECT_EQ(auto_piece_length(703687441778), 16777216u);
  EXPECT_EQ(auto_piece_length(std::uint64_t{1} << 62), 16777216u);
}

TEST(CreatorLayout, PieceLengthRules) {
  EXPECT_TRUE(valid_piece_length(torrent_kind::v1, 49152));   // multiple of 16 KiB
  EXPECT_TRUE(valid_piece_length(torrent_kind::v1, 4096));    // power of two
  EXPECT_FALSE(valid_piece_length(torrent_kind::v1, 50000));
  EXPECT_FALSE(valid_piece_length(torrent_kind::v1, 0));
  EXPECT_FALSE(valid_piece_length(torrent_kind::v2, 49152));
  EXPECT_FALSE(valid_piece_length(torrent_kind::hybrid, 8192));  // v2 needs >= 16 KiB
  EXPECT_TRUE(valid_piece_length(torrent_kind::hybrid, 16384));
  EXPECT_TRUE(valid_piece_length(torrent_kind::v2, std::uint64_t{1} << 30));
  EXPECT_FALSE(valid_piece_length(torrent_kind::v2, std::uint64_t{1} << 31));
  auto r = make_layout(folder({in({"a"}, 10)}), torrent_kind::v2, 49152);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_piece_length);
}

TEST(CreatorLayout, PathOrderIsComponentWiseBytewise) {
  EXPECT_TRUE(path_less({"a", "z"}, {"a-b"}));  // "a" < "a-b" although "a/z" > "a-b" as strings
  EXPECT_TRUE(path_less({"B"}, {"a"}));         // bytes, not locale
  EXPECT_TRUE(path_less({"a"}, {"\xc3\xa9"}));  // UTF-8 bytes are unsigned
  EXPECT_FALSE(path_less({"x"}, {"x"}));
}

TEST(CreatorLayout, HybridSortsAndPadsAfterEveryNonEmptyUnalignedFile) {
  auto r = make_layout(folder({in({"zz"}, 5), in({"empty"}, 0), in({"a-b"}, 16384), in({"a", "z"}, 3, true),
                               in({"B"}, 40000)}),
                       torrent_kind::hybrid, 16384);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(names(*r), (std::vector<std::string>{"B", ".pad/9152", "a/z", ".pad/16381", "a-b", "empty", "zz",
                                                 ".pad/16379"}));
  std::uint64_t off = 0;
  for (const auto& f : r->files) {
    EXPECT_EQ(f.offset, off);
    if (f.size > 0 && !f.pad) {
      EXPECT_EQ(f.offset % 16384, 0u) << names(*r)[static_cast<std::size_t>(&f - r->files.data())];
    }
    off += f.size;
  }
  EXPECT_EQ(r->total_size, off);
  EXPECT_EQ(r->total_size % 16384, 0u);
  EXPECT_EQ(r->content_size, 5u + 16384 + 3 + 40000);
  EXPECT_TRUE(r->files[2].executable);
  EXPECT_TRUE(r->files[1].pad);
  EXPECT_EQ(r->num_pieces(), r->total_size / 16384);
}

TEST(CreatorLayout, V1KeepsScanOrderWithoutPads) {
  auto r = make_layout(folder({in({"zz"}, 5), in({"a"}, 40000), in({"e"}, 0)}), torrent_kind::v1, 16384);
  ASSERT_TRUE(r);
  EXPECT_EQ(names(*r), (std::vector<std::string>{"zz", "a", "e"}));
  EXPECT_EQ(r->total_size, 40005u);
  EXPECT_EQ(r->num_pieces(), 3u);
  EXPECT_EQ(r->files[1].offset, 5u);
}

TEST(CreatorLayout, NoPadsForASingleFileOrAFolderOfOneFile) {
  auto single = make_layout(scanned_tree{"f.bin", false, {in({}, 40000)}}, torrent_kind::hybrid, 16384);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->files.size(), 1u);
  EXPECT_EQ(single->total_size, 40000u);
  EXPECT_FALSE(single->multi_file);
  auto one = make_layout(folder({in({"only"}, 40000)}), torrent_kind::v2, 16384);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->files.size(), 1u);
  EXPECT_TRUE(one->multi_file);
  // An empty file beside it still counts as a second file: the real one gets its tail pad.
  auto two = make_layout(folder({in({"only"}, 40000), in({"zero"}, 0)}), torrent_kind::v2, 16384);
  ASSERT_TRUE(two);
  EXPECT_EQ(names(*two), (std::vector<std::string>{"only", ".pad/9152", "zero"}));
}

TEST(CreatorLayout, AutomaticPieceLengthUsesContentSize) {
  auto r = make_layout(folder({in({"a"}, 3'000'000), in({"b"}, 1)}), torrent_kind::hybrid, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->piece_length, 32768u);
}

TEST(CreatorLayout, NothingToHash) {
  auto none = make_layout(folder({}), torrent_kind::hybrid, 0);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, errc::no_data);
  auto empty = make_layout(folder({in({"a"}, 0), in({"b"}, 0)}), torrent_kind::v1, 0);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, errc::no_data);
  EXPECT_NE(empty.error().message().find("root"), std::string::npos);
}

TEST(CreatorLayout, TooManyPieces) {
  auto r = make_layout(folder({in({"a"}, std::uint64_t{1} << 40)}), torrent_kind::v1, 16384);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::too_large);
  // The suggested piece size fits, with room to spare.
  EXPECT_NE(r.error().context.find("at least 1048576 bytes"), std::string::npos) << r.error().context;
  EXPECT_TRUE(make_layout(folder({in({"a"}, std::uint64_t{1} << 40)}), torrent_kind::v1, 1048576));
  EXPECT_TRUE(make_layout(folder({in({"a"}, max_pieces * 16384)}), torrent_kind::hybrid, 16384));
  EXPECT_FALSE(make_layout(folder({in({"a"}, max_pieces * 16384 + 1)}), torrent_kind::hybrid, 16384));
}

}  // namespace
}  // namespace ccbt::creator
