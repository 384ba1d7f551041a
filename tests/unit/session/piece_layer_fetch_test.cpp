// piece_layer_fetch against hash_server: a v2 info dictionary without piece layers (as BEP 9 gives
// it) gets its layers from a server that holds them, bucket by bucket, each answer proved.
#include <gtest/gtest.h>

#include <random>

#include "crypto/sha.hpp"
#include "metainfo/merkle.hpp"
#include "session/hash_server.hpp"
#include "session/piece_layer_fetch.hpp"

namespace ccbt::session_detail {
namespace {

namespace merkle = metainfo::merkle;
constexpr std::uint32_t piece_length = 32768;  // 2 blocks

struct v2_file {
  std::string name;
  std::uint64_t size = 0;
  std::vector<sha256_hash> leaves;
};

v2_file make_file(std::string name, std::uint64_t size, std::uint32_t seed) {
  v2_file f{std::move(name), size, {}};
  std::mt19937 rng(seed);
  f.leaves.resize(merkle::block_count(size));
  for (auto& h : f.leaves)
    for (auto& b : h.bytes) b = static_cast<unsigned char>(rng());
  return f;
}

// A v2 info dictionary (keys in order) for `files`, no piece layers.
std::string info_dict(const std::vector<v2_file>& files) {
  std::string tree = "d";
  for (const auto& f : files) {  // names given in sorted order
    const auto root = merkle::file_root(f.leaves);
    tree += std::to_string(f.name.size()) + ":" + f.name + "d0:d6:lengthi" + std::to_string(f.size) +
            "e11:pieces root32:" + std::string(reinterpret_cast<const char*>(root.bytes.data()), 32) + "ee";
  }
  tree += "e";
  return "d9:file tree" + tree + "12:meta versioni2e4:name1:x12:piece lengthi" + std::to_string(piece_length) + "ee";
}

std::shared_ptr<metainfo::torrent_info> with_layers(const std::string& info, const std::vector<v2_file>& files) {
  auto ti = metainfo::torrent_info::from_info_dict(info);
  EXPECT_TRUE(ti) << ti.error().message();
  auto full = std::make_shared<metainfo::torrent_info>(std::move(*ti));
  for (std::size_t i = 0; i < full->num_files(); ++i)  // info file indices include pad files
    for (const auto& f : files)
      if (f.size > piece_length && full->files()[i].pieces_root == merkle::file_root(f.leaves)) {
        const auto r = full->set_piece_layer(i, merkle::piece_layer(f.leaves, piece_length));
        EXPECT_TRUE(r) << r.error().message();
      }
  return full;
}

wire::hashes as_message(const wire::hash_request& r, const std::vector<sha256_hash>& h) {
  wire::hashes m;
  static_cast<wire::hash_range&>(m) = r;
  m.data = std::as_bytes(std::span(h.data()->bytes.data(), h.size() * 32));
  return m;
}

// Every file's tree built, as the session has a disk worker do before it answers for that file.
hash_server ready(std::shared_ptr<const metainfo::torrent_info> info) {
  hash_server s(std::move(info));
  for (std::size_t i = 0; i < s.info()->num_files(); ++i) {
    const auto& f = s.info()->files()[i];
    if (!f.pieces_root) continue;
    wire::hash_range r;
    r.pieces_root = *f.pieces_root;
    if (const auto file = s.file_of(r)) s.add_tree(*file, hash_server::make_tree(*s.info(), *file));
  }
  return s;
}

TEST(PieceLayerFetch, FetchesEveryLayerFromAHashServerInBuckets) {
  // 1100 pieces (3 buckets, the last padded), 5 pieces, and a file of one piece (no layer needed).
  const std::vector<v2_file> files{make_file("a", 1100ull * piece_length - 5, 1), make_file("b", 5 * piece_length, 2),
                                   make_file("c", 1000, 3)};
  const auto info = info_dict(files);
  auto bare = metainfo::torrent_info::from_info_dict(info);
  ASSERT_TRUE(bare) << bare.error().message();
  ASSERT_FALSE(bare->has_all_piece_layers());
  hash_server server = ready(with_layers(info, files));

  piece_layer_fetch fetch(*bare, 1000);
  EXPECT_EQ(fetch.files(), 2u);
  int answered = 0;
  while (auto r = fetch.next_request(7, 0)) {
    EXPECT_EQ(r->proof_layers + 1 + r->base_layer,
              merkle::log2_exact(merkle::next_pow2(r->pieces_root == *bare->files()[0].pieces_root ? 2200 : 10)));
    const auto h = server.answer(*r);
    ASSERT_TRUE(h);
    EXPECT_EQ(fetch.on_hashes(7, as_message(*r, *h)), piece_layer_fetch::answer_result::accepted);
    EXPECT_EQ(fetch.on_hashes(7, as_message(*r, *h)), piece_layer_fetch::answer_result::ignored);  // twice
    ++answered;
  }
  EXPECT_EQ(answered, 4);  // 3 + 1 buckets
  ASSERT_TRUE(fetch.done());
  ASSERT_TRUE(fetch.apply(*bare));
  EXPECT_TRUE(bare->has_all_piece_layers());
  int layers = 0;
  for (std::size_t i = 0; i < bare->num_files(); ++i)
    for (const auto& f : files)
      if (f.size > piece_length && bare->files()[i].pieces_root == merkle::file_root(f.leaves)) {
        EXPECT_TRUE(std::ranges::equal(bare->piece_layer(i), merkle::piece_layer(f.leaves, piece_length)));
        ++layers;
      }
  EXPECT_EQ(layers, 2);
}

TEST(PieceLayerFetch, BadProofsRejectionsAndTimeouts) {
  const std::vector<v2_file> files{make_file("a", 9ull * piece_length, 4)};
  const auto info = info_dict(files);
  auto bare = metainfo::torrent_info::from_info_dict(info);
  ASSERT_TRUE(bare) << bare.error().message();
  hash_server server = ready(with_layers(info, files));
  piece_layer_fetch fetch(*bare, 1000);

  auto r = fetch.next_request(1, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->length, 16u);  // 9 pieces, padded
  EXPECT_FALSE(fetch.next_request(2, 10));  // in flight with peer 1
  auto h = *server.answer(*r);
  EXPECT_EQ(fetch.on_hashes(2, as_message(*r, h)), piece_layer_fetch::answer_result::ignored);  // not asked
  auto bad = h;
  bad[3].bytes[0] ^= 1;
  EXPECT_EQ(fetch.on_hashes(1, as_message(*r, bad)), piece_layer_fetch::answer_result::bad);
  EXPECT_FALSE(fetch.next_request(1, 20));  // the liar is not asked again
  r = fetch.next_request(2, 20);
  ASSERT_TRUE(r);
  fetch.on_reject(2, *r);
  EXPECT_FALSE(fetch.next_request(2, 30));
  r = fetch.next_request(3, 30);
  ASSERT_TRUE(r);
  EXPECT_FALSE(fetch.next_request(4, 500));
  r = fetch.next_request(4, 1030);  // peer 3 timed out
  ASSERT_TRUE(r);
  EXPECT_EQ(fetch.on_hashes(4, as_message(*r, h)), piece_layer_fetch::answer_result::accepted);
  EXPECT_TRUE(fetch.done());
  EXPECT_TRUE(fetch.apply(*bare));
}

TEST(HashServer, RejectsWhatItCannotAnswer) {
  const std::vector<v2_file> files{make_file("a", 9ull * piece_length, 5), make_file("b", 1000, 6)};
  const auto info = info_dict(files);
  hash_server server = ready(with_layers(info, files));
  wire::hash_range r;
  r.pieces_root = *server.info()->files()[0].pieces_root;
  r.base_layer = 1;
  r.length = 16;
  r.proof_layers = 3;  // tree height 5 (18 blocks -> 32)
  ASSERT_TRUE(server.answer(r));
  r.base_layer = 0;  // block hashes: we would need the data
  EXPECT_FALSE(server.answer(r));
  r.base_layer = 1;
  r.index = 8;  // misaligned
  EXPECT_FALSE(server.answer(r));
  r.index = 0;
  r.proof_layers = 4;  // to the root itself
  EXPECT_FALSE(server.answer(r));
  r.proof_layers = 3;
  r.pieces_root = *server.info()->files()[1].pieces_root;  // a file of one piece: no piece layer
  EXPECT_FALSE(server.answer(r));
  r.pieces_root.bytes[0] ^= 1;  // no such file
  EXPECT_FALSE(server.answer(r));
}

TEST(HashServer, AnswersAFileOnlyOnceItsTreeIsBuilt) {
  const std::vector<v2_file> files{make_file("a", 9ull * piece_length, 5), make_file("b", 4ull * piece_length, 7)};
  const auto info = info_dict(files);
  hash_server server(with_layers(info, files));
  wire::hash_range r;
  r.pieces_root = *server.info()->files()[0].pieces_root;
  r.base_layer = 1;
  r.length = 16;
  r.proof_layers = 3;
  const auto file = server.file_of(r);
  ASSERT_EQ(file, 0u);
  EXPECT_FALSE(server.has_tree(0));
  EXPECT_FALSE(server.answer(r));  // the session queues the request and builds the tree first
  server.add_tree(0, hash_server::make_tree(*server.info(), 0));
  EXPECT_TRUE(server.has_tree(0));
  EXPECT_FALSE(server.has_tree(1));
  const auto h = server.answer(r);
  ASSERT_TRUE(h);
  EXPECT_EQ(h, ready(with_layers(info, files)).answer(r));
}

}  // namespace
}  // namespace ccbt::session_detail
