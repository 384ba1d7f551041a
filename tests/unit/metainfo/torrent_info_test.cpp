// torrent_info built from torrents written here with the bencode encoder: identity, pieces, the
// piece <-> file layout, v2 piece hashes and layers, trackers, limits, errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <ccbt/bencode.hpp>
#include <ccbt/metainfo.hpp>

#include "crypto/sha.hpp"
#include "invariants.hpp"
#include "metainfo/merkle.hpp"

namespace ccbt::metainfo {
namespace {

using bencode::dict;
using bencode::list;
using bencode::value;

// Dicts are filled by assignment: nested braced initialisers of bencode::value trip GCC 12's
// -Wmaybe-uninitialized (a false positive inside std::variant).
value file_dict(std::int64_t length, list path) {
  dict d;
  d["length"] = length;
  d["path"] = std::move(path);
  return d;
}

std::string data_of(std::size_t size, int seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + static_cast<std::size_t>(seed) * 7 + i / 251) & 0xff);
  return s;
}

std::string v1_pieces(const std::string& blob, std::size_t plen) {
  std::string out;
  for (std::size_t off = 0; off < blob.size(); off += plen)
    out += std::string(crypto::sha1_digest(std::string_view(blob).substr(off, plen)).view());
  return out;
}

// A v1 multi-file torrent with the given file sizes (content data_of(size, index)).
std::string v1_multi(const std::vector<std::size_t>& sizes, std::int64_t plen, dict extra = {}) {
  list files;
  std::string blob;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    list path;
    path.emplace_back("f" + std::to_string(i));
    files.push_back(file_dict(static_cast<std::int64_t>(sizes[i]), std::move(path)));
    blob += data_of(sizes[i], static_cast<int>(i));
  }
  dict info{{"name", "multi"}, {"piece length", plen}, {"files", files},
            {"pieces", v1_pieces(blob, static_cast<std::size_t>(plen))}};
  extra["info"] = info;
  return bencode::encode(extra);
}

std::vector<sha256_hash> leaves_of(const std::string& data) {
  std::vector<sha256_hash> out;
  for (std::size_t off = 0; off < data.size(); off += merkle::block_size)
    out.push_back(crypto::sha256_digest(std::string_view(data).substr(off, merkle::block_size)));
  return out;
}

struct v2_built {
  std::string torrent;
  std::string info;
  std::vector<std::vector<sha256_hash>> layers;  // per input file
};

v2_built v2_multi(const std::vector<std::size_t>& sizes, std::uint64_t plen, bool with_layers = true) {
  dict tree, layers;
  v2_built out;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto data = data_of(sizes[i], static_cast<int>(i));
    dict leaf{{"length", static_cast<std::int64_t>(sizes[i])}};
    std::vector<sha256_hash> layer;
    if (!data.empty()) {
      const auto leaves = leaves_of(data);
      const auto root = merkle::file_root(leaves);
      leaf["pieces root"] = std::string(root.view());
      if (data.size() > plen) {
        layer = merkle::piece_layer(leaves, plen);
        std::string bytes;
        for (const auto& h : layer) bytes += std::string(h.view());
        layers[std::string(root.view())] = bytes;
      }
    }
    out.layers.push_back(layer);
    tree["f" + std::to_string(i)] = dict{{"", leaf}};
  }
  const dict info{{"name", "v2"}, {"piece length", static_cast<std::int64_t>(plen)}, {"meta version", 2}, {"file tree", tree}};
  out.info = bencode::encode(info);
  dict t{{"info", info}};
  if (with_layers && !layers.empty()) t["piece layers"] = layers;
  out.torrent = bencode::encode(t);
  return out;
}

