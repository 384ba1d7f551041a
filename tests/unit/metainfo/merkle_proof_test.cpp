#include <gtest/gtest.h>

#include <random>

#include "crypto/sha.hpp"
#include "metainfo/merkle.hpp"
#include "metainfo/merkle_proof.hpp"

namespace ccbt::metainfo::merkle {
namespace {

// A whole tree built the obvious way (independent of layer_tree): full[h] has 2^(D-h) nodes, the
// leaves past the data being zero hashes.
struct full_tree {
  std::vector<std::vector<sha256_hash>> full;
  unsigned height = 0;
};

full_tree build(std::size_t blocks, std::uint32_t seed) {
  full_tree t;
  std::size_t width = 1;
  while (width < blocks) width *= 2, ++t.height;
  std::mt19937 rng(seed);
  std::vector<sha256_hash> leaves(width);  // zero past the data
  for (std::size_t i = 0; i < blocks; ++i)
    for (auto& b : leaves[i].bytes) b = static_cast<unsigned char>(rng());
  t.full.push_back(leaves);
  while (t.full.back().size() > 1) {
    const auto& lo = t.full.back();
    std::vector<sha256_hash> up(lo.size() / 2);
    for (std::size_t i = 0; i < up.size(); ++i) up[i] = crypto::sha256_pair(lo[2 * i], lo[2 * i + 1]);
    t.full.push_back(std::move(up));
  }
  return t;
}

// The independent check: climb from the range with the uncles, choosing sides by the index bits.
sha256_hash fold(const proof_request& r, const std::vector<sha256_hash>& h) {
  std::vector<sha256_hash> cur(h.begin(), h.begin() + r.length);
  std::uint64_t pos = r.index;
  while (cur.size() > 1) {
    std::vector<sha256_hash> up;
    for (std::size_t i = 0; i < cur.size(); i += 2) up.push_back(crypto::sha256_pair(cur[i], cur[i + 1]));
    cur = up;
    pos /= 2;
  }
  sha256_hash n = cur[0];
  for (std::size_t u = r.length; u < h.size(); ++u, pos /= 2)
    n = pos % 2 == 0 ? crypto::sha256_pair(n, h[u]) : crypto::sha256_pair(h[u], n);
  return n;
}

// A file of `blocks` blocks with pieces of 2^p blocks: the layer_tree from the piece layer.
layer_tree from_piece_layer(const full_tree& t, std::size_t blocks, unsigned p) {
  const std::size_t pieces = (blocks + (std::size_t{1} << p) - 1) >> p;
  std::vector<sha256_hash> layer(t.full[p].begin(), t.full[p].begin() + static_cast<std::ptrdiff_t>(pieces));
  return layer_tree(layer, p, t.height);
}

TEST(MerkleProof, LayerTreeMatchesTheFullTreeIncludingPadding) {
  for (std::size_t blocks : {5u, 33u, 100u, 1000u}) {
    const auto t = build(blocks, static_cast<std::uint32_t>(blocks));
    const layer_tree lt = from_piece_layer(t, blocks, 2);
    EXPECT_EQ(lt.root(), t.full.back()[0]);
    for (unsigned h = 2; h <= t.height; ++h)
      for (std::size_t i = 0; i < t.full[h].size(); ++i) ASSERT_EQ(lt.node(h, i), t.full[h][i]) << h << " " << i;
  }
}

TEST(MerkleProof, EveryValidRequestAnswersWithTheTreeNodesAndProvesToTheRoot) {
  const std::size_t blocks = 300;  // D = 9; pieces of 4 blocks: 75 pieces, layer 2 has 128 nodes
  const auto t = build(blocks, 7);
  const layer_tree lt = from_piece_layer(t, blocks, 2);
  int checked = 0;
  for (std::uint32_t base = 2; base < t.height; ++base)
    for (std::uint32_t length = 1; length <= (1u << (t.height - base)); length *= 2)
      for (std::uint32_t index = 0; index + length <= (1u << (t.height - base)); index += length)
        for (std::uint32_t proof = 0; proof < t.height - base; ++proof) {
          const proof_request r{base, index, length, proof};
          ASSERT_FALSE(check_request(r, t.height)) << *check_request(r, t.height);
          const auto a = lt.answer(r);
          ASSERT_TRUE(a);
          ASSERT_EQ(a->size(), length + uncle_count(r));
          for (std::uint32_t i = 0; i < length; ++i) ASSERT_EQ((*a)[i], t.full[base][index + i]);
          // The uncles: siblings of the range's ancestors at heights base+log2(length) .. base+proof.
          unsigned k = static_cast<unsigned>(std::countr_zero(length));
          for (std::size_t u = length; u < a->size(); ++u, ++k)
            ASSERT_EQ((*a)[u], t.full[base + k][(index >> k) ^ 1]);
          ASSERT_EQ(base + k, std::max(base + proof + 1, base + static_cast<unsigned>(std::countr_zero(length))));
          const bool to_root = proof == t.height - base - 1 || length == (1u << (t.height - base));
          if (to_root) {
            EXPECT_EQ(fold(r, *a), t.full.back()[0]);
            EXPECT_TRUE(verify_answer(t.full.back()[0], t.height, r, *a));
            auto bad = *a;
            bad[bad.size() - 1].bytes[0] ^= 1;
            EXPECT_FALSE(verify_answer(t.full.back()[0], t.height, r, bad));
            bad = *a;
            bad[0].bytes[31] ^= 0x80;
            EXPECT_FALSE(verify_answer(t.full.back()[0], t.height, r, bad));
            ++checked;
          }
        }
  EXPECT_GT(checked, 100);
}

TEST(MerkleProof, LibtorrentStylePieceLayerRequest) {
  // 1300 pieces of 2 blocks: libtorrent asks for 512-piece buckets at the piece layer with the
  // proof up to the root; the last bucket (276 pieces) is padded to 512.
  const std::size_t blocks = 2600;
  const auto t = build(blocks, 11);  // D = 12, piece layer height 1 has 2048 nodes
  const layer_tree lt = from_piece_layer(t, blocks, 1);
  for (std::uint32_t index : {0u, 512u, 1024u}) {
    const proof_request r{1, index, 512, t.height - 2};
    const auto a = lt.answer(r);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->size(), 512u + 2u);  // uncles at heights 10 and 11
    EXPECT_TRUE(verify_answer(t.full.back()[0], t.height, r, *a));
    EXPECT_EQ(fold(r, *a), t.full.back()[0]);
  }
  const auto pad = lt.answer({1, 1536, 512, t.height - 2});
  ASSERT_TRUE(pad);
  for (std::size_t i = 0; i < 512; ++i) EXPECT_EQ((*pad)[i], pad_hash(1));  // all past the data
}

TEST(MerkleProof, InvalidRequestsAreRejected) {
  const auto t = build(300, 3);  // D = 9
  const layer_tree lt = from_piece_layer(t, 300, 2);
  const proof_request bad[] = {
      {9, 0, 1, 0},        // base at the root
      {40, 0, 2, 0},       // base far above
      {2, 0, 3, 0},        // length not a power of two
      {2, 0, 0, 0},        // length 0
      {2, 2, 4, 0},        // misaligned
      {2, 124, 8, 0},      // past the layer (128 nodes)
      {2, 0xfffffff0, 16, 0},  // index overflow
      {2, 0, 2, 7},        // proof to the root itself
      {2, 0, 2, 0xffffffff},
      {0, 0, 1024, 0},     // over the cap
  };
  for (const auto& r : bad) {
    EXPECT_TRUE(check_request(r, t.height)) << r.base << " " << r.index << " " << r.length;
    EXPECT_FALSE(lt.answer(r));
    EXPECT_FALSE(verify_answer(t.full.back()[0], t.height, r, std::vector<sha256_hash>(r.length % 64 + 8)));
  }
  // Valid, but below the layers we hold (block hashes): no answer.
  EXPECT_FALSE(check_request({0, 0, 4, 8}, t.height));
  EXPECT_FALSE(lt.answer({0, 0, 4, 8}));
  EXPECT_FALSE(lt.answer({1, 0, 2, 7}));
  // A proof that stops below the root is not anchored.
  const proof_request partial{2, 0, 2, 3};
  EXPECT_FALSE(verify_answer(t.full.back()[0], t.height, partial, *lt.answer(partial)));
  // A tree of a single block has no layer to ask for.
  EXPECT_TRUE(check_request({0, 0, 1, 0}, 0));
}

}  // namespace
}  // namespace ccbt::metainfo::merkle
