// Decoder behaviour on valid input: values, node access, raw bytes, strict vs lenient, prefixes.
#include <ccbt/bencode.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace ccbt::bencode {
namespace {

using namespace std::string_literals;

document must_decode(std::string_view in, const limits& lim = {}) {
  auto r = decode(in, lim);
  if (!r) ADD_FAILURE() << "decode failed: " << r.error().message();
  return r ? std::move(*r) : document();
}

TEST(BencodeDecode, Scalars) {
  auto d = must_decode("i42e");
  ASSERT_TRUE(d.root().is_int());
  EXPECT_EQ(d.root().integer(), 42);
  EXPECT_EQ(d.root().size(), 0U);
  EXPECT_EQ(must_decode("i0e").root().integer(), 0);
  EXPECT_EQ(must_decode("i-7e").root().integer(), -7);

  auto s = must_decode("4:spam");
  ASSERT_TRUE(s.root().is_string());
  EXPECT_EQ(s.root().string(), "spam");
  EXPECT_EQ(s.root().size(), 4U);
  EXPECT_EQ(s.root().raw(), "4:spam");
  EXPECT_EQ(s.token_count(), 1U);
}

TEST(BencodeDecode, IntegerExtremes) {
  auto max = must_decode("i9223372036854775807e");
  EXPECT_EQ(max.root().integer(), std::numeric_limits<std::int64_t>::max());
  auto min = must_decode("i-9223372036854775808e");
  EXPECT_EQ(min.root().integer(), std::numeric_limits<std::int64_t>::min());
  // One past either end overflows (see decode_errors_test for the offsets).
  EXPECT_FALSE(decode("i9223372036854775808e").has_value());
  EXPECT_FALSE(decode("i-9223372036854775809e").has_value());
  // And both ends survive an encode.
  EXPECT_EQ(encode(value(std::numeric_limits<std::int64_t>::min())), "i-9223372036854775808e");
  EXPECT_EQ(encode(value(std::numeric_limits<std::int64_t>::max())), "i9223372036854775807e");
}

TEST(BencodeDecode, EmptyValues) {
  auto s = must_decode("0:");
  ASSERT_TRUE(s.root().is_string());
  EXPECT_EQ(s.root().string(), "");
  EXPECT_EQ(s.root().size(), 0U);

  auto l = must_decode("le");
  ASSERT_TRUE(l.root().is_list());
  EXPECT_EQ(l.root().size(), 0U);
  EXPECT_TRUE(l.root().items().begin() == l.root().items().end());

  auto d = must_decode("de");
  ASSERT_TRUE(d.root().is_dict());
  EXPECT_EQ(d.root().size(), 0U);
  EXPECT_TRUE(d.root().entries().begin() == d.root().entries().end());
  EXPECT_FALSE(d.root().find("").has_value());
  EXPECT_FALSE(d.root().find("a").has_value());

  // The empty string is a valid key.
  auto k = must_decode("d0:i5ee", limits{.strict = true});
  EXPECT_EQ(k.root().find_int(""), 5);
}

TEST(BencodeDecode, StringsAreBinary) {
  const std::string payload = "\0\xff\x80" "e:l"s;
  const std::string in = std::to_string(payload.size()) + ":" + payload;
  auto d = must_decode(in);
  EXPECT_EQ(d.root().string(), payload);
  // The view points into the caller's buffer: zero copy.
  EXPECT_EQ(d.root().string().data(), in.data() + 2);
}

TEST(BencodeDecode, ListAccessAndIteration) {
  auto d = must_decode("li1e3:twoli3eedee");
  const node l = d.root();
  ASSERT_TRUE(l.is_list());
  ASSERT_EQ(l.size(), 4U);
  EXPECT_EQ(l.at(0).integer(), 1);
  EXPECT_EQ(l.at(1).string(), "two");
  ASSERT_TRUE(l.at(2).is_list());
  EXPECT_EQ(l.at(2).at(0).integer(), 3);
  EXPECT_TRUE(l.at(3).is_dict());

  std::vector<type> kinds;
  for (node e : l.items()) kinds.push_back(e.kind());
  EXPECT_EQ(kinds, (std::vector<type>{type::integer, type::string, type::list, type::dict}));
  EXPECT_EQ(std::distance(l.items().begin(), l.items().end()), 4);

  auto it = l.items().begin();
  auto old = it++;
  EXPECT_EQ((*old).integer(), 1);
  EXPECT_EQ((*it).string(), "two");
  EXPECT_TRUE(*old == l.at(0));
  EXPECT_FALSE(*it == l.at(0));
}

TEST(BencodeDecode, DictFindHelpers) {
  auto d = must_decode("d3:agei30e4:infod4:name1:xe5:itemsli1ei2ee4:name5:alicee");
  const node r = d.root();
  ASSERT_TRUE(r.is_dict());
  EXPECT_EQ(r.size(), 4U);
  EXPECT_EQ(r.find_int("age"), 30);
  EXPECT_EQ(r.find_string("name"), "alice");
  EXPECT_TRUE(r.find_dict("info").has_value());
  EXPECT_EQ(r.find_dict("info")->find_string("name"), "x");
  EXPECT_EQ(r.find_list("items")->size(), 2U);
  // Typed lookups of the wrong type are absent, as are missing keys and prefixes of keys.
  EXPECT_FALSE(r.find_int("name").has_value());
  EXPECT_FALSE(r.find_string("age").has_value());
  EXPECT_FALSE(r.find_list("info").has_value());
  EXPECT_FALSE(r.find_dict("items").has_value());
  EXPECT_FALSE(r.find("nam").has_value());
  EXPECT_FALSE(r.find("names").has_value());
  EXPECT_FALSE(r.find("missing").has_value());
  // find() on something that is not a dict finds nothing.
  EXPECT_FALSE(r.find_list("items")->find("1").has_value());
  EXPECT_FALSE(r.find("age")->find("x").has_value());
  // find() skips whole values, including nested containers holding look-alike keys.
  auto n = must_decode("d1:ad1:bi1ee1:bi2ee");
  EXPECT_EQ(n.root().find_int("b"), 2);

  std::vector<std::string> keys;
  for (auto [k, v] : r.entries()) {
    keys.emplace_back(k);
    EXPECT_TRUE(v.valid());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"age", "info", "items", "name"}));
  auto it = r.entries().begin();
  auto old = it++;
  EXPECT_EQ((*old).first, "age");
  EXPECT_EQ((*it).first, "info");
}

