// Framing decoder: partial input, every violation with its own code, the zero-copy block path.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

#include "wire/decoder.hpp"
#include "wire/errors.hpp"
#include "wire_test_util.hpp"

namespace ccbt::wire {
namespace {

using test::decode_stream;
using test::hex;
using test::opts_all;
using test::unhex;

template <class M>
std::string frame(const M& m) {
  std::string out;
  encode(out, m);
  return out;
}

// Decodes `bytes` (hex) with options `o`; expects exactly the error `e` at stream offset `offset`.
void expect_error(const std::string& bytes, const decoder_options& o, errc e, std::uint64_t offset = 0) {
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    const auto r = decode_stream(bytes, o, chunk);
    ASSERT_TRUE(r.err) << "expected " << make_error_code(e).message() << ", chunk " << chunk;
    EXPECT_EQ(r.err->code, e) << r.err->message();
    EXPECT_EQ(r.err->offset, offset) << r.err->message();
    EXPECT_FALSE(r.err->context.empty());
  }
}

TEST(WireDecoder, KeepAlivesAndSimpleMessages) {
  const std::string in = unhex("00000000 0000000100 0000000102 000000050400000007");
  const auto r = decode_stream(in, opts_all());
  ASSERT_FALSE(r.err);
  ASSERT_EQ(r.names.size(), 4U);
  EXPECT_EQ(r.names[0], "keep_alive");
  EXPECT_EQ(r.names[1], "choke");
  EXPECT_EQ(r.names[2], "interested");
  EXPECT_EQ(r.names[3], "have");
}

TEST(WireDecoder, YieldsTypedValues) {
  decoder d(opts_all());
  EXPECT_EQ(d.feed(unhex("0000000d06 00000001 00004000 00004000 00000003 09 1ae1")), 24U);
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_EQ(std::get<request>(**m), (request{1, 0x4000, 0x4000}));
  m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_EQ(std::get<port>(**m).value, 6881);
  m = d.next();
  ASSERT_TRUE(m);
  EXPECT_FALSE(*m);  // needs more
  EXPECT_EQ(d.stream_offset(), 24U);
}

TEST(WireDecoder, ViewsPointIntoTheBuffer) {
  decoder d(opts_all(12));
  d.feed(unhex("00000003 05 fff0 00000006 14 02 616263 00"));
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  const auto& bf = std::get<bitfield>(**m);
  ASSERT_EQ(bf.bits.size(), 2U);
  EXPECT_EQ(bf.bits[0], 0xff);
  EXPECT_EQ(bf.bits[1], 0xf0);
  m = d.next();
  ASSERT_TRUE(m && *m);
  const auto& ext = std::get<extended>(**m);
  EXPECT_EQ(ext.id, 2);
  EXPECT_EQ(ext.payload, std::string_view("abc\0", 4));
}

TEST(WireDecoder, RandomChunkingGivesTheSameMessages) {
  std::string in;
  for (std::uint32_t i = 0; i < 200; ++i) {
    in += frame(have{i % 50});
    in += frame(request{i % 50, 0, 16384});
    if (i % 7 == 0) in += frame(keep_alive{});
    if (i % 13 == 0) {
      const std::string block(1000 + i, static_cast<char>(i));
      encode_piece(in, i % 50, 0, std::as_bytes(std::span<const char>(block.data(), block.size())));
    }
  }
  const auto whole = decode_stream(in, opts_all(50));
  ASSERT_FALSE(whole.err);
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    const std::size_t chunk = 1 + rng() % 3000;
    const auto r = decode_stream(in, opts_all(50), chunk);
    ASSERT_FALSE(r.err);
    ASSERT_EQ(r.frames, whole.frames) << "chunk " << chunk;
  }
  std::string again;
  for (const auto& f : whole.frames) again += f;
  EXPECT_EQ(hex(again), hex(in));
}

// ---- Fixed lengths -----------------------------------------------------------------------------

