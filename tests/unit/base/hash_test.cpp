#include <gtest/gtest.h>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

namespace ccbt {
namespace {

TEST(Digest, HexRoundTrip) {
  const auto h = sha1_hash::from_hex("DD5FBE33175534ffc95f88d651e4307cc8a44561");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->to_hex(), "dd5fbe33175534ffc95f88d651e4307cc8a44561");
  EXPECT_FALSE(sha1_hash::from_hex("dd5fbe33"));                                   // too short
  EXPECT_FALSE(sha1_hash::from_hex("zz5fbe33175534ffc95f88d651e4307cc8a44561"));   // not hex
  EXPECT_FALSE(sha256_hash::from_hex("dd5fbe33175534ffc95f88d651e4307cc8a44561")); // wrong size
}

TEST(InfoHash, TruncatedV2AndId) {
  info_hash ih;
  ih.v2 = sha256_hash::from_hex("3ebc28945942a52d8c1cf82cebda78b099865b4dc2be39c6a3fcf9b19b9dc763");
  EXPECT_EQ(ih.v2_truncated().to_hex(), "3ebc28945942a52d8c1cf82cebda78b099865b4d");
  EXPECT_EQ(ih.id(), ih.v2_truncated());
  EXPECT_FALSE(ih.is_hybrid());
  ih.v1 = sha1_hash::from_hex("dd5fbe33175534ffc95f88d651e4307cc8a44561");
  EXPECT_TRUE(ih.is_hybrid());
  EXPECT_EQ(ih.id(), *ih.v1);
}

TEST(Error, MessageNamesWhatAndWhere) {
  const error e{std::make_error_code(std::errc::invalid_argument), 17, "info.pieces"};
  const auto msg = e.message();
  EXPECT_NE(msg.find("at byte 17"), std::string::npos) << msg;
  EXPECT_NE(msg.find("info.pieces"), std::string::npos) << msg;
}

TEST(Error, MessageIsOneLineWhateverTheContextHolds) {
  // Contexts may quote bytes from a torrent (a path, a key): control characters are escaped.
  const error e{std::make_error_code(std::errc::invalid_argument), std::nullopt, "info.files[0].path \"a\nb\x01\""};
  const auto msg = e.message();
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find("a\\nb\\x01"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ccbt
