#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/mse_dh.hpp"
#include "crypto/rc4.hpp"

namespace ccbt::crypto {
namespace {

std::vector<std::uint8_t> unhex(std::string_view h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string keystream_hex(rc4& c, std::size_t n) {
  std::vector<std::uint8_t> z(n, 0);
  c.process(z.data(), z.size());
  std::string out;
  static constexpr char d[] = "0123456789abcdef";
  for (auto b : z) {
    out.push_back(d[b >> 4]);
    out.push_back(d[b & 15]);
  }
  return out;
}

TEST(Rc4, Rfc6229FortyBitKey) {
  const auto key = unhex("0102030405");
  rc4 c(key);
  EXPECT_EQ(keystream_hex(c, 32), "b2396305f03dc027ccc3524a0a1118a86982944f18fc82d589c403a47a0d0919");
  rc4 d(key);
  d.discard(1024);  // what MSE drops
  EXPECT_EQ(keystream_hex(d, 16), "30abbcc7c20b01609f23ee2d5f6bb7df");
}

TEST(Rc4, Rfc6229OneHundredTwentyEightBitKey) {
  rc4 c(unhex("0102030405060708090a0b0c0d0e0f10"));
  EXPECT_EQ(keystream_hex(c, 16), "9ac7cc9a609d1ef7b2932899cde41b97");
  c.discard(1024 - 16);
  EXPECT_EQ(keystream_hex(c, 16), "bdf0324e6083dcc6d3cedd3ca8c53c16");
}

TEST(Rc4, EncryptThenDecryptInPiecesRoundTrips) {
  const auto key = unhex("4b6579");  // "Key"
  std::string text = "Plaintext";
  rc4 e(key);
  e.process(text.data(), text.size());
  EXPECT_EQ(std::vector<std::uint8_t>(text.begin(), text.end()), unhex("bbf316e8d940af0ad3"));
  rc4 d(key);
  d.process(text.data(), 4);  // any split gives the same stream
  d.process(text.data() + 4, text.size() - 4);
  EXPECT_EQ(text, "Plaintext");
}

TEST(MseDh, BothSidesAgreeOnTheSecret) {
  mse_dh a, b;
  EXPECT_NE(a.public_key(), b.public_key());
  const auto sa = a.shared_secret(b.public_key());
  const auto sb = b.shared_secret(a.public_key());
  ASSERT_TRUE(sa && sb);
  EXPECT_EQ(*sa, *sb);
  mse_dh c;
  EXPECT_NE(*c.shared_secret(a.public_key()), *sa);
}

TEST(MseDh, FixedPrivateKeyGivesTheKnownPublicKey) {
  // x = 1: Y = 2 (96 bytes, big-endian, zero-padded); x = 8: Y = 256.
  const std::uint8_t one[] = {1};
  mse_dh a(one);
  mse_key two{};
  two[95] = 2;
  EXPECT_EQ(a.public_key(), two);
  const std::uint8_t eight[] = {8};
  mse_dh b(eight);
  mse_key k256{};
  k256[94] = 1;
  EXPECT_EQ(b.public_key(), k256);
  // 2^1 with the peer's x=8 -> 2^8 = 256, and 256^1 = 256 the other way round.
  EXPECT_EQ(*b.shared_secret(a.public_key()), k256);
  EXPECT_EQ(*a.shared_secret(b.public_key()), k256);
}

TEST(MseDh, RejectsDegeneratePeerKeys) {
  mse_dh a;
  mse_key k{};
  EXPECT_FALSE(a.shared_secret(k));  // 0
  k[95] = 1;
  EXPECT_FALSE(a.shared_secret(k));  // 1
  mse_key p_minus_1{};
  const auto raw = unhex(
      "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF"
      "9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090562");
  ASSERT_EQ(raw.size(), 96u);
  std::copy(raw.begin(), raw.end(), p_minus_1.begin());
  EXPECT_FALSE(a.shared_secret(p_minus_1));
  mse_key ff{};
  ff.fill(0xff);  // above P
  EXPECT_FALSE(a.shared_secret(ff));
  p_minus_1[95] = 0x61;  // P-2 is fine
  EXPECT_TRUE(a.shared_secret(p_minus_1));
}

}  // namespace
}  // namespace ccbt::crypto
