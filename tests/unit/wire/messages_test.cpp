// Encoders: exact bytes against hand-written frames, and encode -> decode round trips.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "wire/decoder.hpp"
#include "wire/messages.hpp"
#include "wire_test_util.hpp"

namespace ccbt::wire {
namespace {

using test::hex;
using test::unhex;

template <class M>
std::string enc(const M& m) {
  std::string out;
  encode(out, m);
  return hex(out);
}

sha256_hash filled(std::uint8_t b) {
  sha256_hash h;
  h.bytes.fill(b);
  return h;
}

const std::string root11 = std::string(64, '1');  // hex of 32 bytes 0x11

TEST(WireEncode, FixedMessages) {
  EXPECT_EQ(enc(keep_alive{}), "00000000");
  EXPECT_EQ(enc(choke{}), "0000000100");
  EXPECT_EQ(enc(unchoke{}), "0000000101");
  EXPECT_EQ(enc(interested{}), "0000000102");
  EXPECT_EQ(enc(not_interested{}), "0000000103");
  EXPECT_EQ(enc(have{0x01020304}), "000000050401020304");
  EXPECT_EQ(enc(request{1, 0x4000, 0x4000}), "0000000d06000000010000400000004000");
  EXPECT_EQ(enc(cancel{2, 0, 0x4000}), "0000000d08000000020000000000004000");
  EXPECT_EQ(enc(port{6881}), "00000003091ae1");
  EXPECT_EQ(enc(suggest{5}), "000000050d00000005");
  EXPECT_EQ(enc(have_all{}), "000000010e");
  EXPECT_EQ(enc(have_none{}), "000000010f");
  EXPECT_EQ(enc(reject{3, 0x8000, 0x2000}), "0000000d10000000030000800000002000");
  EXPECT_EQ(enc(allowed_fast{7}), "000000051100000007");
}

TEST(WireEncode, VariableMessages) {
  const std::array<std::uint8_t, 2> bits{0xff, 0x80};
  EXPECT_EQ(enc(bitfield{bits}), "0000000305ff80");
  EXPECT_EQ(enc(bitfield{}), "0000000105");
  EXPECT_EQ(enc(extended{3, "xy"}), "00000004140378" "79");
  EXPECT_EQ(enc(extended{0, ""}), "000000021400");
  EXPECT_EQ(enc(unknown{0x42, 3}), "0000000442");
}

TEST(WireEncode, PieceHeaderAndWholePiece) {
  EXPECT_EQ(enc(piece_header{1, 2, 3}), "0000000c070000000100000002");
  std::string out;
  const std::string block = "abc";
  encode_piece(out, 1, 2, std::as_bytes(std::span<const char>(block.data(), block.size())));
  EXPECT_EQ(hex(out), "0000000c070000000100000002616263");
}

TEST(WireEncode, ExtendedHeaderForGatherWrites) {
  std::string out;
  encode_extended_header(out, 0, 10);
  EXPECT_EQ(hex(out), "0000000c1400");
}

TEST(WireEncode, HashMessages) {
  hash_request r;
  r.pieces_root = filled(0x11);
  r.base_layer = 1;
  r.index = 2;
  r.length = 3;
  r.proof_layers = 4;
  EXPECT_EQ(enc(r), "0000003115" + root11 + "00000001000000020000000300000004");
  hash_reject j{r};
  EXPECT_EQ(enc(j), "0000003117" + root11 + "00000001000000020000000300000004");

  const std::string data = unhex(std::string(64, 'a') + std::string(64, 'b'));
  hashes h{{filled(0x11), 0, 4, 2, 0}, std::as_bytes(std::span<const char>(data.data(), data.size()))};
  EXPECT_EQ(enc(h), "0000007116" + root11 + "00000000000000040000000200000000" + std::string(64, 'a') +
                        std::string(64, 'b'));
  EXPECT_EQ(h.count(), 2U);
  EXPECT_EQ(h.at(1).to_hex(), std::string(64, 'b'));
}

TEST(WireEncode, AppendsToAnyByteContainer) {
  std::vector<std::byte> a;
  std::vector<std::uint8_t> b{0x99};
  std::vector<char> c;
  encode(a, have{1});
  encode(b, have{1});
  encode(c, have{1});
  ASSERT_EQ(a.size(), 9U);
  ASSERT_EQ(b.size(), 10U);
  EXPECT_EQ(b[0], 0x99);  // existing content kept
  EXPECT_EQ(b[5], 4);
  EXPECT_EQ(static_cast<int>(a[4]), 4);
  EXPECT_EQ(c[8], 1);
  std::string s = "prefix";
  encode(s, choke{});
  EXPECT_EQ(hex(s), hex("prefix") + "0000000100");
}

TEST(WireEncode, VariantEncodeMatchesDirect) {
  const message m = request{9, 0, 16384};
  std::string a, b;
  encode(a, m);
  encode(b, request{9, 0, 16384});
  EXPECT_EQ(a, b);
}

TEST(WireNames, MessageAndIdNames) {
  EXPECT_EQ(name(message{hash_request{}}), "hash_request");
  EXPECT_EQ(name(message{keep_alive{}}), "keep_alive");
  EXPECT_EQ(name(message{unknown{}}), "unknown");
  EXPECT_EQ(name(msg_id::allowed_fast), "allowed_fast");
  EXPECT_EQ(name(static_cast<msg_id>(99)), "unknown");
}

// Every message type, encoded, decoded (whole and byte by byte) and re-encoded: same bytes.
TEST(WireRoundTrip, EveryMessage) {
  const std::array<std::uint8_t, 2> bits{0xa5, 0x80};  // 9 pieces: spare bits clear
  const std::string hash_data = unhex(std::string(64 * 3, 'c'));
  hash_request hr;
  hr.pieces_root = filled(0x42);
  hr.base_layer = 0;
  hr.index = 4;
  hr.length = 2;
  hr.proof_layers = 1;  // the 2 hashes' parent is at layer 1: its sibling is the 1 uncle: 3 hashes
  hashes hs{hr, std::as_bytes(std::span<const char>(hash_data.data(), hash_data.size()))};
  const std::string block(16384, 'z');

  std::vector<std::string> frames;
  auto add = [&frames](const auto& m) {
    std::string f;
    encode(f, m);
    frames.push_back(f);
  };
  add(keep_alive{});
  add(choke{});
  add(unchoke{});
  add(interested{});
  add(not_interested{});
  add(have{8});
  add(bitfield{bits});
  add(request{1, 16384, 16384});
  {
    std::string f;
    encode_piece(f, 3, 0, std::as_bytes(std::span<const char>(block.data(), block.size())));
    frames.push_back(f);
  }
  add(cancel{1, 16384, 16384});
  add(port{6881});
  add(suggest{2});
  add(have_all{});
  add(have_none{});
  add(reject{4, 0, 100});
  add(allowed_fast{5});
  add(extended{0, "d1:md6:ut_pexi1eee"});
  add(extended{7, std::string_view("\x00\x01\x02", 3)});
  add(hash_request{hr});
  add(hs);
  add(hash_reject{hr});

  std::string stream;
  for (const auto& f : frames) stream += f;
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    SCOPED_TRACE(chunk);
    const auto r = test::decode_stream(stream, test::opts_all(9), chunk);
    ASSERT_FALSE(r.err) << r.err->message();
    ASSERT_EQ(r.frames.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(hex(r.frames[i]), hex(frames[i])) << r.names[i];
  }
}

}  // namespace
}  // namespace ccbt::wire
