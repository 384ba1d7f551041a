#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/sha.hpp"
#include "crypto/sha1_lanes.hpp"

namespace ccbt::crypto {
namespace {

std::vector<std::byte> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

sha1_hash reference(const std::vector<std::byte>& v, std::size_t len) {
  return sha1_digest(std::string_view(reinterpret_cast<const char*>(v.data()), len));
}

// Every test runs with both kernels; the AVX-512 one only on a CPU that has it.
class Sha1Lanes : public ::testing::TestWithParam<sha1_lanes::kernel> {
 protected:
  void SetUp() override {
    if (GetParam() == sha1_lanes::kernel::avx512 && !sha1_lanes::available())
      GTEST_SKIP() << "this CPU has no AVX-512F/BW";
  }
  [[nodiscard]] sha1_lanes make(unsigned lanes) const {
    sha1_lanes h(lanes, GetParam());
    EXPECT_EQ(h.used_kernel(), GetParam());
    return h;
  }
};

TEST_P(Sha1Lanes, MatchesOpenSslForEveryLaneCountAndLength) {
  for (unsigned lanes = 1; lanes <= sha1_lanes::max_lanes; ++lanes) {
    for (std::size_t len : {std::size_t{0}, std::size_t{64}, std::size_t{128}, std::size_t{16384},
                            std::size_t{64 * 37}}) {
      std::vector<std::vector<std::byte>> msgs;
      std::vector<const std::byte*> ptrs;
      for (unsigned l = 0; l < lanes; ++l) msgs.push_back(random_bytes(len + 1, lanes * 1000 + l + static_cast<unsigned>(len)));
      for (auto& m : msgs) ptrs.push_back(m.data());
      sha1_lanes h = make(lanes);
      h.update(ptrs, len);
      std::vector<sha1_hash> out(lanes);
      h.finish(out);
      for (unsigned l = 0; l < lanes; ++l)
        EXPECT_EQ(out[l], reference(msgs[l], len)) << "lanes " << lanes << " lane " << l << " length " << len;
    }
  }
}

TEST_P(Sha1Lanes, IncrementalUpdatesFromScatteredBuffersAndReuse) {
  // A 1 MiB "piece" per lane fed as 64 separate 16 KiB blocks, the way the verifier feeds it.
  constexpr std::size_t block = 16384, blocks = 64;
  std::vector<std::vector<std::byte>> pieces;
  for (unsigned l = 0; l < 16; ++l) pieces.push_back(random_bytes(block * blocks, 77 + l));
  pieces[5] = pieces[4];  // equal lanes give equal digests
  pieces[9][block * blocks - 1] ^= std::byte{1};
  sha1_lanes h = make(16);
  for (int round = 0; round < 2; ++round) {  // finish() starts over: same answers the second time
    for (std::size_t b = 0; b < blocks; ++b) {
      std::vector<const std::byte*> ptrs;
      for (auto& p : pieces) ptrs.push_back(p.data() + b * block);
      h.update(ptrs, block);
    }
    EXPECT_EQ(h.bytes(), block * blocks);
    std::vector<sha1_hash> out(16);
    h.finish(out);
    for (unsigned l = 0; l < 16; ++l) EXPECT_EQ(out[l], reference(pieces[l], block * blocks)) << "lane " << l;
    EXPECT_EQ(out[4], out[5]);
    EXPECT_NE(out[8], out[9]);
  }
}

TEST_P(Sha1Lanes, KnownVectorOfTheEmptyMessage) {
  sha1_lanes h = make(3);
  std::vector<sha1_hash> out(3);
  h.finish(out);
  for (const auto& d : out) EXPECT_EQ(d.to_hex(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST_P(Sha1Lanes, TwoLanesOfOneBlock) {
  // Two different one-block messages in two lanes: each digest is OpenSSL's for its own message.
  std::vector<std::byte> msg(64), other(64);
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::byte>("abc"[i % 3]);
  for (std::size_t i = 0; i < other.size(); ++i) other[i] = static_cast<std::byte>(i);
  sha1_lanes h = make(2);
  const std::byte* ptrs[2] = {msg.data(), other.data()};
  h.update(ptrs, 64);
  std::vector<sha1_hash> out(2);
  h.finish(out);
  EXPECT_EQ(out[0], reference(msg, 64));
  EXPECT_EQ(out[1], reference(other, 64));
}

TEST(Sha1LanesKernel, AskingForAvx512WithoutItRunsThePortableKernel) {
  const sha1_lanes h(4, sha1_lanes::kernel::avx512);
  EXPECT_EQ(h.used_kernel(), sha1_lanes::available() ? sha1_lanes::kernel::avx512 : sha1_lanes::kernel::portable);
  EXPECT_EQ(sha1_lanes::best(), h.used_kernel());
}

INSTANTIATE_TEST_SUITE_P(Kernels, Sha1Lanes,
                         ::testing::Values(sha1_lanes::kernel::avx512, sha1_lanes::kernel::portable),
                         [](const auto& param_info) {
                           return std::string(param_info.param == sha1_lanes::kernel::avx512 ? "avx512" : "portable");
                         });

}  // namespace
}  // namespace ccbt::crypto
