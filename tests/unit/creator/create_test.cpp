// create(): scanning (symlinks, attributes, errors), the keys of the .torrent, determinism.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <ccbt/bencode.hpp>
#include <ccbt/create_torrent.hpp>

#include "creator/layout.hpp"
#include "test_util.hpp"

namespace ccbt::creator {
namespace {

using test_util::random_data;
using test_util::temp_dir;
using test_util::write_file;

std::string paths_of(const scanned_tree& t) {
  std::string s;
  for (const auto& f : t.files) {
    std::string p;
    for (const auto& c : f.path) p += (p.empty() ? "" : "/") + c;
    s += p + (f.executable ? "*" : "") + " ";
  }
  return s;
}

TEST(CreatorScan, FollowsSymlinksSkipsDanglingOnesAndMarksExecutables) {
  temp_dir d;
  const auto root = d.path() / "t";
  write_file(root / "real.bin", "abc");
  write_file(root / "dir" / "f", "x");
  write_file(root / ".hidden", "h");
  write_file(root / "run.sh", "#!");
  ::chmod((root / "real.bin").c_str(), 0644);
  ::chmod((root / "dir" / "f").c_str(), 0644);
  ::chmod((root / ".hidden").c_str(), 0644);
  ::chmod((root / "run.sh").c_str(), 0755);
  std::filesystem::create_symlink("real.bin", root / "link.bin");
  std::filesystem::create_directory_symlink("dir", root / "dirlink");
  std::filesystem::create_symlink("/nonexistent/ccbt", root / "dangling");
  std::filesystem::create_directory(root / "empty-dir");
  auto t = scan(root);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->name, "t");
  EXPECT_TRUE(t->multi_file);
  auto l = make_layout(*t, torrent_kind::hybrid, 16384);
  ASSERT_TRUE(l);
  // Sorted for v2; a file symlink carries attr x (lstat of a link is 0777), as libtorrent does.
  auto sorted = *t;
  std::sort(sorted.files.begin(), sorted.files.end(),
            [](const input_file& a, const input_file& b) { return path_less(a.path, b.path); });
  EXPECT_EQ(paths_of(sorted), ".hidden dir/f dirlink/f link.bin* real.bin run.sh* ");
}

TEST(CreatorScan, SymlinkLoopIsAnError) {
  temp_dir d;
  const auto root = d.path() / "t";
  write_file(root / "a" / "f", "x");
  std::filesystem::create_directory_symlink("..", root / "a" / "up");
  auto t = scan(root);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, errc::symlink_loop);
  EXPECT_NE(t.error().context.find("up"), std::string::npos);
}

TEST(CreatorScan, SingleFileAndNames) {
  temp_dir d;
  write_file(d.path() / "one.iso", "data");
  auto t = scan(d.path() / "one.iso");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->multi_file);
  EXPECT_EQ(t->name, "one.iso");
  ASSERT_EQ(t->files.size(), 1u);
  EXPECT_TRUE(t->files[0].path.empty());
  // A trailing slash or "." names the folder itself.
  write_file(d.path() / "folder" / "x", "1");
  auto slash = scan((d.path() / "folder").string() + "/");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->name, "folder");
  auto missing = scan(d.path() / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
}

bencode::document decode_ok(const std::string& s) {
  auto d = bencode::decode(s);
  EXPECT_TRUE(d) << d.error().message();
  return std::move(*d);
}

TEST(CreatorCreate, TorrentKeysAndEmptyFiles) {
  temp_dir d;
  const auto root = d.path() / "pack";
  write_file(root / "a.bin", random_data(40000, 1));
  write_file(root / "sub" / "empty", "");
  write_file(root / "sub" / "b.bin", random_data(20000, 2));
  for (const char* f : {"a.bin", "sub/empty", "sub/b.bin"}) ::chmod((root / f).c_str(), 0644);

  create_options o;
  o.piece_length = 16384;
  o.trackers = {{"http://t1/a", "http://t2/a"}, {"http://t1/a"}, {"udp://t3:1"}};
  o.web_seeds = {"http://ws/"};
  o.is_private = true;
  o.source = "SRC";
  o.comment = "hello";
  o.creation_date = 1700000000;
  auto r = create(root, o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->num_files, 3u);
  EXPECT_EQ(r->total_size, 60000u);
  EXPECT_TRUE(r->hashes.is_hybrid());

  auto doc = decode_ok(r->data);
  const auto t = doc.root();
  EXPECT_EQ(t.find_string("announce").value_or(""), "http://t1/a");
  const auto al = t.find_list("announce-list");
  ASSERT_TRUE(al);
  // The duplicate in tier 1 is dropped, and with it the whole tier.
  ASSERT_EQ(al->size(), 2u);
  EXPECT_EQ(al->at(0).size(), 2u);
  EXPECT_EQ(al->at(1).at(0).string(), "udp://t3:1");
  EXPECT_EQ(t.find_string("url-list").value_or(""), "http://ws/");
  EXPECT_EQ(t.find_string("comment").value_or(""), "hello");
  EXPECT_EQ(t.find_string("created by").value_or(""), "ccbt/0.1.0");
  EXPECT_EQ(t.find_int("creation date").value_or(0), 1700000000);
  ASSERT_TRUE(t.find_dict("piece layers"));
  EXPECT_EQ(t.find_dict("piece layers")->size(), 2u);  // a.bin and b.bin have >= 2 pieces

  const auto info = *t.find_dict("info");
  EXPECT_EQ(info.find_int("private").value_or(0), 1);
  EXPECT_EQ(info.find_string("source").value_or(""), "SRC");
  EXPECT_EQ(info.find_int("meta version").value_or(0), 2);
  const auto tree = *info.find_dict("file tree");
  const auto empty = tree.find_dict("sub")->find_dict("empty")->find_dict("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->find_int("length").value_or(-1), 0);
  EXPECT_FALSE(empty->find("pieces root"));
  EXPECT_TRUE(tree.find_dict("sub")->find_dict("b.bin")->find_dict("")->find_string("pieces root"));
  // v1 side: a.bin, pad, sub/b.bin, pad, sub/empty (sorted, pads after non-empty files only).
  const auto files = *info.find_list("files");
  ASSERT_EQ(files.size(), 5u);
  EXPECT_EQ(files.at(1).find_string("attr").value_or(""), "p");
  EXPECT_EQ(files.at(1).find_list("path")->at(0).string(), ".pad");
  EXPECT_EQ(files.at(4).find_list("path")->at(1).string(), "empty");
  EXPECT_EQ(info.find_string("pieces")->size(), 20u * 5);  // 48 KiB + 32 KiB of byte space

  // The source changes the info-hash; the comment does not.
  create_options o2 = o;
  o2.comment = "other";
  auto r2 = create(root, o2);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->hashes, r->hashes);
  o2.source = "OTHER";
  auto r3 = create(root, o2);
  ASSERT_TRUE(r3);
  EXPECT_NE(r3->hashes.v1, r->hashes.v1);
  EXPECT_NE(r3->hashes.v2, r->hashes.v2);
}

