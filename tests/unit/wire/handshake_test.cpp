// Handshake: exact bytes, reserved bit positions, incremental parse that pauses after the info-hash.
#include <gtest/gtest.h>

#include <string>

#include "wire/errors.hpp"
#include "wire/handshake.hpp"
#include "wire_test_util.hpp"

namespace ccbt::wire {
namespace {

using test::hex;
using test::unhex;

handshake sample() {
  handshake h;
  h.reserved.set(feature::extension_protocol).set(feature::fast).set(feature::dht);
  for (std::size_t i = 0; i < 20; ++i) {
    h.info_hash.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
    h.id[i] = static_cast<std::uint8_t>('A' + i);
  }
  return h;
}

const std::string sample_hex =
    "13" "426974546f7272656e742070726f746f636f6c"  // 19, "BitTorrent protocol"
    "0000000000100005"                              // reserved: [5] 0x10, [7] 0x04 | 0x01
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"      // info-hash
    "4142434445464748494a4b4c4d4e4f5051525354";     // peer id "ABCDEFGHIJKLMNOPQRST"

TEST(Handshake, EncodesSixtyEightBytes) {
  std::string out;
  encode(out, sample());
  EXPECT_EQ(out.size(), handshake_size);
  EXPECT_EQ(hex(out), sample_hex);
}

TEST(Handshake, ReservedBitPositions) {
  // BEP 10, BEP 6, BEP 5, BEP 52; the same positions libtorrent reads.
  EXPECT_EQ(reserved_bits{}.set(feature::extension_protocol).bytes[5], 0x10);
  EXPECT_EQ(reserved_bits{}.set(feature::fast).bytes[7], 0x04);
  EXPECT_EQ(reserved_bits{}.set(feature::dht).bytes[7], 0x01);
  EXPECT_EQ(reserved_bits{}.set(feature::v2).bytes[7], 0x10);
  reserved_bits r;
  r.set(feature::v2).set(feature::fast);
  EXPECT_TRUE(r.test(feature::v2));
  EXPECT_TRUE(r.test(feature::fast));
  EXPECT_FALSE(r.test(feature::dht));
  r.set(feature::v2, false);
  EXPECT_FALSE(r.test(feature::v2));
  EXPECT_EQ(r.bytes[7], 0x04);
}

TEST(Handshake, NegotiateNeedsBothSides) {
  reserved_bits ours, theirs;
  ours.set(feature::fast).set(feature::extension_protocol).set(feature::v2);
  theirs.set(feature::fast).set(feature::dht).set(feature::v2);
  const features f = negotiate(ours, theirs);
  EXPECT_TRUE(f.fast);
  EXPECT_FALSE(f.extended);
  EXPECT_FALSE(f.dht);
  EXPECT_TRUE(f.v2);
}

TEST(Handshake, ParserPausesAfterInfoHash) {
  const std::string bytes = unhex(sample_hex) + "trailing messages";
  handshake_parser p;
  EXPECT_EQ(p.progress(), handshake_parser::stage::reading);
  EXPECT_EQ(p.bytes_needed(), 48U);
  auto n = p.feed(bytes);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, handshake_info_hash_end);  // stops at the info-hash, whatever follows
  EXPECT_EQ(p.progress(), handshake_parser::stage::info_hash);
  EXPECT_TRUE(p.has_info_hash());
  EXPECT_FALSE(p.done());
  EXPECT_EQ(p.info_hash(), sample().info_hash);
  EXPECT_EQ(p.reserved(), sample().reserved);
  EXPECT_EQ(p.bytes_needed(), 20U);

  n = p.feed(std::string_view(bytes).substr(48));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 20U);  // never past the handshake
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.bytes_needed(), 0U);
  EXPECT_EQ(p.value(), sample());

  n = p.feed(std::string_view(bytes).substr(68));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0U);
}

TEST(Handshake, ParserByteByByte) {
  const std::string bytes = unhex(sample_hex);
  handshake_parser p;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    EXPECT_EQ(p.has_info_hash(), i >= 48) << i;
    auto n = p.feed(std::string_view(bytes).substr(i, 1));
    ASSERT_TRUE(n) << i;
    EXPECT_EQ(*n, 1U);
  }
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.id(), sample().id);
}

TEST(Handshake, RejectsWrongLengthByteAtOnce) {
  handshake_parser p;
  // An MSE connection starts with a random DH key: its first byte is almost never 19.
  auto n = p.feed(unhex("8f"));
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, errc::bad_protocol_string);
  EXPECT_EQ(n.error().offset, 0U);
  EXPECT_EQ(n.error().message(), "wire: not a BitTorrent handshake at byte 0 (handshake byte 0 is 143, expected 19)");
}

TEST(Handshake, RejectsWrongProtocolStringWithOffset) {
  std::string bytes = unhex(sample_hex);
  bytes[5] = 'x';  // "BitTxrrent"
  handshake_parser p;
  auto n = p.feed(std::string_view(bytes).substr(0, 3));
  ASSERT_TRUE(n);
  n = p.feed(std::string_view(bytes).substr(3));
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, errc::bad_protocol_string);
  EXPECT_EQ(n.error().offset, 5U);
  // Sticky.
  n = p.feed(std::string_view(bytes).substr(10));
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().offset, 5U);
}

TEST(Handshake, V2TruncatedInfoHashIsCarriedAsIs) {
  handshake h = sample();
  h.reserved = reserved_bits{}.set(feature::v2);
  std::string out;
  encode(out, h);
  handshake_parser p;
  ASSERT_TRUE(p.feed(out));
  ASSERT_TRUE(p.feed(std::string_view(out).substr(48)));
  EXPECT_TRUE(p.reserved().test(feature::v2));
  EXPECT_EQ(p.value(), h);
}

}  // namespace
}  // namespace ccbt::wire
