// Encoder: canonical output, to_value() deep copies, and a randomized round-trip property.
#include <ccbt/bencode.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace ccbt::bencode {
namespace {

using namespace std::string_literals;

TEST(BencodeEncode, Scalars) {
  EXPECT_EQ(encode(value(0)), "i0e");
  EXPECT_EQ(encode(value(-1)), "i-1e");
  EXPECT_EQ(encode(value(std::int64_t{1} << 40)), "i1099511627776e");
  EXPECT_EQ(encode(value()), "i0e");  // default value is the integer 0
  EXPECT_EQ(encode(value("")), "0:");
  EXPECT_EQ(encode(value("spam")), "4:spam");
  EXPECT_EQ(encode(value(std::string_view("ab"))), "2:ab");
  EXPECT_EQ(encode(value("\0\xff"s)), "2:\0\xff"s);
  EXPECT_EQ(encode(value(std::string(300, 'x'))), "300:" + std::string(300, 'x'));
}

TEST(BencodeEncode, Containers) {
  EXPECT_EQ(encode(value(list{})), "le");
  EXPECT_EQ(encode(value(dict{})), "de");
  EXPECT_EQ(encode(value(list{1, "a", list{}, dict{{"k", -2}}})), "li1e1:aled1:ki-2eee");
}

TEST(BencodeEncode, KeysInRawByteOrder) {
  // Unsigned byte order: "" < "B" (0x42) < "a" (0x61) < "ab" < "\x80" < "\xff". A signed char
  // comparison would put the high bytes first.
  dict d;
  d["\xff"] = 1;
  d["ab"] = 2;
  d["\x80"] = 3;
  d["a"] = 4;
  d["B"] = 5;
  d[""] = 6;
  EXPECT_EQ(encode(value(std::move(d))), "d0:i6e1:Bi5e1:ai4e2:abi2e1:\x80i3e1:\xffi1ee"s);
  // Keys are compared as whole byte strings, including embedded NULs.
  dict z;
  z["a\0b"s] = 1;
  z["a"] = 2;
  EXPECT_EQ(encode(value(std::move(z))), "d1:ai2e3:a\0bi1ee"s);
}

TEST(BencodeEncode, CanonicalOutputDecodesStrictly) {
  dict d;
  d["\xc3\xa9"] = list{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  d["z"] = dict{{"\x01", "x"}, {"\x7f", ""}};
  const std::string out = encode(value(d));
  auto r = decode(out, limits{.strict = true});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(to_value(r->root()), value(d));
}

TEST(BencodeEncode, EncodeToAppends) {
  std::string out = "prefix:";
  encode_to(out, value(list{1, 2}));
  encode_to(out, value("x"));
  EXPECT_EQ(out, "prefix:li1ei2ee1:x");
}

TEST(BencodeEncode, ValueAccessors) {
  value v = dict{{"a", list{1}}};
  EXPECT_EQ(v.kind(), type::dict);
  v.as_dict()["b"] = "str";
  v.as_dict()["a"].as_list().emplace_back(2);
  EXPECT_EQ(encode(v), "d1:ali1ei2ee1:b3:stre");
  const value& c = v;
  EXPECT_EQ(c.as_dict().at("b").as_string(), "str");
  EXPECT_EQ(c.as_dict().at("a").as_list().at(1).as_int(), 2);
  EXPECT_THROW((void)c.as_int(), std::bad_variant_access);  // a programming error
  EXPECT_NE(value(1), value("1"));
  EXPECT_NE(value(list{}), value(dict{}));
}

TEST(BencodeToValue, RoundTripOfCanonicalInput) {
  const std::string in = "d4:infod5:filesld6:lengthi1e4:pathl1:aeee4:name1:xe3:numi-5e1:sli1ei2eee";
  auto r = decode(in, limits{.strict = true});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const value v = to_value(r->root());
  EXPECT_EQ(v.as_dict().at("num").as_int(), -5);
  EXPECT_EQ(v.as_dict().at("info").as_dict().at("name").as_string(), "x");
  EXPECT_EQ(encode(v), in);
  // A sub-tree on its own.
  EXPECT_EQ(encode(to_value(*r->root().find_dict("info"))), r->root().find_dict("info")->raw());
}

TEST(BencodeToValue, LenientInputBecomesCanonical) {
  auto r = decode("d1:bi1e1:ai2e1:bi3ee");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(encode(to_value(r->root())), "d1:ai2e1:bi1ee");
}

// ---- randomized round trip ----

class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  value make(int depth) {
    const int kind = depth >= 6 ? pick(0, 1) : pick(0, 3);
    switch (kind) {
      case 0: return value(make_int());
      case 1: return value(make_bytes(pick(0, 3) == 0 ? 40 : 6));
      case 2: {
        list l;
        const int n = pick(0, 5);
        for (int i = 0; i < n; ++i) l.push_back(make(depth + 1));
        return value(std::move(l));
      }
      default: {
        dict d;
        const int n = pick(0, 5);
        for (int i = 0; i < n; ++i) {
          std::string key = make_bytes(4);  // before the value: argument order is unspecified
          d.insert_or_assign(std::move(key), make(depth + 1));
        }
        return value(std::move(d));
      }
    }
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::int64_t make_int() {
    switch (pick(0, 5)) {
      case 0: return std::numeric_limits<std::int64_t>::min();
      case 1: return std::numeric_limits<std::int64_t>::max();
      case 2: return pick(-10, 10);
      default: return static_cast<std::int64_t>(rng_());  // any 64-bit pattern
    }
  }

  std::string make_bytes(int max_len) {
    std::string s(static_cast<std::size_t>(pick(0, max_len)), '\0');
    // Small alphabets make shared prefixes and equal keys likely; the full one covers 0x80..0xff.
    const bool small = pick(0, 1) == 0;
    for (auto& c : s) c = static_cast<char>(small ? "ab\x80\xff"[pick(0, 3)] : pick(0, 255));
    return s;
  }

  std::mt19937_64 rng_;
};

std::size_t count_values(const value& v) {
  switch (v.kind()) {
    case type::list: {
      std::size_t n = 1;
      for (const auto& e : v.as_list()) n += count_values(e);
      return n;
    }
    case type::dict: {
      std::size_t n = 1;
      for (const auto& [k, e] : v.as_dict()) n += 1 + count_values(e);
      return n;
    }
    default: return 1;
  }
}

TEST(BencodeProperty, RandomValuesRoundTrip) {
  generator gen(0x5eedcafe);
  for (int i = 0; i < 3000; ++i) {
    const value v = gen.make(0);
    const std::string bytes = encode(v);
    auto r = decode(bytes, limits{.strict = true});
    ASSERT_TRUE(r.has_value()) << "iteration " << i << ": " << r.error().message();
    EXPECT_EQ(r->root().raw(), bytes);
    EXPECT_EQ(r->token_count(), count_values(v));
    const value back = to_value(r->root());
    ASSERT_EQ(back, v) << "iteration " << i;
    ASSERT_EQ(encode(back), bytes) << "iteration " << i;
    // Any strict prefix of a canonical encoding is an error, never a crash or a success.
    if (bytes.size() > 1) {
      const std::size_t cut = static_cast<std::size_t>(i) % (bytes.size() - 1) + 1;
      EXPECT_FALSE(decode(std::string_view(bytes).substr(0, cut)).has_value()) << "iteration " << i;
    }
  }
}

}  // namespace
}  // namespace ccbt::bencode