TEST(CreatorCreate, OptionalKeysAbsentByDefault) {
  temp_dir d;
  write_file(d.path() / "f", random_data(1000, 3));
  create_options o;
  o.kind = torrent_kind::v1;
  o.created_by.clear();
  o.web_seeds = {"http://a/", "http://b/"};
  auto r = create(d.path() / "f", o);
  ASSERT_TRUE(r) << r.error().message();
  auto doc = decode_ok(r->data);
  const auto t = doc.root();
  for (const char* k : {"announce", "announce-list", "comment", "created by", "creation date", "piece layers"})
    EXPECT_FALSE(t.find(k)) << k;
  EXPECT_EQ(t.find_list("url-list")->size(), 2u);
  const auto info = *t.find_dict("info");
  EXPECT_FALSE(info.find("private"));
  EXPECT_FALSE(info.find("source"));
  EXPECT_FALSE(info.find("meta version"));
  EXPECT_EQ(info.find_int("length").value_or(0), 1000);
  EXPECT_EQ(r->piece_length, 16384u);
  EXPECT_EQ(r->num_pieces, 1u);
  EXPECT_FALSE(r->hashes.has_v2());
}

TEST(CreatorCreate, ExecutableSingleFileHasAttrOnBothSides) {
  temp_dir d;
  write_file(d.path() / "tool", random_data(50000, 4));
  ::chmod((d.path() / "tool").c_str(), 0755);
  create_options o;
  o.piece_length = 16384;
  auto r = create(d.path() / "tool", o);
  ASSERT_TRUE(r) << r.error().message();
  auto doc = decode_ok(r->info_dict);
  const auto info = doc.root();
  EXPECT_EQ(info.find_string("attr").value_or(""), "x");
  EXPECT_EQ(info.find_int("length").value_or(0), 50000);
  const auto leaf = info.find_dict("file tree")->find_dict("tool")->find_dict("");
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->find_string("attr").value_or(""), "x");
  EXPECT_EQ(r->num_pieces, 4u);  // no pad in a single-file torrent: the last piece is short
}

TEST(CreatorCreate, SameBytesWhateverTheThreadCount) {
  temp_dir d;
  const auto root = d.path() / "r";
  for (int i = 0; i < 12; ++i)
    write_file(root / ("d" + std::to_string(i % 3)) / ("f" + std::to_string(i)),
               random_data(static_cast<std::size_t>(i) * 37'777 + 1, static_cast<std::uint64_t>(i)));
  for (auto kind : {torrent_kind::v1, torrent_kind::v2, torrent_kind::hybrid}) {
    create_options o;
    o.kind = kind;
    o.piece_length = 32768;
    o.threads = 1;
    auto one = create(root, o);
    ASSERT_TRUE(one);
    o.threads = 7;
    auto many = create(root, o);
    ASSERT_TRUE(many);
    EXPECT_EQ(one->data, many->data);
  }
}

TEST(CreatorCreate, Errors) {
  temp_dir d;
  write_file(d.path() / "empty-only" / "a", "");
  auto r = create(d.path() / "empty-only", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::no_data);
  std::filesystem::create_directory(d.path() / "nothing");
  r = create(d.path() / "nothing", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::no_data);
  create_options bad;
  bad.trackers = {{""}};
  write_file(d.path() / "f", "x");
  r = create(d.path() / "f", bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_option);
  EXPECT_EQ(r.error().message().rfind("create: ", 0), 0u) << r.error().message();
}

}  // namespace
}  // namespace ccbt::creator