TEST(TorrentInfo, V1IdentityAndPieces) {
  const std::string torrent = v1_multi({20000, 5000, 0, 30000}, 16384);
  auto ti = torrent_info::parse(torrent);
  ASSERT_TRUE(ti) << ti.error().message();
  EXPECT_TRUE(ti->is_v1());
  EXPECT_FALSE(ti->is_v2());
  EXPECT_TRUE(ti->is_multi_file());
  EXPECT_EQ(ti->name(), "multi");
  EXPECT_EQ(ti->total_size(), 55000u);
  EXPECT_EQ(ti->num_pieces(), 4u);
  EXPECT_EQ(ti->piece_size(0), 16384u);
  EXPECT_EQ(ti->piece_size(3), 55000u - 3 * 16384);
  EXPECT_EQ(ti->piece_size(4), 0u);
  // The info-hash is the SHA-1 of the info dict's bytes; v2_truncated/id come from ccbt::info_hash.
  const auto doc = bencode::decode(torrent);
  ASSERT_TRUE(doc);
  EXPECT_EQ(ti->info_bytes(), doc->root().find("info")->raw());
  EXPECT_EQ(*ti->hashes().v1, crypto::sha1_digest(ti->info_bytes()));
  EXPECT_EQ(ti->hashes().id(), *ti->hashes().v1);
  // v1 piece hashes are those of the concatenated content.
  std::string blob = data_of(20000, 0) + data_of(5000, 1) + data_of(30000, 3);
  for (std::uint32_t p = 0; p < ti->num_pieces(); ++p)
    EXPECT_EQ(ti->piece_hash_v1(p), crypto::sha1_digest(std::string_view(blob).substr(p * 16384u, 16384)));
  EXPECT_EQ(testing::check_invariants(*ti), "");
}

TEST(TorrentInfo, OwnsItsBytes) {
  std::optional<torrent_info> kept;
  {
    std::string torrent = v1_multi({1000, 2000}, 16384);
    auto ti = torrent_info::parse(torrent);
    ASSERT_TRUE(ti);
    kept = *ti;  // a copy; the original buffer is overwritten and freed below
    torrent.assign(torrent.size(), 'X');
  }
  const auto again = torrent_info::from_info_dict(kept->info_bytes());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->hashes(), kept->hashes());
  EXPECT_EQ(kept->piece_hash_v1(0), again->piece_hash_v1(0));
}

TEST(TorrentInfo, MapBlockAcrossFiles) {
  auto ti = torrent_info::parse(v1_multi({20000, 5000, 0, 30000}, 16384));
  ASSERT_TRUE(ti);
  // Piece 1 = bytes 16384..32767: end of f0, all of f1, start of f3 (f2 is empty).
  EXPECT_EQ(ti->map_block(1, 0, 16384),
            (std::vector<file_slice>{{0, 16384, 3616}, {1, 0, 5000}, {3, 0, 7768}}));
  EXPECT_EQ(ti->map_block(1, 4000, 2000), (std::vector<file_slice>{{1, 384, 2000}}));
  // Clamped to the piece, and to the torrent.
  EXPECT_EQ(ti->map_block(3, 100, 100000), (std::vector<file_slice>{{3, 24252, 5748}}));
  EXPECT_TRUE(ti->map_block(3, 5848, 1).empty());
  EXPECT_TRUE(ti->map_block(9, 0, 1).empty());
  EXPECT_TRUE(ti->map_block(0, 0, 0).empty());
  // map_file is the inverse.
  EXPECT_EQ(ti->map_file(3, 7768, 10), (piece_range{2, 0, 10}));
  EXPECT_EQ(ti->map_file(1, 0, 999999), (piece_range{1, 3616, 5000}));
  EXPECT_FALSE(ti->map_file(2, 0, 1));  // empty file
  EXPECT_FALSE(ti->map_file(1, 5000, 1));
  EXPECT_FALSE(ti->map_file(7, 0, 1));
  EXPECT_EQ(ti->file_at_offset(20000), 1u);
  EXPECT_EQ(ti->file_at_offset(25000), 3u);
  EXPECT_FALSE(ti->file_at_offset(55000));
  EXPECT_EQ(ti->files()[2].first_piece, ti->files()[2].end_piece);
  EXPECT_EQ(ti->files()[3].first_piece, 1u);
  EXPECT_EQ(ti->files()[3].end_piece, 4u);
}