TEST(BencodeDecode, StrictRejectsWhatLenientAccepts) {
  limits strict;
  strict.strict = true;
  const std::string unsorted = "d1:bi1e1:ai2ee";
  const std::string duplicate = "d1:ai1e1:ai2ee";
  EXPECT_FALSE(decode(unsorted, strict).has_value());
  EXPECT_FALSE(decode(duplicate, strict).has_value());

  auto u = must_decode(unsorted);
  EXPECT_EQ(u.root().find_int("a"), 2);
  EXPECT_EQ(u.root().find_int("b"), 1);
  // Iteration keeps the input order.
  EXPECT_EQ((*u.root().entries().begin()).first, "b");

  auto dup = must_decode(duplicate);
  EXPECT_EQ(dup.root().size(), 2U);
  EXPECT_EQ(dup.root().find_int("a"), 1);  // the first one wins
  EXPECT_EQ(to_value(dup.root()), value(dict{{"a", 1}}));

  // Sorted by unsigned bytes: 'a' (0x61) < 0x80 < 0xff, and a prefix before its extensions.
  EXPECT_TRUE(decode("d1:ai0e2:aai0e1:\x80i0e1:\xffi0ee"s, strict).has_value());
  // Only keys of the same dict are compared.
  EXPECT_TRUE(decode("d1:bd1:ai0ee1:cd1:ai0eee", strict).has_value());
}

TEST(BencodeDecode, RawOfNestedValues) {
  const std::string in = "d4:listli1ei-2e3:abcd1:xleee3:numi7ee";
  auto d = must_decode(in);
  const node r = d.root();
  EXPECT_EQ(r.raw(), in);
  EXPECT_EQ(r.offset(), 0U);
  const node l = *r.find_list("list");
  EXPECT_EQ(l.raw(), "li1ei-2e3:abcd1:xleee");
  EXPECT_EQ(l.offset(), 7U);
  EXPECT_EQ(l.at(1).raw(), "i-2e");
  EXPECT_EQ(l.at(2).raw(), "3:abc");
  EXPECT_EQ(l.at(3).raw(), "d1:xlee");
  EXPECT_EQ(l.at(3).find("x")->raw(), "le");
  EXPECT_EQ(r.find("num")->raw(), "i7e");
  // Every raw() is a view into the original buffer.
  EXPECT_EQ(l.raw().data(), in.data() + 7);
}

TEST(BencodeDecode, RawOfUnsortedInfoDictIsByteExact) {
  // A torrent whose info dict has unsorted keys: its hash must be over the bytes as they are.
  const std::string info = "d4:name3:abc6:lengthi5e12:piece lengthi16384e6:pieces20:" + std::string(20, '\x01') + "e";
  const std::string in = "d8:announce3:url4:info" + info + "e";
  auto d = must_decode(in);
  const node i = *d.root().find_dict("info");
  EXPECT_EQ(i.raw(), info);
  // Re-encoding sorts the keys, which would give a different info-hash.
  const std::string canonical = encode(to_value(i));
  EXPECT_NE(canonical, info);
  EXPECT_EQ(canonical.size(), info.size());
  EXPECT_EQ(canonical.substr(0, 16), "d6:lengthi5e4:na");  // "length" < "name" < "piece length"
}

