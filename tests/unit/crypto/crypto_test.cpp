#include <gtest/gtest.h>

#include <string>

#include "crypto/blake3.hpp"
#include "crypto/sha.hpp"

namespace ccbt::crypto {
namespace {

TEST(Sha1, KnownVectors) {
  EXPECT_EQ(sha1_digest("").to_hex(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_digest("abc").to_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1, IncrementalEqualsOneShotAndResets) {
  std::string data(100000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  sha1 h;
  for (std::size_t i = 0; i < data.size(); i += 4999) h.update(std::string_view(data).substr(i, 4999));
  EXPECT_EQ(h.finish(), sha1_digest(data));
  // After finish() the hasher starts over.
  h.update("abc");
  EXPECT_EQ(h.finish().to_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_digest("").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_digest("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha256 h;
  h.update("a").update("bc");
  EXPECT_EQ(h.finish(), sha256_digest("abc"));
}

TEST(Sha256, PairIsHashOfConcatenation) {
  // The BEP 52 pad-piece hash for a 32 KiB piece: SHA256(0^32 || 0^32) (shared/spec/bep52_vectors.txt).
  const sha256_hash zero{};
  EXPECT_EQ(sha256_pair(zero, zero).to_hex(),
            "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b");
}

TEST(Blake3, PlainVector) {
  // Official BLAKE3 test vector for the empty input.
  EXPECT_EQ(blake3_digest("").to_hex(),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
}

TEST(Blake3, XetHelloWorldChunkHash) {
  // shared/spec/xet_vectors.md: chunk hash of "Hello World!" = BLAKE3-keyed(DATA_KEY).
  // DATA_KEY is Xet's chunk-hash key (xet-core merklehash DATA_KEY).
  constexpr blake3_key data_key = {102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28,
                                   157, 228, 33, 16, 155, 235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41};
  EXPECT_EQ(blake3_keyed_digest(data_key, "Hello World!").to_hex(),
            "a29cfb08e608d4d8726dd8659a90b9134b3240d5d8e42d5fcb28e2a6e763a3e8");
  // Streaming gives the same digest, and finish() keeps the key.
  blake3 h(data_key);
  h.update("Hello ").update("World!");
  EXPECT_EQ(h.finish(), blake3_keyed_digest(data_key, "Hello World!"));
  h.update("Hello World!");
  EXPECT_EQ(h.finish(), blake3_keyed_digest(data_key, "Hello World!"));
}

}  // namespace
}  // namespace ccbt::crypto
