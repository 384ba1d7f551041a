// BEP 10 extension handshake: fields, bounds, leniency, errors, canonical encoding.
#include <gtest/gtest.h>

#include <ccbt/bencode.hpp>

#include <string>

#include "wire/errors.hpp"
#include "wire/extension_handshake.hpp"
#include "wire_test_util.hpp"

namespace ccbt::wire {
namespace {

using test::unhex;

TEST(ExtensionHandshake, DecodesAllFields) {
  // A libtorrent-style handshake plus a few fields of other clients and an unknown key.
  using namespace std::string_literals;  // the payload has NUL bytes
  const std::string payload =
      "d12:complete_agoi-1e4:ipv44:\x0a\x00\x00\x01"s + "4:ipv616:" + std::string(15, '\0') + "\x01" +
      "1:md11:lt_donthavei7e11:ut_metadatai2e6:ut_pexi0ee13:metadata_sizei31235e1:pi6881e4:reqqi500e"
      "11:upload_onlyi1e1:v14:libtorrent 2.0" + "6:yourip4:\x7f\x00\x00\x01"s + "3:zzzli1ei2eee";
  const auto h = decode_extension_handshake(payload);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->m.size(), 3U);
  EXPECT_EQ(h->id_of("ut_metadata"), 2);
  EXPECT_EQ(h->id_of("lt_donthave"), 7);
  EXPECT_EQ(h->id_of("ut_pex"), std::nullopt);  // 0 = disabled
  EXPECT_EQ(h->m.at("ut_pex"), 0);
  EXPECT_EQ(h->id_of("ut_holepunch"), std::nullopt);
  EXPECT_EQ(h->listen_port, 6881);
  EXPECT_EQ(h->client, "libtorrent 2.0");
  EXPECT_EQ(h->reqq, 500U);
  ASSERT_TRUE(h->yourip);
  EXPECT_EQ(h->yourip->size, 4);
  EXPECT_EQ(h->yourip->bytes[0], 127);
  ASSERT_TRUE(h->ipv4);
  EXPECT_EQ(h->ipv4->bytes[0], 10);
  ASSERT_TRUE(h->ipv6);
  EXPECT_EQ(h->ipv6->size, 16);
  EXPECT_EQ(h->ipv6->bytes[15], 1);
  EXPECT_EQ(h->metadata_size, 31235U);
  EXPECT_EQ(h->upload_only, true);
  EXPECT_EQ(h->complete_ago, std::nullopt);  // -1: never saw a seed
}

TEST(ExtensionHandshake, MinimalAndEmpty) {
  auto h = decode_extension_handshake("de");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->m.empty());
  EXPECT_FALSE(h->listen_port);
  h = decode_extension_handshake("d1:mdee");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->m.empty());
}

TEST(ExtensionHandshake, EncodesCanonically) {
  extension_handshake h;
  h.m = {{"ut_pex", 1}, {"ut_metadata", 2}};
  h.listen_port = 6881;
  h.client = "ccbt 0.1";
  h.reqq = 250;
  h.yourip = ip_bytes::from(std::string("\x7f\x00\x00\x01", 4));
  h.metadata_size = 1234;
  h.upload_only = false;
  h.complete_ago = 60;
  const std::string raw = encode_extension_handshake(h);
  EXPECT_EQ(raw,
            "d12:complete_agoi60e1:md11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei1234e1:pi6881e"
            "4:reqqi250e11:upload_onlyi0e1:v8:ccbt 0.16:yourip4:" +
                std::string("\x7f\x00\x00\x01", 4) + "e");
  const auto back = decode_extension_handshake(raw);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, h);
}

TEST(ExtensionHandshake, RoundTripWithV6Addresses) {
  extension_handshake h;
  h.m = {{"lt_donthave", 7}};
  h.ipv4 = ip_bytes::from(std::string("\x01\x02\x03\x04", 4));
  h.ipv6 = ip_bytes::from(std::string(16, '\x20'));
  h.yourip = ip_bytes::from(std::string(16, '\xfe'));
  const auto back = decode_extension_handshake(encode_extension_handshake(h));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, h);
  EXPECT_EQ(encode_extension_handshake(extension_handshake{}), "d1:mdee");
}

