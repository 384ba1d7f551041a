// The metainfo corpus (tests/data/torrents, built by make_corpus.py): every bad torrent fails with
// the error its MANIFEST line names, every good torrent loads, satisfies the invariants, and has the
// specific properties checked below.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <ccbt/bencode.hpp>
#include <ccbt/metainfo.hpp>

#include "invariants.hpp"

namespace ccbt::metainfo {
namespace {

namespace fs = std::filesystem;

const fs::path k_dir = fs::path(CCBT_TEST_DATA_DIR) / "torrents";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct bad_case {
  std::string file;
  std::string expected;  // "<category>.<errc>"
  parse_options opts;
};

// Error code values by name, for the MANIFEST.
std::error_code code_named(const std::string& name) {
  static const std::map<std::string, std::error_code> codes = [] {
    std::map<std::string, std::error_code> m;
#define M(e) m["metainfo." #e] = make_error_code(errc::e)
    M(not_a_dictionary); M(missing_info); M(invalid_info); M(info_too_large); M(missing_piece_length);
    M(invalid_piece_length); M(missing_pieces); M(invalid_pieces); M(pieces_size_mismatch); M(too_many_pieces);
    M(missing_name); M(invalid_name); M(missing_length); M(invalid_length); M(size_overflow); M(invalid_files);
    M(invalid_file_entry); M(missing_path); M(invalid_path); M(path_too_deep); M(too_many_files); M(no_files);
    M(invalid_meta_version); M(missing_file_tree); M(invalid_file_tree); M(nesting_too_deep);
    M(missing_pieces_root); M(invalid_pieces_root); M(missing_piece_layers); M(invalid_piece_layers);
    M(missing_piece_layer); M(piece_layer_size_mismatch); M(piece_layer_mismatch); M(hybrid_mismatch);
    M(hybrid_misaligned); M(invalid_pad_file); M(invalid_symlink); M(input_too_large);
#undef M
#define B(e) m["bencode." #e] = bencode::make_error_code(bencode::errc::e)
    B(invalid_character); B(string_too_long); B(missing_end); B(trailing_data); B(depth_exceeded);
    B(unexpected_end);
#undef B
    return m;
  }();
  const auto it = codes.find(name);
  return it == codes.end() ? std::error_code() : it->second;
}

std::vector<bad_case> load_manifest() {
  std::vector<bad_case> out;
  std::ifstream in(k_dir / "bad" / "MANIFEST");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    bad_case c;
    words >> c.file >> c.expected;
    std::string opt;
    while (words >> opt) {
      const auto eq = opt.find('=');
      const std::string key = opt.substr(0, eq);
      const auto value = std::stoull(opt.substr(eq + 1));
      if (key == "max_input_size") c.opts.max_input_size = value;
      else if (key == "max_info_size") c.opts.max_info_size = value;
      else if (key == "max_pieces") c.opts.max_pieces = static_cast<std::uint32_t>(value);
      else if (key == "max_files") c.opts.max_files = value;
      else ADD_FAILURE() << "unknown option " << key << " in MANIFEST";
    }
    out.push_back(std::move(c));
  }
  return out;
}

TEST(Corpus, EveryBadTorrentFailsWithItsError) {
  const auto cases = load_manifest();
  std::set<std::string> listed, distinct;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    listed.insert(c.file);
    distinct.insert(c.expected);
    const auto expected = code_named(c.expected);
    ASSERT_TRUE(expected) << "unknown error name " << c.expected;
    const std::string data = read_file(k_dir / "bad" / c.file);
    ASSERT_FALSE(data.empty());
    const auto r = torrent_info::parse(data, c.opts);
    ASSERT_FALSE(r.has_value()) << "parsed, expected " << c.expected;
    EXPECT_EQ(r.error().code, expected) << r.error().message();
    EXPECT_FALSE(r.error().message().empty());
    EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
  }
  // Every file on disk is in the MANIFEST, and the corpus covers many distinct error classes.
  for (const auto& entry : fs::directory_iterator(k_dir / "bad"))
    if (entry.path().extension() == ".torrent") {
      EXPECT_TRUE(listed.count(entry.path().filename().string())) << entry.path();
    }
  EXPECT_GE(cases.size(), 40u);
  EXPECT_GE(distinct.size(), 40u);
}

TEST(Corpus, FromInfoDictAgreesOnBadInfoDicts) {
  // The same errors come out of from_info_dict() for the info-dict-level failures.
  for (const auto& c : load_manifest()) {
    if (c.expected.rfind("metainfo.", 0) != 0 || c.opts.max_input_size != parse_options{}.max_input_size) continue;
    const std::string data = read_file(k_dir / "bad" / c.file);
    auto doc = bencode::decode(data);
    if (!doc || !doc->root().is_dict()) continue;
    const auto info = doc->root().find("info");
    if (!info || !info->is_dict()) continue;
    const auto code = code_named(c.expected);
    if (code == make_error_code(errc::missing_piece_layers) || code == make_error_code(errc::missing_piece_layer) ||
        code == make_error_code(errc::invalid_piece_layers) || code == make_error_code(errc::piece_layer_mismatch) ||
        code == make_error_code(errc::piece_layer_size_mismatch))
      continue;  // piece layers live outside the info dict
    SCOPED_TRACE(c.file);
    const auto r = torrent_info::from_info_dict(info->raw(), c.opts);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code) << r.error().message();
  }
}