TEST(TorrentInfo, V2PieceHashesAndLayers) {
  const auto built = v2_multi({100000, 3000, 0, 16384}, 32768);
  auto ti = torrent_info::parse(built.torrent);
  ASSERT_TRUE(ti) << ti.error().message();
  EXPECT_TRUE(ti->is_v2());
  EXPECT_FALSE(ti->is_v1());
  EXPECT_EQ(*ti->hashes().v2, crypto::sha256_digest(built.info));
  EXPECT_EQ(ti->hashes().id(), ti->hashes().v2_truncated());
  // f0 (4 pieces) + pad, f1 (1 piece) + pad, f2 (empty), f3 (1 piece) + tail pad.
  ASSERT_EQ(ti->num_files(), 7u);
  EXPECT_EQ(ti->num_pieces(), 6u);
  EXPECT_TRUE(ti->has_all_piece_layers());
  for (std::uint32_t p = 0; p < 4; ++p) EXPECT_EQ(ti->piece_hash_v2(p), built.layers[0][p]);
  EXPECT_EQ(ti->piece_layer(0).size(), 4u);
  EXPECT_EQ(ti->piece_hash_v2(4), ti->files()[2].pieces_root);  // f1 at file index 2 (after a pad)
  EXPECT_EQ(ti->piece_hash_v2(5), ti->files()[5].pieces_root);
  EXPECT_FALSE(ti->piece_hash_v2(6));
  EXPECT_EQ(testing::check_invariants(*ti), "");
}

TEST(TorrentInfo, V2LayersFromPeers) {
  const auto built = v2_multi({100000, 70000}, 16384, /*with_layers=*/false);
  // A .torrent without layers is refused by default and accepted on request.
  auto strict = torrent_info::parse(built.torrent);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().code, make_error_code(errc::missing_piece_layers));
  parse_options lenient;
  lenient.require_piece_layers = false;
  ASSERT_TRUE(torrent_info::parse(built.torrent, lenient));

  auto ti = torrent_info::from_info_dict(built.info);
  ASSERT_TRUE(ti) << ti.error().message();
  EXPECT_FALSE(ti->has_all_piece_layers());
  EXPECT_FALSE(ti->piece_hash_v2(0));
  const std::size_t f1 = 2;  // after f0 and its pad
  ASSERT_EQ(ti->files()[f1].path, "v2/f1");

  auto wrong = built.layers[0];
  EXPECT_EQ(ti->set_piece_layer(0, std::span(wrong).first(3)).error().code, make_error_code(errc::piece_layer_size_mismatch));
  wrong[0].bytes[0] ^= 1;
  EXPECT_EQ(ti->set_piece_layer(0, wrong).error().code, make_error_code(errc::piece_layer_mismatch));
  EXPECT_EQ(ti->set_piece_layer(1, built.layers[0]).error().code, make_error_code(errc::invalid_file_index));  // a pad
  EXPECT_EQ(ti->set_piece_layer(99, built.layers[0]).error().code, make_error_code(errc::invalid_file_index));
  ASSERT_TRUE(ti->set_piece_layer(0, built.layers[0]));
  EXPECT_FALSE(ti->has_all_piece_layers());
  ASSERT_TRUE(ti->set_piece_layer(f1, built.layers[1]));
  EXPECT_TRUE(ti->has_all_piece_layers());
  EXPECT_EQ(ti->piece_hash_v2(0), built.layers[0][0]);
  EXPECT_EQ(ti->piece_hash_v2(ti->files()[f1].first_piece + 4), built.layers[1][4]);
  EXPECT_EQ(testing::check_invariants(*ti), "");
}

TEST(TorrentInfo, Trackers) {
  const auto with = [](dict extra) {
    auto ti = torrent_info::parse(v1_multi({100}, 16384, std::move(extra)));
    EXPECT_TRUE(ti);
    return ti ? ti->trackers() : std::vector<std::vector<std::string>>{};
  };
  EXPECT_TRUE(with({}).empty());
  EXPECT_EQ(with({{"announce", "http://a/"}}), (std::vector<std::vector<std::string>>{{"http://a/"}}));
  // announce-list replaces announce (BEP 12).
  EXPECT_EQ(with({{"announce", "http://a/"}, {"announce-list", list{list{"http://b/"}, list{"http://c/", "udp://d:1"}}}}),
            (std::vector<std::vector<std::string>>{{"http://b/"}, {"http://c/", "udp://d:1"}}));
  // An announce-list with nothing usable falls back to announce.
  EXPECT_EQ(with({{"announce", "http://a/"}, {"announce-list", list{list{}, list{""}, 5}}}),
            (std::vector<std::vector<std::string>>{{"http://a/"}}));
  EXPECT_EQ(with({{"announce", 5}}), (std::vector<std::vector<std::string>>{}));
}

