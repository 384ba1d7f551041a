// BEP 9 ut_metadata codec: round trips, bounds, strictness, error offsets.
#include <gtest/gtest.h>

#include <string>

#include "wire/errors.hpp"
#include "wire/ut_metadata.hpp"

namespace ccbt::wire {
namespace {

TEST(UtMetadata, RequestAndRejectRoundTrip) {
  const auto req = encode_ut_metadata_request(3);
  EXPECT_EQ(req, "d8:msg_typei0e5:piecei3ee");
  auto m = decode_ut_metadata(req);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, metadata_msg::request);
  EXPECT_EQ(m->piece, 3U);
  m = decode_ut_metadata(encode_ut_metadata_reject(0), 100);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, metadata_msg::reject);
  EXPECT_EQ(m->piece, 0U);
}

TEST(UtMetadata, DataRoundTrip) {
  const std::string meta(40000, 'x');
  for (std::uint32_t p = 0; p < 3; ++p) {
    const auto bytes = std::string_view(meta).substr(std::size_t{p} * metadata_piece_size, metadata_piece_length(meta.size(), p));
    const auto wire = encode_ut_metadata_data(p, meta.size(), bytes);
    const auto m = decode_ut_metadata(wire, meta.size());
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(m->type, metadata_msg::data);
    EXPECT_EQ(m->piece, p);
    EXPECT_EQ(m->total_size, meta.size());
    EXPECT_EQ(m->payload, bytes);
  }
  EXPECT_EQ(metadata_piece_count(40000), 3U);
  EXPECT_EQ(metadata_piece_length(40000, 2), 40000U - 32768U);
  EXPECT_EQ(metadata_piece_length(40000, 3), 0U);
  EXPECT_EQ(metadata_piece_count(16384), 1U);
}

TEST(UtMetadata, AcceptsUnsortedKeysAsLibtorrentMightSend) {
  const auto m = decode_ut_metadata("d5:piecei0e8:msg_typei2ee");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->type, metadata_msg::reject);
}

TEST(UtMetadata, UnknownTypeIsReportedNotAnError) {
  const auto m = decode_ut_metadata("d8:msg_typei7e5:piecei0ee");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, metadata_msg::unknown);
  EXPECT_EQ(m->raw_type, 7);
}

TEST(UtMetadata, RejectsMalformed) {
  auto code = [](std::string_view s, std::optional<std::uint64_t> known = std::nullopt) {
    const auto m = decode_ut_metadata(s, known);
    EXPECT_FALSE(m) << s;
    return m ? std::error_code{} : m.error().code;
  };
  EXPECT_EQ(code("li1ee"), make_error_code(errc::ut_metadata_bad_message));
  EXPECT_EQ(code("d5:piecei0ee"), make_error_code(errc::ut_metadata_bad_message));
  EXPECT_EQ(code("d8:msg_type1:0e"), make_error_code(errc::ut_metadata_bad_message));
  EXPECT_EQ(code("d8:msg_typei0ee"), make_error_code(errc::ut_metadata_bad_message));
  EXPECT_EQ(code("d8:msg_typei0e5:piecei-1ee"), make_error_code(errc::ut_metadata_bad_piece));
  EXPECT_EQ(code("d8:msg_typei0e5:piecei2ee", 20000), make_error_code(errc::ut_metadata_bad_piece));
  EXPECT_EQ(code("d8:msg_typei0e5:piecei1024ee"), make_error_code(errc::ut_metadata_bad_piece));  // > 16 MiB
  EXPECT_EQ(code("d8:msg_typei0e5:piecei0eexx"), make_error_code(errc::ut_metadata_trailing_data));
  // data: total_size missing, zero, too large, different from the handshake's, wrong payload length
  EXPECT_EQ(code("d8:msg_typei1e5:piecei0eeabc"), make_error_code(errc::ut_metadata_bad_message));
  EXPECT_EQ(code("d8:msg_typei1e5:piecei0e10:total_sizei0eeabc"), make_error_code(errc::ut_metadata_bad_size));
  EXPECT_EQ(code("d8:msg_typei1e5:piecei0e10:total_sizei99999999999ee"), make_error_code(errc::ut_metadata_bad_size));
  EXPECT_EQ(code("d8:msg_typei1e5:piecei0e10:total_sizei3eeabc", 4), make_error_code(errc::ut_metadata_bad_size));
  EXPECT_EQ(code("d8:msg_typei1e5:piecei0e10:total_sizei3eeab"), make_error_code(errc::ut_metadata_bad_size));
  EXPECT_EQ(code("d8:msg_typei1e5:piecei1e10:total_sizei3eeabc"), make_error_code(errc::ut_metadata_bad_piece));
  // not bencode at all
  EXPECT_FALSE(decode_ut_metadata(""));
  EXPECT_FALSE(decode_ut_metadata("d8:msg_typei0e"));
  EXPECT_FALSE(decode_ut_metadata("dddddddddddddddddddd"));
}

TEST(UtMetadata, ErrorsCarryOffsetAndContext) {
  const auto m = decode_ut_metadata("d8:msg_typei1e5:piecei0e10:total_sizei3eeab");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().offset, 41U);  // where the payload starts
  EXPECT_NE(m.error().message().find("expected 3"), std::string::npos) << m.error().message();
  const auto p = decode_ut_metadata("d8:msg_typei0e5:piecei9ee", 100);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().offset, 21U);  // the piece value
}

TEST(UtMetadata, TokenLimitBoundsWork) {
  std::string big = "d8:msg_typei0e5:piecei0e1:xl";
  for (int i = 0; i < 1000; ++i) big += "i1e";
  big += "ee";
  EXPECT_FALSE(decode_ut_metadata(big));
}

}  // namespace
}  // namespace ccbt::wire