result<torrent_info> load_good(const std::string& name) {
  return torrent_info::parse(read_file(k_dir / "good" / (name + ".torrent")));
}

std::vector<std::string> paths_of(const torrent_info& ti) {
  std::vector<std::string> out;
  for (const auto& f : ti.files()) out.push_back(f.path + (f.pad() ? " [pad]" : ""));
  return out;
}

TEST(Corpus, EveryGoodTorrentLoadsAndKeepsTheInvariants) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(k_dir / "good")) {
    if (entry.path().extension() != ".torrent") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const auto r = torrent_info::parse(read_file(entry.path()));
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(testing::check_invariants(*r), "");
    // from_info_dict() on the same info dict gives the same identity and layout.
    const auto again = torrent_info::from_info_dict(r->info_bytes());
    ASSERT_TRUE(again.has_value()) << again.error().message();
    EXPECT_EQ(again->hashes(), r->hashes());
    EXPECT_EQ(paths_of(*again), paths_of(*r));
    EXPECT_EQ(testing::check_invariants(*again), "");
    ++count;
  }
  EXPECT_GE(count, 15u);
}

TEST(Corpus, UnorderedKeysHashTheRawBytes) {
  const auto ti = load_good("unordered_keys");
  ASSERT_TRUE(ti) << ti.error().message();
  // The info dict is hashed as written (keys out of order), not re-encoded.
  EXPECT_EQ(ti->info_bytes().substr(0, 10), "d6:pieces2");
  EXPECT_EQ(ti->name(), "unordered");
  EXPECT_EQ(ti->trackers(), (std::vector<std::vector<std::string>>{{"http://t/"}}));
}

TEST(Corpus, WeirdPathsAreSanitised) {
  const auto ti = load_good("weird_paths");
  ASSERT_TRUE(ti) << ti.error().message();
  const std::vector<std::string> expected = {
      "weird/up.txt", "weird/dot.txt", "weird/_/empty_component", "weird/ab", "weird/backslash",
      "weird/ctl__char", "weird/abs", "weird/_.1", "weird/\u00e9t\u00e9 \u65e5\u672c",
      "weird/" + std::string(240, 'x') + ".mkv", "weird/eviltxt.exe", "weird/__", "weird/CON", "weird/trailing. "};
  EXPECT_EQ(paths_of(*ti), expected);
}

TEST(Corpus, DuplicatesAreRenamed) {
  const auto ti = load_good("duplicate_names");
  ASSERT_TRUE(ti);
  EXPECT_EQ(paths_of(*ti), (std::vector<std::string>{"dups/a.txt", "dups/a.1.txt", "dups/A.2.TXT", "dups/a.1.1.txt",
                                                     "dups/d.1", "dups/d/e"}));
  const auto clash = load_good("file_dir_clash");
  ASSERT_TRUE(clash);
  EXPECT_EQ(paths_of(*clash), (std::vector<std::string>{"clash/x.1", "clash/x/y.1", "clash/x/y/z"}));
}

TEST(Corpus, EmptyFilesTakeNoSpace) {
  const auto ti = load_good("empty_files");
  ASSERT_TRUE(ti);
  ASSERT_EQ(ti->num_files(), 5u);
  EXPECT_EQ(ti->total_size(), 20001u);
  EXPECT_EQ(ti->files()[0].offset, 0u);
  EXPECT_EQ(ti->files()[0].first_piece, ti->files()[0].end_piece);
  EXPECT_EQ(ti->files()[4].offset, 20001u);
  // No slice ever names an empty file.
  for (std::uint32_t p = 0; p < ti->num_pieces(); ++p)
    for (const auto& s : ti->map_block(p, 0, ti->piece_size(p))) EXPECT_NE(ti->files()[s.file_index].size, 0u);
  EXPECT_EQ(*ti->file_at_offset(0), 1u);  // empty e0 shares offset 0 with x
}

TEST(Corpus, SymlinksAndAttributes) {
  const auto ti = load_good("symlinks_and_attrs");
  ASSERT_TRUE(ti);
  const auto& f = ti->files();
  ASSERT_EQ(f.size(), 6u);
  EXPECT_TRUE(f[1].symlink());
  EXPECT_EQ(f[1].size, 0u);
  EXPECT_EQ(f[1].symlink_target, "links/dir/target.bin");
  EXPECT_EQ(f[2].symlink_target, "links/dir");
  EXPECT_EQ(f[3].symlink_target, "links/escaping");  // "../../etc/passwd" points to itself
  EXPECT_TRUE(f[4].executable());
  EXPECT_TRUE(f[5].hidden());
  EXPECT_EQ(f[5].mtime, 1700000000);
}