TEST(TorrentInfo, OptionLimits) {
  const std::string torrent = v1_multi({1, 2, 3}, 16384);
  parse_options o;
  o.max_files = 2;
  EXPECT_EQ(torrent_info::parse(torrent, o).error().code, make_error_code(errc::too_many_files));
  o = {};
  o.max_input_size = torrent.size() - 1;
  EXPECT_EQ(torrent_info::parse(torrent, o).error().code, make_error_code(errc::input_too_large));
  o = {};
  o.max_decode_depth = 2;
  EXPECT_EQ(torrent_info::parse(torrent, o).error().code, bencode::make_error_code(bencode::errc::depth_exceeded));
  o = {};
  o.max_path_depth = 0;
  EXPECT_EQ(torrent_info::parse(torrent, o).error().code, make_error_code(errc::path_too_deep));
  o = {};
  o.max_path_depth = 3;
  const auto v2 = v2_multi({10}, 16384);
  EXPECT_TRUE(torrent_info::parse(v2.torrent, o));
}

TEST(TorrentInfo, ErrorsSayWhereAndWhat) {
  const std::string t = "d4:infod6:lengthi-5e4:name1:x12:piece lengthi16384e6:pieces0:ee";
  const auto r = torrent_info::parse(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::invalid_length));
  EXPECT_EQ(r.error().context, "info.length");
  EXPECT_EQ(r.error().offset, t.find("i-5e"));
  EXPECT_EQ(r.error().message(), "metainfo: invalid file length (negative or not an integer) at byte " +
                                     std::to_string(t.find("i-5e")) + " (info.length)");
}

TEST(TorrentInfo, EveryErrorHasAMessage) {
  EXPECT_STREQ(category().name(), "metainfo");
  for (int e = static_cast<int>(errc::not_a_dictionary); e <= static_cast<int>(errc::invalid_file_index); ++e)
    EXPECT_NE(make_error_code(static_cast<errc>(e)).message(), "unknown metainfo error") << e;
}

TEST(TorrentInfo, MultiFileNameThatSanitisesAwayUsesTheInfoHash) {
  const std::string t = bencode::encode(dict{{"info", dict{{"name", ".."}, {"piece length", 16384},
                                                          {"files", list{dict{{"length", 5}, {"path", list{"a"}}}}},
                                                          {"pieces", std::string(20, 'x')}}}});
  const auto ti = torrent_info::parse(t);
  ASSERT_TRUE(ti) << ti.error().message();
  EXPECT_EQ(ti->name(), ti->hashes().v1->to_hex());
  EXPECT_EQ(ti->files()[0].path, ti->name() + "/a");
}

TEST(TorrentInfo, PathsCanNeverEscape) {
  // Hostile components in every position, v1 and symlinks.
  const list hostile{"..", "/", "", ".", "../..", "a/../../b", "\\..\\..", std::string("\0", 1), "..\x01"};
  list files;
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    for (std::size_t j = 0; j < hostile.size(); ++j) {
      list path;
      path.push_back(hostile[i]);
      path.push_back(hostile[j]);
      files.push_back(file_dict(1, std::move(path)));
    }
  }
  dict link;
  link["attr"] = "l";
  link["path"] = list{"link"};
  link["symlink path"] = list{"..", "..", "..", "etc"};
  files.push_back(std::move(link));
  const std::string t = bencode::encode(dict{{"info", dict{{"name", "../../x"}, {"piece length", 16384},
                                                          {"files", files}, {"pieces", std::string(20, 'x')}}}});
  const auto ti = torrent_info::parse(t);
  ASSERT_TRUE(ti) << ti.error().message();
  EXPECT_EQ(ti->name(), "....x");  // separators removed, not interpreted
  EXPECT_EQ(testing::check_invariants(*ti), "");
}

}  // namespace
}  // namespace ccbt::metainfo
