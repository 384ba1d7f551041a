#include <gtest/gtest.h>

#include <string>

#include "crypto/sha.hpp"
#include "metainfo/merkle.hpp"

namespace ccbt::metainfo::merkle {
namespace {

std::vector<sha256_hash> leaves_of(const std::string& data) {
  std::vector<sha256_hash> out;
  for (std::size_t off = 0; off < data.size(); off += block_size)
    out.push_back(crypto::sha256_digest(std::string_view(data).substr(off, block_size)));
  return out;
}

// Vectors from shared/spec/bep52_vectors.txt.
TEST(Merkle, SmallFileRootWithoutPieceLayer) {
  std::string b(40000, '\0');
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((13 * i + 1) % 256);
  EXPECT_EQ(file_root(leaves_of(b)).to_hex(), "adc77e69fdb4c53b2924d779d3e4a7f7abc8c4d5699807b12d28e410aefade61");
}

TEST(Merkle, PieceLayerAndRootAgree) {
  std::string a(100000, '\0');
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>((7 * i + 3) % 251);
  const auto leaves = leaves_of(a);
  const auto root_hex = std::string("43ae2698d3c75be7703641a82c823d1b513b5e7315bfcc2e5ac089dc16476c63");
  EXPECT_EQ(file_root(leaves).to_hex(), root_hex);
  const auto layer = piece_layer(leaves, 32768);
  ASSERT_EQ(layer.size(), 4u);
  EXPECT_EQ(layer[0].to_hex(), "6b7702ec93fd7bde4fccf7123b679a0703843fe9d838e7bc9ac4eee2c26e3923");
  EXPECT_EQ(layer[3].to_hex(), "a5f9cb0a2b3cc30d16c988462f08ade440f0ccddef89fcfafc40bacbd00f2047");
  EXPECT_EQ(root_from_piece_layer(layer, 32768).to_hex(), root_hex);
}

TEST(Merkle, FiveLayerHashesPaddedWithPadPieces) {
  std::string c(140000, '\0');
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<char>(((i * i) >> 7 ^ (i >> 9)) & 0xff);
  const auto leaves = leaves_of(c);
  const auto layer = piece_layer(leaves, 32768);
  ASSERT_EQ(layer.size(), 5u);
  EXPECT_EQ(layer[4].to_hex(), "14252be34251413749b47a7298f01e4aa5f742130c024b018edcc0aa1163f99b");
  const auto expected = std::string("a85445f6019f01d947b059c1af046a19f57734acc6989c0545a3735926727852");
  EXPECT_EQ(file_root(leaves).to_hex(), expected);
  EXPECT_EQ(root_from_piece_layer(layer, 32768).to_hex(), expected);
  EXPECT_EQ(pad_hash(1).to_hex(), "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b");
}

}  // namespace
}  // namespace ccbt::metainfo::merkle