TEST(WireDecoderErrors, FixedLengthMessages) {
  const auto o = opts_all(100);
  expect_error(unhex("00000002 00 00"), o, errc::invalid_message_length);            // choke
  expect_error(unhex("00000002 01 00"), o, errc::invalid_message_length);            // unchoke
  expect_error(unhex("00000002 02 00"), o, errc::invalid_message_length);            // interested
  expect_error(unhex("00000002 03 00"), o, errc::invalid_message_length);            // not interested
  expect_error(unhex("00000004 04 000001"), o, errc::invalid_message_length);        // have, short
  expect_error(unhex("00000006 04 0000000100"), o, errc::invalid_message_length);    // have, long
  expect_error(unhex("0000000c 06" + std::string(22, '0')), o, errc::invalid_message_length);  // request
  expect_error(unhex("0000000e 08" + std::string(26, '0')), o, errc::invalid_message_length);  // cancel
  expect_error(unhex("00000002 09 1a"), o, errc::invalid_message_length);            // port
  expect_error(unhex("00000004 0d 000001"), o, errc::invalid_message_length);        // suggest
  expect_error(unhex("00000002 0e 00"), o, errc::invalid_message_length);            // have all
  expect_error(unhex("00000002 0f 00"), o, errc::invalid_message_length);            // have none
  expect_error(unhex("0000000c 10" + std::string(22, '0')), o, errc::invalid_message_length);  // reject
  expect_error(unhex("00000006 11 0000000100"), o, errc::invalid_message_length);    // allowed fast
  expect_error(unhex("00000030 15" + std::string(94, '0')), o, errc::invalid_message_length);  // hash req
  expect_error(unhex("00000032 17" + std::string(98, '0')), o, errc::invalid_message_length);  // hash rej
  expect_error(unhex("00000030 16" + std::string(94, '0')), o, errc::invalid_message_length);  // hashes
  expect_error(unhex("00000001 14"), o, errc::invalid_message_length);               // extended
  expect_error(unhex("00000008 07 00000000 000000"), o, errc::invalid_message_length);  // piece < 9
}

TEST(WireDecoderErrors, LengthIsJudgedBeforeTheBodyArrives) {
  decoder d(opts_all());
  d.feed(unhex("00000006 04"));  // a have of 6 bytes: wrong before any body byte
  auto m = d.next();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, errc::invalid_message_length);
  EXPECT_EQ(m.error().context, "have: length 6, expected 5");
}

TEST(WireDecoderErrors, OffsetIsTheMessageStart) {
  expect_error(unhex("0000000100 00000000 0000000101 00000002 00 00"), opts_all(), errc::invalid_message_length,
               14);
}

// ---- Limits ------------------------------------------------------------------------------------

TEST(WireDecoderErrors, MessageTooLarge) {
  auto o = opts_all();
  o.max_message_size = 100000;
  expect_error(unhex("000186a1 14"), o, errc::message_too_large);  // extended of 100001
  expect_error(unhex("ffffffff 05"), o, errc::message_too_large);  // bitfield, size unknown
  expect_error(unhex("7fffffff 63"), o, errc::message_too_large);  // unknown id
  // Exactly at the limit is fine.
  std::string ok = unhex("000186a0 14 01") + std::string(100000 - 2, 'x');
  const auto r = decode_stream(ok, o, 4096);
  ASSERT_FALSE(r.err) << r.err->message();
  EXPECT_EQ(r.names, std::vector<std::string>{"extended"});
}

TEST(WireDecoderErrors, OversizedMessageCostsFiveBytes) {
  decoder d(opts_all());
  const auto space = d.prepare();
  EXPECT_LE(space.size(), 4U + 1024U);  // the length prefix plus read-ahead, not the announced size
  d.feed(unhex("40000000 14"));
  auto m = d.next();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, errc::message_too_large);
  EXPECT_TRUE(d.failed());
  EXPECT_TRUE(d.prepare().empty());
  EXPECT_LE(d.buffered(), 5U);
}

TEST(WireDecoderErrors, BitfieldMayExceedMessageLimitWhenPieceCountNeedsIt) {
  auto o = opts_all(9'000'000);  // 1'125'000 bytes of bitfield
  const std::string bf = unhex("00112a89 05") + std::string(1'125'000, '\xff');
  const auto r = decode_stream(bf, o, 65536);
  ASSERT_FALSE(r.err) << r.err->message();
  EXPECT_EQ(r.names, std::vector<std::string>{"bitfield"});
}

