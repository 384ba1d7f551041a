// BEP 11 ut_pex: exact bytes, round trips, bounds and every error with its offset.
#include <gtest/gtest.h>

#include <string>

#include "wire/errors.hpp"
#include "wire/ut_pex.hpp"
#include "wire_test_util.hpp"

namespace ccbt::wire {
namespace {

using namespace std::string_literals;
using test::unhex;

pex_peer v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port,
            std::uint8_t flags = 0) {
  pex_peer p;
  p.ip.size = 4;
  p.ip.bytes[0] = a;
  p.ip.bytes[1] = b;
  p.ip.bytes[2] = c;
  p.ip.bytes[3] = d;
  p.port = port;
  p.flags = flags;
  return p;
}

pex_peer v6_loopback(std::uint16_t port, std::uint8_t flags = 0) {
  pex_peer p;
  p.ip.size = 16;
  p.ip.bytes[15] = 1;
  p.port = port;
  p.flags = flags;
  return p;
}

TEST(UtPex, EncodesAllKeysCanonically) {
  ut_pex m;
  m.added = {v4(127, 0, 0, 1, 6881, pex_flag::seed | pex_flag::reachable), v6_loopback(0x1a2b, pex_flag::seed)};
  m.dropped = {v4(10, 0, 0, 2, 80)};
  const std::string want = "d5:added6:"s + unhex("7f000001 1ae1") + "7:added.f1:\x12" + "6:added618:" +
                           unhex("00000000000000000000000000000001 1a2b") + "8:added6.f1:\x02" + "7:dropped6:" +
                           unhex("0a000002 0050") + "8:dropped60:e";
  EXPECT_EQ(encode_ut_pex(m), want);
  const auto back = decode_ut_pex(want);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, m);
}

TEST(UtPex, EmptyMessage) {
  const auto empty = encode_ut_pex({});
  EXPECT_EQ(empty, "d5:added0:7:added.f0:6:added60:8:added6.f0:7:dropped0:8:dropped60:e");
  auto m = decode_ut_pex(empty);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->added.empty());
  EXPECT_TRUE(m->dropped.empty());
  m = decode_ut_pex("de");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->added.empty());
}

TEST(UtPex, MissingFlagsAreZeroAndUnknownKeysIgnored) {
  const std::string p = "d5:added12:"s + unhex("01020304 0001 05060708 0002") + "3:zzzli1eee";
  const auto m = decode_ut_pex(p);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->added.size(), 2U);
  EXPECT_EQ(m->added[0], v4(1, 2, 3, 4, 1));
  EXPECT_EQ(m->added[1], v4(5, 6, 7, 8, 2));
}

TEST(UtPex, IPv4BeforeIPv6) {
  // Wire order of keys does not matter; the decoded list is IPv4 then IPv6.
  ut_pex m;
  m.added = {v6_loopback(1), v4(1, 1, 1, 1, 2)};
  const auto back = decode_ut_pex(encode_ut_pex(m));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->added.size(), 2U);
  EXPECT_EQ(back->added[0], v4(1, 1, 1, 1, 2));
  EXPECT_EQ(back->added[1], v6_loopback(1));
}

void expect_error(const std::string& payload, errc e, std::uint64_t offset, const std::string& context_part,
                  const ut_pex_limits& lim = {}) {
  const auto m = decode_ut_pex(payload, lim);
  ASSERT_FALSE(m) << "accepted: " << test::hex(payload);
  EXPECT_EQ(m.error().code, make_error_code(e)) << m.error().message();
  EXPECT_EQ(m.error().offset, offset) << m.error().message();
  EXPECT_NE(m.error().context.find(context_part), std::string::npos) << m.error().message();
  EXPECT_FALSE(m.error().message().empty());
}

TEST(UtPex, Errors) {
  expect_error("le", errc::ut_pex_not_dict, 0, "ut_pex");
  expect_error("i1e", errc::ut_pex_not_dict, 0, "ut_pex");
  expect_error("d5:addedi1ee", errc::ut_pex_bad_field, 8, "added is not");
  expect_error("d5:added5:abcdee", errc::ut_pex_bad_length, 8, "added: 5 bytes");
  expect_error("d6:added66:abcdefe", errc::ut_pex_bad_length, 9, "added6: 6 bytes, not a multiple of 18");
  expect_error("d7:dropped7:abcdefge", errc::ut_pex_bad_length, 10, "dropped: 7 bytes");
  expect_error("d8:dropped6li1eee", errc::ut_pex_bad_field, 11, "dropped6");
  // One peer, two flag bytes.
  expect_error("d5:added6:abcdef7:added.f2:xye", errc::ut_pex_flags_mismatch, 25, "added.f: 2 bytes for 1 peers");
  expect_error("d5:added6:abcdef7:added.fi1ee", errc::ut_pex_bad_field, 25, "added.f");
}

TEST(UtPex, Bounds) {
  ut_pex_limits lim;
  lim.max_added = 2;
  lim.max_dropped = 1;
  ut_pex m;
  m.added = {v4(1, 1, 1, 1, 1), v4(1, 1, 1, 2, 1)};
  m.dropped = {v4(1, 1, 1, 3, 1)};
  ASSERT_TRUE(decode_ut_pex(encode_ut_pex(m), lim));
  m.added.push_back(v6_loopback(9));  // 2 IPv4 + 1 IPv6 = 3 > 2
  const auto enc = encode_ut_pex(m);
  const auto r = decode_ut_pex(enc, lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::ut_pex_too_many_peers));
  EXPECT_EQ(r.error().offset, enc.find("18:"));
  m.added.pop_back();
  m.dropped.push_back(v4(1, 1, 1, 4, 1));
  const auto r2 = decode_ut_pex(encode_ut_pex(m), lim);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, make_error_code(errc::ut_pex_too_many_peers));
  // Bencode limits: a deep or token-heavy payload fails before any list is read.
  const auto deep = decode_ut_pex("d1:xllllllleeeeeeee");
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().context.find("ut_pex"), std::string::npos);
  std::string many = "d1:xl";
  for (int i = 0; i < 100; ++i) many += "i1e";
  many += "ee";
  EXPECT_FALSE(decode_ut_pex(many));
  // The default bound: 200 added peers accepted, 201 refused.
  ut_pex big;
  for (int i = 0; i < 200; ++i) big.added.push_back(v4(10, 0, static_cast<std::uint8_t>(i / 256), static_cast<std::uint8_t>(i % 256), 1));
  EXPECT_TRUE(decode_ut_pex(encode_ut_pex(big)));
  big.added.push_back(v4(10, 1, 0, 0, 1));
  EXPECT_FALSE(decode_ut_pex(encode_ut_pex(big)));
}

TEST(UtPex, LibtorrentStylePayload) {
  // As libtorrent 2.0 writes it (ut_pex.cpp): added, added.f, dropped, added6, added6.f, dropped6.
  const std::string p = "d5:added6:"s + unhex("7f000001 c350") + "7:added.f1:\x10" +
                        "6:added60:8:added6.f0:7:dropped0:8:dropped60:e";
  const auto m = decode_ut_pex(p);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->added.size(), 1U);
  EXPECT_EQ(m->added[0], v4(127, 0, 0, 1, 50000, pex_flag::reachable));
  EXPECT_EQ(encode_ut_pex(*m), p);
}

}  // namespace
}  // namespace ccbt::wire