TEST(Corpus, V1PadFiles) {
  const auto ti = load_good("v1_pad_files");
  ASSERT_TRUE(ti);
  EXPECT_EQ(paths_of(*ti), (std::vector<std::string>{"v1pads/a", "v1pads/.pad/16284 [pad]", "v1pads/b",
                                                     "v1pads/not_in_pad_dir [pad]", "v1pads/c",
                                                     "v1pads/_____padding_file_0_ [pad]", "v1pads/d"}));
  EXPECT_EQ(ti->total_size(), 32792u);
  EXPECT_EQ(ti->payload_size(), 16500u);
  // Piece 0 is file a then padding: one slice.
  EXPECT_EQ(ti->map_block(0, 0, 16384), (std::vector<file_slice>{{0, 0, 100}}));
}

TEST(Corpus, TrackersWebSeedsAndExtras) {
  const auto ti = load_good("trackers_and_extras");
  ASSERT_TRUE(ti);
  EXPECT_EQ(ti->name(), "extras-utf8");
  EXPECT_EQ(ti->trackers(), (std::vector<std::vector<std::string>>{{"http://a/", "http://b/"}, {"udp://c:80"}, {"http://d/"}}));
  EXPECT_EQ(ti->web_seeds(), (std::vector<std::string>{"http://seed1/", "http://seed2/"}));
  EXPECT_TRUE(ti->is_private());
  EXPECT_EQ(ti->creation_date(), 1700000000);
  EXPECT_EQ(ti->comment(), "a comment");
  EXPECT_EQ(ti->created_by(), "make_corpus");
  EXPECT_EQ(ti->source(), "SRC");
  const auto single = load_good("url_list_string");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->web_seeds(), (std::vector<std::string>{"http://only/"}));
  EXPECT_FALSE(single->is_private());
  EXPECT_FALSE(single->creation_date());
}

TEST(Corpus, V2Layouts) {
  const auto single = load_good("v2_single");
  ASSERT_TRUE(single);
  EXPECT_TRUE(single->is_v2());
  EXPECT_FALSE(single->is_v1());
  EXPECT_EQ(single->name(), "only.bin");  // the file tree key, not info.name (as libtorrent)
  EXPECT_EQ(paths_of(*single), (std::vector<std::string>{"only.bin", "only.bin/.pad/11920 [pad]"}));
  EXPECT_EQ(single->total_size(), 81920u);
  EXPECT_EQ(single->num_pieces(), 5u);
  ASSERT_EQ(single->piece_layer(0).size(), 5u);
  EXPECT_EQ(single->piece_hash_v2(4), single->piece_layer(0)[4]);

  const auto multi = load_good("v2_multi");
  ASSERT_TRUE(multi);
  EXPECT_EQ(paths_of(*multi), (std::vector<std::string>{"v2multi/a.bin", "v2multi/.pad/25536 [pad]", "v2multi/b/c.txt",
                                                        "v2multi/.pad/32763 [pad]", "v2multi/big",
                                                        "v2multi/.pad/31072 [pad]", "v2multi/e"}));
  // Small files: the expected piece hash is the pieces root; big ones: their piece layer.
  EXPECT_EQ(multi->piece_hash_v2(0), multi->piece_layer(0)[0]);  // a.bin: 2 pieces
  EXPECT_EQ(multi->piece_hash_v2(1), multi->piece_layer(0)[1]);
  EXPECT_EQ(multi->piece_hash_v2(2), multi->files()[2].pieces_root);
  EXPECT_EQ(multi->piece_hash_v2(3), multi->piece_layer(4)[0]);
  EXPECT_EQ(multi->piece_hash_v2(6), multi->piece_layer(4)[3]);
  EXPECT_FALSE(multi->files()[6].pieces_root);

  const auto empty_root = load_good("v2_empty_file_with_root");
  ASSERT_TRUE(empty_root);
  EXPECT_FALSE(empty_root->files().back().pieces_root);  // ignored on an empty file

  const auto link = load_good("v2_symlink");
  ASSERT_TRUE(link);
  EXPECT_TRUE(link->files().back().symlink());
  EXPECT_EQ(link->files().back().symlink_target, "v2link/a");
}

TEST(Corpus, HybridLayouts) {
  const auto tail = load_good("hybrid_tail_pad");
  ASSERT_TRUE(tail);
  EXPECT_TRUE(tail->is_hybrid());
  EXPECT_EQ(paths_of(*tail), (std::vector<std::string>{"hytail/a.bin", "hytail/.pad/9152 [pad]", "hytail/e",
                                                       "hytail/z/b.txt", "hytail/.pad/16379 [pad]"}));
  EXPECT_EQ(tail->total_size(), 65536u);
  const auto notail = load_good("hybrid_no_tail_pad");
  ASSERT_TRUE(notail);
  EXPECT_EQ(notail->total_size(), 49157u);
  EXPECT_EQ(notail->num_pieces(), 4u);
  EXPECT_EQ(notail->piece_size(3), 5u);
  const auto single = load_good("hybrid_single");
  ASSERT_TRUE(single);
  EXPECT_EQ(paths_of(*single), (std::vector<std::string>{"one.bin"}));
  EXPECT_FALSE(single->is_multi_file());
}

}  // namespace
}  // namespace ccbt::metainfo