TEST(WireDecoderErrors, BlockLimits) {
  const auto o = opts_all(100);
  // piece with a block one byte over 16 KiB
  expect_error(unhex("0000400a 07 00000000 00000000"), o, errc::block_too_large);
  expect_error(unhex("00000009 07 00000000 00000000"), o, errc::empty_block);
  expect_error(frame(request{0, 0, 16385}), o, errc::block_too_large);
  expect_error(frame(request{0, 0, 0}), o, errc::empty_block);
  expect_error(frame(cancel{0, 0, 0}), o, errc::empty_block);
  expect_error(frame(reject{0, 0, 1 << 20}), o, errc::block_too_large);
  // A bigger configured block size is honoured.
  auto big = o;
  big.max_block_size = 32768;
  EXPECT_FALSE(decode_stream(frame(request{0, 0, 32768}), big).err);
}

TEST(WireDecoderErrors, BlockPastThePieceEnd) {
  auto o = opts_all(10);
  o.piece_length = 32768;
  EXPECT_FALSE(decode_stream(frame(request{9, 16384, 16384}), o).err);
  expect_error(frame(request{9, 16385, 16384}), o, errc::block_out_of_range);
  expect_error(frame(request{9, 0xFFFFFFFF, 16384}), o, errc::block_out_of_range);  // no overflow
  expect_error(frame(cancel{1, 32768, 1}), o, errc::block_out_of_range);
  std::string piece;
  const std::string block(100, 'b');
  encode_piece(piece, 2, 32700, std::as_bytes(std::span<const char>(block.data(), block.size())));
  expect_error(piece, o, errc::block_out_of_range);
}

// ---- Piece indexes -----------------------------------------------------------------------------

TEST(WireDecoderErrors, PieceIndexRange) {
  const auto o = opts_all(1313);
  EXPECT_FALSE(decode_stream(frame(have{1312}), o).err);
  expect_error(frame(have{1313}), o, errc::piece_index_out_of_range);
  expect_error(frame(request{5000, 0, 16384}), o, errc::piece_index_out_of_range);
  expect_error(frame(cancel{1313, 0, 16384}), o, errc::piece_index_out_of_range);
  expect_error(frame(reject{1313, 0, 16384}), o, errc::piece_index_out_of_range);
  expect_error(frame(suggest{0xFFFFFFFF}), o, errc::piece_index_out_of_range);
  expect_error(frame(allowed_fast{1313}), o, errc::piece_index_out_of_range);
  std::string piece;
  const std::string block(10, 'b');
  encode_piece(piece, 1313, 0, std::as_bytes(std::span<const char>(block.data(), block.size())));
  expect_error(piece, o, errc::piece_index_out_of_range);
  const auto r = decode_stream(frame(have{1313}), o);
  EXPECT_EQ(r.err->message(), "wire: piece index out of range at byte 0 (have: index 1313, torrent has 1313 pieces)");
}

TEST(WireDecoderErrors, NoIndexChecksWithoutPieceCount) {
  const auto r = decode_stream(frame(have{0xFFFFFFF0}) + frame(request{99999, 0, 16384}), opts_all());
  EXPECT_FALSE(r.err);
  EXPECT_EQ(r.frames.size(), 2U);
}

TEST(WireDecoderErrors, GeometryCanArriveLater) {
  decoder d(opts_all());
  d.feed(frame(have{5000}));
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  d.set_geometry(100, 16384);
  d.feed(frame(have{5000}));
  m = d.next();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, errc::piece_index_out_of_range);
  EXPECT_EQ(m.error().offset, 9U);
}

TEST(WireDecoderErrors, BitfieldSizeAndSpareBits) {
  const auto o = opts_all(12);  // 2 bytes, low 4 bits of the last byte spare
  EXPECT_FALSE(decode_stream(unhex("00000003 05 fff0"), o).err);
  expect_error(unhex("00000002 05 ff"), o, errc::bitfield_size_mismatch);
  expect_error(unhex("00000004 05 fff000"), o, errc::bitfield_size_mismatch);
  expect_error(unhex("00000003 05 fff1"), o, errc::bitfield_spare_bits);
  expect_error(unhex("00000003 05 ff08"), o, errc::bitfield_spare_bits);
  // A multiple of 8 has no spare bits.
  EXPECT_FALSE(decode_stream(unhex("00000003 05 ffff"), opts_all(16)).err);
  // Unknown piece count: any size.
  EXPECT_FALSE(decode_stream(unhex("00000004 05 ffffff"), opts_all()).err);
}

