// Every bencode::errc value: the specific code, the byte offset, and (where it helps) the context.
#include <ccbt/bencode.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace ccbt::bencode {
namespace {

using namespace std::string_literals;

// Decodes `in` and checks that it fails with `code` at `offset`; returns the error for more checks.
error expect_error(std::string_view in, errc code, std::uint64_t offset, const limits& lim = {}) {
  SCOPED_TRACE(testing::Message() << "input: " << testing::PrintToString(std::string(in)));
  auto r = decode(in, lim);
  EXPECT_FALSE(r.has_value());
  if (r) return {};
  EXPECT_EQ(r.error().code, make_error_code(code)) << r.error().message();
  EXPECT_EQ(r.error().offset, std::optional<std::uint64_t>(offset)) << r.error().message();
  return r.error();
}

TEST(BencodeErrors, EveryCodeHasItsOwnMessage) {
  std::set<std::string> seen;
  for (int v = static_cast<int>(errc::unexpected_end); v <= static_cast<int>(errc::input_too_large); ++v) {
    const std::string m = make_error_code(static_cast<errc>(v)).message();
    EXPECT_NE(m, "unknown bencode error") << v;
    EXPECT_TRUE(seen.insert(m).second) << "duplicate message: " << m;
  }
  EXPECT_EQ(make_error_code(static_cast<errc>(999)).message(), "unknown bencode error");
  EXPECT_STREQ(category().name(), "bencode");
  const std::error_code ec = errc::missing_end;  // is_error_code_enum
  EXPECT_EQ(ec.category(), category());
}

TEST(BencodeErrors, UnexpectedEnd) {
  expect_error("", errc::unexpected_end, 0);
  expect_error("i", errc::unexpected_end, 1);
  expect_error("i-", errc::unexpected_end, 2);
  expect_error("i12", errc::unexpected_end, 3);
  expect_error("3", errc::unexpected_end, 1);
  expect_error("12", errc::unexpected_end, 2);
  const auto e = expect_error("li1ei2", errc::unexpected_end, 6);
  EXPECT_EQ(e.context, "[1]: integer");
}

TEST(BencodeErrors, InvalidCharacter) {
  expect_error("x", errc::invalid_character, 0);
  expect_error("e", errc::invalid_character, 0);
  expect_error("-1", errc::invalid_character, 0);
  expect_error(" i1e", errc::invalid_character, 0);
  const auto e = expect_error("li1ex", errc::invalid_character, 4);
  EXPECT_EQ(e.context, "[1]: byte 'x'");
  const auto e2 = expect_error("d1:a\x01" "e"s, errc::invalid_character, 4);
  EXPECT_EQ(e2.context, "a: byte '\\x01'");
}

TEST(BencodeErrors, LeadingZero) {
  expect_error("i03e", errc::leading_zero, 1);
  expect_error("i00e", errc::leading_zero, 1);
  expect_error("i-03e", errc::leading_zero, 2);
  expect_error("03:abc", errc::leading_zero, 0);
  expect_error("00:", errc::leading_zero, 0);
  expect_error("l00:e", errc::leading_zero, 1);
  // The example from docs/design/overview.md, byte for byte.
  const auto e = expect_error("d4:infod6:lengthi03eee", errc::leading_zero, 17);
  EXPECT_EQ(e.context, "info.length");
  EXPECT_EQ(e.message(), "bencode: number with a leading zero at byte 17 (info.length)");
}

TEST(BencodeErrors, NegativeZero) {
  expect_error("i-0e", errc::negative_zero, 0);
  const auto e = expect_error("li1ei-0ee", errc::negative_zero, 4);
  EXPECT_EQ(e.context, "[1]");
}

TEST(BencodeErrors, InvalidInteger) {
  expect_error("ie", errc::invalid_integer, 1);
  expect_error("i-e", errc::invalid_integer, 2);
  expect_error("i+1e", errc::invalid_integer, 1);
  expect_error("i 1e", errc::invalid_integer, 1);
  expect_error("i1-2e", errc::invalid_integer, 2);
  expect_error("i1.5e", errc::invalid_integer, 2);
  expect_error("i--1e", errc::invalid_integer, 2);
  expect_error("i1x", errc::invalid_integer, 2);
}

TEST(BencodeErrors, IntegerOverflow) {
  expect_error("i9223372036854775808e", errc::integer_overflow, 0);
  expect_error("i-9223372036854775809e", errc::integer_overflow, 0);
  expect_error("i18446744073709551616e", errc::integer_overflow, 0);
  expect_error("i99999999999999999999999999999999e", errc::integer_overflow, 0);
  const auto e = expect_error("d1:xi9223372036854775808ee", errc::integer_overflow, 4);
  EXPECT_EQ(e.context, "x");
}

TEST(BencodeErrors, InvalidStringLength) {
  expect_error("3x", errc::invalid_string_length, 1);
  expect_error("1a:x", errc::invalid_string_length, 1);
  expect_error("3-:abc", errc::invalid_string_length, 1);
  expect_error("l2e", errc::invalid_string_length, 2);
}

TEST(BencodeErrors, StringTooLong) {
  expect_error("5:abc", errc::string_too_long, 0);
  expect_error("1:", errc::string_too_long, 0);
  expect_error("l5:abce", errc::string_too_long, 1);
  // A length larger than the whole input is caught while its digits are read (no overflow).
  expect_error("99999999999999999999999999:x", errc::string_too_long, 0);
  const auto e = expect_error("d4:infod6:pieces40:abcee", errc::string_too_long, 16);
  EXPECT_EQ(e.context, "info.pieces: length 40, 5 bytes left");
}

TEST(BencodeErrors, MissingEnd) {
  expect_error("l", errc::missing_end, 1);
  expect_error("d", errc::missing_end, 1);
  expect_error("li1e", errc::missing_end, 4);
  expect_error("d1:ai1e", errc::missing_end, 7);
  const auto e = expect_error("lli1ee", errc::missing_end, 6);
  EXPECT_EQ(e.context, "list opened at byte 0");
  const auto e2 = expect_error("d1:ad1:bi1e", errc::missing_end, 11);
  EXPECT_EQ(e2.context, "a: dictionary opened at byte 4");
}

TEST(BencodeErrors, KeyNotString) {
  expect_error("di1ei2ee", errc::key_not_string, 1);
  expect_error("dlei1ee", errc::key_not_string, 1);
  expect_error("ddei1ee", errc::key_not_string, 1);
  expect_error("dxe", errc::key_not_string, 1);
  const auto e = expect_error("d1:ad1:bi1ei2ei3eee", errc::key_not_string, 11);
  EXPECT_EQ(e.context, "a: byte 'i'");
}

TEST(BencodeErrors, MissingValue) {
  expect_error("d1:ae", errc::missing_value, 4);
  expect_error("d1:a", errc::missing_value, 4);
  const auto e = expect_error("d1:ad1:bee", errc::missing_value, 8);
  EXPECT_EQ(e.context, "a");
}

TEST(BencodeErrors, UnsortedKeysInStrictMode) {
  limits strict;
  strict.strict = true;
  const auto e = expect_error("d1:bi1e1:ai2ee", errc::unsorted_keys, 7, strict);
  EXPECT_EQ(e.context, "key 'a' after 'b'");
  // Raw-byte order: 0x80 sorts after 'a' (unsigned comparison), so this is unsorted.
  expect_error("d1:\x80i0e1:ai0ee"s, errc::unsorted_keys, 7, strict);
  // A prefix sorts before its extensions.
  expect_error("d2:abi0e1:ai0ee", errc::unsorted_keys, 8, strict);
  // Nested dicts are checked too, and the context names the nested dict.
  const auto e2 = expect_error("d4:infod1:xi0e1:wi0eee", errc::unsorted_keys, 14, strict);
  EXPECT_EQ(e2.context, "info: key 'w' after 'x'");
}

TEST(BencodeErrors, DuplicateKeyInStrictMode) {
  limits strict;
  strict.strict = true;
  const auto e = expect_error("d1:ai1e1:ai2ee", errc::duplicate_key, 7, strict);
  EXPECT_EQ(e.context, "key 'a' repeated");
  expect_error("d0:i1e0:i2ee", errc::duplicate_key, 6, strict);
}

TEST(BencodeErrors, TrailingData) {
  expect_error("i1ei2e", errc::trailing_data, 3);
  expect_error("lee", errc::trailing_data, 2);
  expect_error("0:\n", errc::trailing_data, 2);
  const auto e = expect_error("dex\0y"s, errc::trailing_data, 2);
  EXPECT_EQ(e.context, "3 bytes");
}

TEST(BencodeErrors, DepthExceeded) {
  limits lim;
  lim.max_depth = 2;
  expect_error("llleee", errc::depth_exceeded, 2, lim);
  const auto e = expect_error("d1:ad1:bd1:cdeeee", errc::depth_exceeded, 8, lim);
  EXPECT_EQ(e.context, "a.b: limit 2");
  lim.max_depth = 0;
  expect_error("le", errc::depth_exceeded, 0, lim);
  // Default limit: 100 nested lists decode, 101 do not.
  const std::string ok = std::string(100, 'l') + std::string(100, 'e');
  EXPECT_TRUE(decode(ok).has_value());
  const std::string deep = std::string(101, 'l') + std::string(101, 'e');
  expect_error(deep, errc::depth_exceeded, 100);
  // A hostile input nests far deeper than any stack could take: it is rejected without recursion.
  expect_error(std::string(1'000'000, 'l'), errc::depth_exceeded, 100);
}

TEST(BencodeErrors, TooManyTokens) {
  limits lim;
  lim.max_tokens = 3;
  EXPECT_TRUE(decode("li1ei2ee", lim).has_value());  // exactly 3 values
  expect_error("li1ei2ei3ee", errc::too_many_tokens, 7, lim);
  expect_error("d1:ai1e1:bi2ee", errc::too_many_tokens, 7, lim);  // keys count
  lim.max_tokens = 0;
  expect_error("i1e", errc::too_many_tokens, 0, lim);
}

TEST(BencodeErrors, InputTooLarge) {
  limits lim;
  lim.max_input = 4;
  EXPECT_TRUE(decode("i12e", lim).has_value());  // exactly at the limit
  const auto e = expect_error("i123e", errc::input_too_large, 4, lim);
  EXPECT_EQ(e.context, "5 bytes, limit 4");
  // decode_prefix applies the limit to the whole buffer it is given.
  auto r = decode_prefix("i1exxxx", lim);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, make_error_code(errc::input_too_large));
}

TEST(BencodeErrors, FirstErrorWins) {
  // Unsorted keys come before a malformed integer later on: strict mode reports the keys.
  limits strict;
  strict.strict = true;
  expect_error("d1:bi1e1:ai03ee", errc::unsorted_keys, 7, strict);
  // Lenient mode goes on and stops at the integer.
  expect_error("d1:bi1e1:ai03ee", errc::leading_zero, 11);
}

TEST(BencodeErrors, BinaryKeysArePrintableInContext) {
  const auto e = expect_error("d2:\xff\\i03ee"s, errc::leading_zero, 6);
  EXPECT_EQ(e.context, "\\xff\\x5c");
  const std::string long_key(100, 'k');
  const auto e2 = expect_error("d100:" + long_key + "i-0ee", errc::negative_zero, 105);
  EXPECT_EQ(e2.context, std::string(48, 'k') + "...");
}

}  // namespace
}  // namespace ccbt::bencode