TEST(BencodeDecode, DecodePrefixWithBinaryPayload) {
  // A BEP 9 ut_metadata data message: a bencoded header followed by raw metadata bytes.
  const std::string header = "d8:msg_typei1e5:piecei0e10:total_sizei5ee";
  const std::string payload = "\0\xff" "d1:ae"s;
  const std::string msg = header + payload;
  auto r = decode_prefix(msg, limits{.strict = true});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->second, header.size());
  EXPECT_EQ(r->first.input(), header);
  EXPECT_EQ(r->first.root().raw(), header);
  EXPECT_EQ(r->first.root().find_int("total_size"), 5);
  EXPECT_EQ(msg.substr(r->second), payload);
  // decode() on the same bytes refuses the payload.
  auto full = decode(msg);
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, make_error_code(errc::trailing_data));
  EXPECT_EQ(full.error().offset, header.size());
  // Without payload the whole input is used; a broken header is still an error.
  EXPECT_EQ(decode_prefix("i1e").value().second, 3U);
  EXPECT_FALSE(decode_prefix("d8:msg_typei1e").has_value());
  EXPECT_FALSE(decode_prefix("").has_value());
}

TEST(BencodeDecode, NodesSurviveMovesOfTheDocument) {
  const std::string in = "d1:ali1ei2ee1:b3:xyze";
  auto r = decode(in);
  ASSERT_TRUE(r.has_value());
  const node root = r->root();
  const node list = *root.find_list("a");
  document moved = std::move(*r);
  document again;
  again = std::move(moved);
  EXPECT_EQ(list.at(1).integer(), 2);
  EXPECT_EQ(root.find_string("b"), "xyz");
  EXPECT_EQ(again.root().raw(), in);
  EXPECT_TRUE(again.root() == root);
  // An empty document has an invalid root.
  document empty;
  EXPECT_FALSE(empty.root().valid());
  EXPECT_EQ(empty.token_count(), 0U);
  EXPECT_EQ(empty.input(), "");
  EXPECT_FALSE(node().valid());
}

TEST(BencodeDecode, TokenCountMatchesValues) {
  auto d = must_decode("d1:ali1ei2ee1:bdee");
  // dict, "a", list, 1, 2, "b", dict
  EXPECT_EQ(d.token_count(), 7U);
}

TEST(BencodeDecode, LimitsAtTheirBoundsPass) {
  limits lim;
  lim.max_depth = 3;
  lim.max_tokens = 5;
  lim.max_input = 13;
  auto r = decode("llli1ei2eeee", lim);  // depth 3, 5 values, 12 bytes
  ASSERT_TRUE(r.has_value()) << r.error().message();
  lim.max_input = 12;
  EXPECT_TRUE(decode("llli1ei2eeee", lim).has_value());
}

TEST(BencodeDecode, LargeFlatListNeedsNoRecursionAndScales) {
  std::string in = "l";
  for (int i = 0; i < 200'000; ++i) in += "i" + std::to_string(i) + "e";
  in += "e";
  auto d = must_decode(in);
  EXPECT_EQ(d.root().size(), 200'000U);
  std::int64_t expect = 0;
  for (node e : d.root().items()) EXPECT_EQ(e.integer(), expect++);
}

// A real .torrent made by libtorrent (the fuzz seed corpus holds it): strict decoding accepts it,
// and libtorrent's output is canonical, so our encoder reproduces it byte for byte.
TEST(BencodeDecode, RealTorrentFromLibtorrent) {
  const auto path = std::filesystem::path(CCBT_TESTS_DIR) / "fuzz" / "corpus" /
                    "bencode" / "libtorrent-v1.torrent";
  std::ifstream f(path, std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string bytes = ss.str();
  auto d = must_decode(bytes, limits{.strict = true});
  const node info = *d.root().find_dict("info");
  const auto pieces = info.find_string("pieces");
  ASSERT_TRUE(pieces.has_value());
  EXPECT_EQ(pieces->size() % 20, 0U);
  EXPECT_GT(info.find_int("piece length").value_or(0), 0);
  EXPECT_TRUE(info.find_list("files").has_value());
  EXPECT_EQ(encode(to_value(d.root())), bytes);
}

}  // namespace
}  // namespace ccbt::bencode