// ---- Negotiation -------------------------------------------------------------------------------

TEST(WireDecoderErrors, ExtensionMessagesNeedTheirBit) {
  decoder_options none;
  none.num_pieces = 100;
  hash_request hr;
  hr.length = 2;
  for (const auto& f : {frame(suggest{1}), frame(have_all{}), frame(have_none{}), frame(reject{1, 0, 10}),
                        frame(allowed_fast{1}), frame(extended{0, "de"}), frame(hash_request{hr}),
                        frame(hash_reject{hr})})
    expect_error(f, none, errc::not_negotiated);
  expect_error(unhex("00000031 16") + std::string(48, '\0'), none, errc::not_negotiated);
  // BEP 3 messages and port need nothing.
  EXPECT_FALSE(decode_stream(frame(have{1}) + frame(port{1}) + frame(request{1, 0, 1}), none).err);

  decoder_options fast_only = none;
  fast_only.negotiated.fast = true;
  EXPECT_FALSE(decode_stream(frame(have_all{}) + frame(allowed_fast{3}), fast_only).err);
  expect_error(frame(extended{1, "x"}), fast_only, errc::not_negotiated);
}

// ---- BEP 52 hashes -----------------------------------------------------------------------------

std::string hashes_frame(std::uint32_t length, std::uint32_t proof_layers, std::size_t n_hashes) {
  const std::string data(32 * n_hashes, '\x5a');
  hashes h;
  h.length = length;
  h.proof_layers = proof_layers;
  h.data = std::as_bytes(std::span<const char>(data.data(), data.size()));
  return frame(h);
}

TEST(WireDecoderHashes, SizeFollowsLengthAndProofLayers) {
  const auto o = opts_all();
  // length 512 covers 9 layers: proof layers 9, 10, 11 need 1, 2, 3 uncles (as libtorrent sends:
  // a 512-piece bucket with proof_layers 9 came with 513 hashes).
  EXPECT_FALSE(decode_stream(hashes_frame(512, 9, 513), o).err);
  EXPECT_FALSE(decode_stream(hashes_frame(512, 11, 515), o).err);
  EXPECT_FALSE(decode_stream(hashes_frame(512, 8, 512), o).err);
  EXPECT_FALSE(decode_stream(hashes_frame(512, 3, 512), o).err);   // all proof layers covered
  EXPECT_FALSE(decode_stream(hashes_frame(1, 3, 5), o).err);       // a single hash: uncles at 0..3
  EXPECT_FALSE(decode_stream(hashes_frame(3, 1, 3), o).err);       // 3 rounds up to 4 leaves: 2 covered
  expect_error(hashes_frame(512, 11, 514), o, errc::hashes_size_mismatch);
  expect_error(hashes_frame(512, 9, 512), o, errc::hashes_size_mismatch);
  expect_error(hashes_frame(2, 0, 3), o, errc::hashes_size_mismatch);
  expect_error(hashes_frame(2, 0xFFFFFFFF, 2), o, errc::hashes_size_mismatch);
  // One hash and one stray byte.
  expect_error(unhex("00000052 16") + std::string(32, '\0') + unhex("00000000 00000000 00000001 00000000") +
                   std::string(33, '\0'),
               o, errc::hashes_size_mismatch);
  expect_error(hashes_frame(0, 0, 0), o, errc::invalid_hash_count);
  expect_error(hashes_frame(8193, 0, 8193), o, errc::invalid_hash_count);
}

TEST(WireDecoderHashes, DecodedFields) {
  decoder d(opts_all());
  d.feed(hashes_frame(2, 0, 2));
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  const auto& h = std::get<hashes>(**m);
  EXPECT_EQ(h.length, 2U);
  EXPECT_EQ(h.proof_layers, 0U);
  EXPECT_EQ(h.count(), 2U);
  EXPECT_EQ(h.at(1).bytes[31], 0x5a);
}