TEST(ExtensionHandshake, LenientFields) {
  // Out-of-range or wrongly typed optional fields are dropped, not fatal.
  const auto h = decode_extension_handshake(
      "d1:mde1:pi70000e4:reqqi999999e6:yourip5:abcde4:ipv43:abc4:ipv64:abcd13:metadata_sizei0e"
      "12:complete_agoi99999999999e1:vi5ee");
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_FALSE(h->listen_port);
  EXPECT_EQ(h->reqq, 5000U);  // clamped to the limit
  EXPECT_FALSE(h->yourip);
  EXPECT_FALSE(h->ipv4);
  EXPECT_FALSE(h->ipv6);
  EXPECT_FALSE(h->metadata_size);
  EXPECT_EQ(h->complete_ago, 0xFFFFFFFFU);
  EXPECT_FALSE(h->client);
  EXPECT_FALSE(decode_extension_handshake("d1:pi0e4:reqqi0ee")->listen_port);
  EXPECT_FALSE(decode_extension_handshake("d1:pi0e4:reqqi0ee")->reqq);
}

TEST(ExtensionHandshake, ClientNameCutAtUtf8Boundary) {
  extension_handshake_limits lim;
  lim.max_client_length = 4;
  // "ab" + U+00E9 (2 bytes) + "c": 5 bytes; cutting at 4 keeps the whole é.
  auto h = decode_extension_handshake("d1:v5:ab\xc3\xa9" "ce", lim);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->client, "ab\xc3\xa9");
  lim.max_client_length = 3;  // would split the é: cut before it
  h = decode_extension_handshake("d1:v5:ab\xc3\xa9" "ce", lim);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->client, "ab");
}

TEST(ExtensionHandshake, DuplicateNamesFirstWins) {
  const auto h = decode_extension_handshake("d1:md6:ut_pexi1e6:ut_pexi9eee");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->id_of("ut_pex"), 1);
}

TEST(ExtensionHandshakeErrors, NotBencodeOrNotADict) {
  auto h = decode_extension_handshake("d1:m");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code.category(), bencode::category());  // the bencode error, kept as it is
  EXPECT_NE(h.error().context.find("extension handshake"), std::string::npos);
  h = decode_extension_handshake("li1ee");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_not_dict);
  h = decode_extension_handshake("");
  ASSERT_FALSE(h);
}

TEST(ExtensionHandshakeErrors, BadM) {
  auto h = decode_extension_handshake("d1:mli1eee");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_bad_m);
  EXPECT_EQ(h.error().offset, 4U);
  h = decode_extension_handshake("d1:md6:ut_pexi256eee");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_bad_m);
  EXPECT_EQ(h.error().context, "m.ut_pex is not an id in 0..255");
  h = decode_extension_handshake("d1:md6:ut_pexi-1eee");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_bad_m);
  h = decode_extension_handshake("d1:md6:ut_pex1:1ee");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_bad_m);
}

TEST(ExtensionHandshakeErrors, NamesAndCounts) {
  auto h = decode_extension_handshake("d1:md0:i1eee");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_bad_name);
  const std::string long_name(65, 'n');
  h = decode_extension_handshake("d1:md65:" + long_name + "i1eee");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_bad_name);

  std::string many = "d1:md";
  for (int i = 0; i < 65; ++i) {
    const std::string k = "ext" + std::to_string(100 + i);
    many += std::to_string(k.size()) + ":" + k + "i1e";
  }
  many += "ee";
  h = decode_extension_handshake(many);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_too_many_extensions);
  extension_handshake_limits lim;
  lim.max_extensions = 65;
  EXPECT_TRUE(decode_extension_handshake(many, lim));
}

TEST(ExtensionHandshakeErrors, MetadataSizeBound) {
  auto h = decode_extension_handshake("d13:metadata_sizei67108865ee");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::ext_handshake_bad_metadata_size);
  EXPECT_TRUE(decode_extension_handshake("d13:metadata_sizei67108864ee"));
}

TEST(ExtensionHandshakeErrors, TokenBound) {
  std::string deep = "d3:zzz";
  for (int i = 0; i < 20; ++i) deep += "l";
  for (int i = 0; i < 20; ++i) deep += "e";
  deep += "e";
  const auto h = decode_extension_handshake(deep);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, bencode::errc::depth_exceeded);
}

TEST(ExtensionHandshake, FramedAsExtendedMessageZero) {
  extension_handshake h;
  h.m = {{"ut_metadata", 3}};
  const std::string payload = encode_extension_handshake(h);
  std::string frame;
  encode(frame, extended{0, payload});
  decoder_options o;
  o.negotiated.extended = true;
  decoder d(o);
  d.feed(frame);
  auto m = d.next();
  ASSERT_TRUE(m && *m);
  const auto& ext = std::get<extended>(**m);
  EXPECT_EQ(ext.id, 0);
  const auto back = decode_extension_handshake(ext.payload);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id_of("ut_metadata"), 3);
}

}  // namespace
}  // namespace ccbt::wire