TEST(WireDecoderHashes, RequestAndRejectCarryNoSemanticChecks) {
  // Validity against the merkle tree (power of two, index alignment) is the session's call: it
  // answers with hash_reject rather than disconnecting.
  hash_request hr;
  hr.length = 0;
  hr.index = 3;
  EXPECT_FALSE(decode_stream(frame(hash_request{hr}) + frame(hash_reject{hr}), opts_all()).err);
}

// ---- Unknown messages --------------------------------------------------------------------------

TEST(WireDecoderUnknown, SkippedAndBounded) {
  const std::string in = unhex("00000004 63 010203 00000000 00000005 0400000001");
  const auto r = decode_stream(in, opts_all(), 1);
  ASSERT_FALSE(r.err);
  ASSERT_EQ(r.names.size(), 3U);
  EXPECT_EQ(r.names[0], "unknown");
  EXPECT_EQ(hex(r.frames[0]), "0000000463");
  EXPECT_EQ(r.names[2], "have");

  auto o = opts_all();
  o.max_unknown_messages = 3;
  std::string four;
  for (int i = 0; i < 4; ++i) four += unhex("00000002 fe 00");
  expect_error(four, o, errc::too_many_unknown_messages, 18);
}

TEST(WireDecoderUnknown, LargeUnknownPayloadIsDiscardedInBoundedMemory) {
  decoder d(opts_all());
  d.feed(unhex("000f4240 30"));  // 1'000'000 bytes of message 0x30
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_EQ(std::get<unknown>(**m).payload_length, 999'999U);
  std::size_t fed = 0;
  while (fed < 999'999) {
    auto space = d.prepare();
    ASSERT_FALSE(space.empty());
    const std::size_t n = std::min<std::size_t>(space.size(), 999'999 - fed);
    std::memset(space.data(), 0, n);
    d.commit(n);
    fed += n;
    m = d.next();
    ASSERT_TRUE(m);
    ASSERT_FALSE(*m);
    EXPECT_LE(d.buffered(), 64U * 1024 + 1024);
  }
  d.feed(frame(choke{}));
  m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_TRUE(std::holds_alternative<choke>(**m));
}

// ---- Sticky errors -----------------------------------------------------------------------------

TEST(WireDecoderErrors, Sticky) {
  decoder d(opts_all(10));
  d.feed(frame(have{10}) + frame(choke{}));
  auto m = d.next();
  ASSERT_FALSE(m);
  const auto first = m.error();
  m = d.next();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, first.code);
  EXPECT_EQ(m.error().context, first.context);
  EXPECT_EQ(d.feed(frame(choke{})), 0U);
}

// ---- Zero-copy block payload -------------------------------------------------------------------

std::string piece_frame(std::uint32_t index, std::uint32_t begin, const std::string& block) {
  std::string out;
  encode_piece(out, index, begin, std::as_bytes(std::span<const char>(block.data(), block.size())));
  return out;
}

std::string test_block(std::size_t n) {
  std::string b(n, '\0');
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<char>((i * 31 + 7) & 0xff);
  return b;
}

// Simulates the socket: the I/O layer reads from `wire`, first into the decoder's buffer, then,
// for the block, directly into the final buffer.
TEST(WireDecoderZeroCopy, BlockGoesStraightToItsBuffer) {
  const std::string block = test_block(16384);
  const std::string wire = piece_frame(3, 16384, block) + frame(have{4});
  std::size_t sock = 0;  // read position in `wire`
  auto read_into = [&](std::span<std::byte> dst) {
    const std::size_t n = std::min(dst.size(), wire.size() - sock);
    std::memcpy(dst.data(), wire.data() + sock, n);
    sock += n;
    return n;
  };

  decoder d(opts_all(10));
  std::optional<message> m;
  while (!m) {
    auto space = d.prepare();
    d.commit(read_into(space));
    auto r = d.next();
    ASSERT_TRUE(r);
    m = *r;
  }
  ASSERT_TRUE(std::holds_alternative<piece_header>(*m));
  EXPECT_EQ(std::get<piece_header>(*m), (piece_header{3, 16384, 16384}));
  ASSERT_TRUE(d.in_payload());
  EXPECT_EQ(d.payload_remaining(), 16384U);

  std::string final_buffer(16384, '\0');
  auto dst = std::as_writable_bytes(std::span<char>(final_buffer.data(), final_buffer.size()));
  // 1. the read-ahead part: the first read offered 4 + 1024 bytes, 13 of them the header.
  std::size_t got = d.take_payload(dst);
  EXPECT_EQ(got, 4U + 1024U - 13U);
  EXPECT_TRUE(d.buffered_payload().empty());
  // 2. the rest straight from the socket into the block buffer, in uneven reads.
  while (d.in_payload()) {
    const std::size_t want = std::min<std::size_t>(d.payload_remaining(), 3000);
    const std::size_t n = read_into(dst.subspan(got, want));
    d.payload_consumed(n);
    got += n;
  }
  EXPECT_EQ(got, 16384U);
  EXPECT_EQ(final_buffer, block);
  EXPECT_EQ(d.buffered(), 0U);  // not one block byte went through the decoder's buffer after step 1
  // 3. the stream goes on.
  d.commit(read_into(d.prepare()));
  auto r = d.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(std::get<have>(**r).index, 4U);
  EXPECT_EQ(d.stream_offset(), wire.size());
}

TEST(WireDecoderZeroCopy, SmallReadAheadMeansLessCopying) {
  auto o = opts_all(10);
  o.read_ahead = 0;
  decoder d(o);
  EXPECT_EQ(d.prepare().size(), 4U);  // exactly the length prefix
  const std::string wire = piece_frame(1, 0, test_block(100));
  d.feed(std::string_view(wire).substr(0, 4));
  ASSERT_TRUE(d.next());
  EXPECT_EQ(d.prepare().size(), 1U);  // the id
  d.feed(std::string_view(wire).substr(4, 1));
  ASSERT_TRUE(d.next());
  EXPECT_EQ(d.prepare().size(), 8U);  // index and begin
  d.feed(std::string_view(wire).substr(5, 8));
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_TRUE(d.buffered_payload().empty());
  EXPECT_EQ(d.payload_remaining(), 100U);
}

TEST(WireDecoderZeroCopy, PayloadFedThroughTheDecoderToo) {
  // The copying path: everything fed, blocks taken out of the buffer.
  const std::string block = test_block(5000);
  const std::string wire = piece_frame(0, 0, block) + piece_frame(1, 0, block) + frame(unchoke{});
  const auto r = decode_stream(wire, opts_all(2), 333);
  ASSERT_FALSE(r.err);
  ASSERT_EQ(r.frames.size(), 3U);
  EXPECT_EQ(r.frames[0], piece_frame(0, 0, block));
  EXPECT_EQ(r.frames[1], piece_frame(1, 0, block));
}

TEST(WireDecoderZeroCopy, SkipPayload) {
  const std::string wire = piece_frame(0, 0, test_block(16384)) + frame(interested{});
  decoder d(opts_all(1));
  d.feed(wire);
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  ASSERT_TRUE(d.in_payload());
  d.skip_payload();
  EXPECT_FALSE(d.in_payload());
  m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_TRUE(std::holds_alternative<interested>(**m));
}

TEST(WireDecoderZeroCopy, ContractViolationsThrow) {
  decoder d(opts_all(1));
  EXPECT_THROW(d.payload_consumed(1), std::invalid_argument);
  EXPECT_THROW(d.skip_payload(), std::invalid_argument);
  auto space = d.prepare();
  EXPECT_THROW(d.commit(space.size() + 1), std::invalid_argument);
  d.feed(piece_frame(0, 0, test_block(10)));
  ASSERT_TRUE(d.next());
  EXPECT_THROW(d.payload_consumed(11), std::invalid_argument);
}

TEST(WireDecoder, BufferIsReleasedAfterABigMessage) {
  decoder d(opts_all());
  const std::string big = unhex("000f0000 14 01") + std::string(0xf0000 - 2, 'x');
  d.feed(big);
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_EQ(std::get<extended>(**m).payload.size(), 0xf0000U - 2);
  // Next reads are small again and the decoder keeps working.
  EXPECT_LE(d.prepare().size(), 1024U + 4U);
  d.feed(frame(have{1}));
  m = d.next();
  ASSERT_TRUE(m && *m);
  EXPECT_EQ(std::get<have>(**m).index, 1U);
}

}  // namespace
}  // namespace ccbt::wire
