// magnet::parse — what it accepts, and the specific error (code, context, offset) for what it rejects.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include <ccbt/magnet.hpp>

namespace ccbt::magnet {
namespace {

constexpr std::string_view k_hex = "0123456789abcdef0123456789abcdef01234567";
constexpr std::string_view k_hex2 = "fedcba9876543210fedcba9876543210fedcba98";
constexpr std::string_view k_hex256 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string btih(std::string_view hex = k_hex) { return "magnet:?xt=urn:btih:" + std::string(hex); }

sha1_hash sha1(std::string_view hex) { return *sha1_hash::from_hex(hex); }
sha256_hash sha256(std::string_view hex) { return *sha256_hash::from_hex(hex); }

magnet_link ok(std::string_view uri) {
  auto r = parse(uri);
  EXPECT_TRUE(r) << uri << " -> " << (r ? "" : r.error().message());
  return r ? *r : magnet_link{};
}

// Asserts that uri fails with `code`, and (when given) the context and offset.
void expect_error(std::string_view uri, errc code, std::string_view context = {}, std::optional<std::uint64_t> offset = std::nullopt) {
  const auto r = parse(uri);
  ASSERT_FALSE(r) << "accepted: " << uri;
  EXPECT_EQ(r.error().code, make_error_code(code)) << uri << " -> " << r.error().message();
  if (!context.empty()) {
    EXPECT_EQ(r.error().context, context) << uri;
  }
  if (offset) {
    EXPECT_EQ(r.error().offset, offset) << uri << " -> " << r.error().message();
  }
}

// ---------------------------------------------------------------------------------------------
// Accepted links

TEST(MagnetParse, V1Hex) {
  const auto m = ok(btih());
  EXPECT_EQ(m.hashes.v1, sha1(k_hex));
  EXPECT_FALSE(m.hashes.v2);
  EXPECT_TRUE(m.name.empty());
  EXPECT_TRUE(m.trackers.empty());
  EXPECT_TRUE(m.select_only.empty());
  // Hex digits of either case.
  EXPECT_EQ(ok("magnet:?xt=urn:btih:0123456789ABCDEF0123456789ABCDEF01234567").hashes.v1, sha1(k_hex));
}

TEST(MagnetParse, V1Base32EitherCase) {
  // 32 base32 characters = 160 bits. "CIMXSNCVGY2DONBYHEYTAMJUGAZTIMZR" is what libtorrent 2.0.8
  // decodes to 1219793455363437343839313031343033343331 (see libtorrent_vectors_test.cpp).
  const auto upper = ok("magnet:?xt=urn:btih:CIMXSNCVGY2DONBYHEYTAMJUGAZTIMZR");
  EXPECT_EQ(upper.hashes.v1, sha1("1219793455363437343839313031343033343331"));
  const auto lower = ok("magnet:?xt=urn:btih:cimxsncvgy2donbyheytamjugaztimzr");
  EXPECT_EQ(lower.hashes.v1, upper.hashes.v1);
  // RFC 4648 test: all-'A' is zero, all-'7' is all ones.
  EXPECT_EQ(ok("magnet:?xt=urn:btih:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").hashes.v1, sha1_hash{});
  EXPECT_EQ(ok("magnet:?xt=urn:btih:77777777777777777777777777777777").hashes.v1,
            sha1("ffffffffffffffffffffffffffffffffffffffff"));
}

TEST(MagnetParse, V2AndHybrid) {
  const auto v2 = ok("magnet:?xt=urn:btmh:1220" + std::string(k_hex256));
  EXPECT_FALSE(v2.hashes.v1);
  EXPECT_EQ(v2.hashes.v2, sha256(k_hex256));

  const auto hybrid = ok(btih() + "&xt=urn:btmh:1220" + std::string(k_hex256));
  EXPECT_TRUE(hybrid.hashes.is_hybrid());
  EXPECT_EQ(hybrid.hashes.v1, sha1(k_hex));
  EXPECT_EQ(hybrid.hashes.v2, sha256(k_hex256));

  // Order does not matter; the same hash twice (hex then base32 spelling) is not a conflict.
  const auto again = ok("magnet:?xt=urn:btmh:1220" + std::string(k_hex256) + "&xt=urn:btih:" + std::string(k_hex) +
                        "&xt=urn:btih:" + std::string(k_hex));
  EXPECT_EQ(again.hashes, hybrid.hashes);
  const auto same = ok("magnet:?xt=urn:btih:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&xt=urn:btih:" + std::string(40, '0'));
  EXPECT_EQ(same.hashes.v1, sha1_hash{});
}

TEST(MagnetParse, NumberedAndCaseInsensitiveNames) {
  const auto m = ok("MAGNET:?XT.1=URN:BTIH:" + std::string(k_hex) + "&xt.2=urn:btmh:1220" + std::string(k_hex256) +
                    "&Dn=name&TR.1=http://a/&tr.2=http://b/&tr.10=http://c/&WS.1=http://w/&X.PE=1.2.3.4:5&So.1=3");
  EXPECT_TRUE(m.hashes.is_hybrid());
  EXPECT_EQ(m.name, "name");
  EXPECT_EQ(m.trackers, (std::vector<std::string>{"http://a/", "http://b/", "http://c/"}));
  EXPECT_EQ(m.web_seeds, std::vector<std::string>{"http://w/"});
  EXPECT_EQ(m.peers, (std::vector<peer_endpoint>{{"1.2.3.4", 5}}));
  EXPECT_EQ(m.select_only, (std::vector<file_range>{{3, 3}}));
  EXPECT_TRUE(m.extra.empty());
}

TEST(MagnetParse, DisplayNameDecoding) {
  // '+' is a space (libtorrent's unescape_string); %2B is a literal plus; UTF-8 bytes pass through.
  EXPECT_EQ(ok(btih() + "&dn=My+Show%2B1%20x").name, "My Show+1 x");
  EXPECT_EQ(ok(btih() + "&dn=%C3%9Cn%c3%afc").name, "\xc3\x9cn\xc3\xaf" "c");
  EXPECT_EQ(ok(btih() + "&dn=a%00b").name, std::string("a\0b", 3));
  // The last dn wins, as in libtorrent.
  EXPECT_EQ(ok(btih() + "&dn=first&dn=second").name, "second");
  // A '=' inside a value belongs to the value.
  EXPECT_EQ(ok(btih() + "&dn=a=b").name, "a=b");
}

TEST(MagnetParse, TrackersKeepOrderWithoutDuplicates) {
  const auto m = ok(btih() +
                    "&tr=udp%3A%2F%2Fb.example%3A80&tr=http://a.example/announce&tr=udp://b.example:80"
                    "&tr=&tr=http://a.example/announce&tr=http%3a%2f%2fc.example%2fann%3fk%3d1%262");
  EXPECT_EQ(m.trackers, (std::vector<std::string>{"udp://b.example:80", "http://a.example/announce",
                                                  "http://c.example/ann?k=1&2"}));
}

TEST(MagnetParse, WebSeeds) {
  const auto m = ok(btih() + "&ws=http%3A%2F%2Fw.example%2Ff%2F&ws=https://x.example/&ws=http://w.example/f/&ws=");
  EXPECT_EQ(m.web_seeds, (std::vector<std::string>{"http://w.example/f/", "https://x.example/"}));
}

TEST(MagnetParse, PeerAddresses) {
  const auto m = ok(btih() +
                    "&x.pe=10.0.0.1:6881&x.pe=[2001:db8::1]:51413&x.pe=peer.example.org:1&x.pe=[::ffff:1.2.3.4]:65535"
                    "&x.pe=%5B::1%5D%3A80&x.pe=10.0.0.1:6881&x.pe=localhost:2&x.pe=[::]:3&x.pe=a_b-c.example:4");
  EXPECT_EQ(m.peers, (std::vector<peer_endpoint>{{"10.0.0.1", 6881},
                                                 {"2001:db8::1", 51413},
                                                 {"peer.example.org", 1},
                                                 {"::ffff:1.2.3.4", 65535},
                                                 {"::1", 80},
                                                 {"localhost", 2},
                                                 {"::", 3},
                                                 {"a_b-c.example", 4}}));
  // Full-length IPv6 forms.
  EXPECT_EQ(ok(btih() + "&x.pe=[1:2:3:4:5:6:7:8]:9").peers.at(0).host, "1:2:3:4:5:6:7:8");
  EXPECT_EQ(ok(btih() + "&x.pe=[1::8]:9").peers.at(0).host, "1::8");
  EXPECT_EQ(ok(btih() + "&x.pe=[1:2:3:4:5:6:1.2.3.4]:9").peers.at(0).host, "1:2:3:4:5:6:1.2.3.4");
}

TEST(MagnetParse, SelectOnlyIsNormalized) {
  EXPECT_EQ(ok(btih() + "&so=0,2,4-6").select_only, (std::vector<file_range>{{0, 0}, {2, 2}, {4, 6}}));
  // Unsorted, overlapping, adjacent, repeated and split over several so parameters.
  EXPECT_EQ(ok(btih() + "&so=9,4-6,5&so.1=7,0-1,2&so=20-30,25-40").select_only,
            (std::vector<file_range>{{0, 2}, {4, 7}, {9, 9}, {20, 40}}));
  // Empty items are tolerated (as libtorrent does), an empty so selects nothing in particular.
  EXPECT_EQ(ok(btih() + "&so=1,,3,").select_only, (std::vector<file_range>{{1, 1}, {3, 3}}));
  EXPECT_TRUE(ok(btih() + "&so=").select_only.empty());
  // The limits themselves are accepted.
  EXPECT_EQ(ok(btih() + "&so=0-999999").select_only, (std::vector<file_range>{{0, max_file_index}}));
  EXPECT_EQ(ok(btih() + "&so=0000000000000000007").select_only, (std::vector<file_range>{{7, 7}}));
  std::string many = btih() + "&so=";
  for (std::size_t i = 0; i < max_select_entries; ++i) many += std::to_string(2 * i) + ',';
  EXPECT_EQ(ok(many).select_only.size(), max_select_entries);
}

TEST(MagnetParse, UnknownParametersAreKeptVerbatim) {
  const auto m = ok("magnet:?xl=1024&" + btih().substr(8) +
                    "&dht=router.example:6881&kt=a+b%20c&&novalue&xs=http%3A%2F%2Fx&x.pe.foo=1&tr.x=1");
  EXPECT_TRUE(m.hashes.v1);
  EXPECT_EQ(m.extra, (std::vector<std::string>{"xl=1024", "dht=router.example:6881", "kt=a+b%20c", "novalue",
                                               "xs=http%3A%2F%2Fx", "x.pe.foo=1", "tr.x=1"}));
  // Unknown parameters are not decoded, so a bad escape in one is not an error.
  EXPECT_EQ(ok(btih() + "&as=%zz").extra, std::vector<std::string>{"as=%zz"});
}

TEST(MagnetParse, OtherUrnsBesideBtihAreIgnored) {
  const auto m = ok("magnet:?xt=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1&xt=urn:sha1:ABCDEF&" + btih().substr(8));
  EXPECT_EQ(m.hashes.v1, sha1(k_hex));
}

TEST(MagnetParse, EscapedXt) {
  EXPECT_EQ(ok("magnet:?xt=urn%3Abtih%3A" + std::string(k_hex)).hashes.v1, sha1(k_hex));
  EXPECT_EQ(ok("magnet:?xt=URN:BTIH:" + std::string(k_hex)).hashes.v1, sha1(k_hex));
}

TEST(MagnetParse, IsMagnetUri) {
  EXPECT_TRUE(is_magnet_uri("magnet:?xt=..."));
  EXPECT_TRUE(is_magnet_uri("Magnet:"));
  EXPECT_FALSE(is_magnet_uri("magnet"));
  EXPECT_FALSE(is_magnet_uri("/tmp/magnet:x.torrent"));
  EXPECT_FALSE(is_magnet_uri(""));
}

// ---------------------------------------------------------------------------------------------
// Rejected links: every errc, with where it points

TEST(MagnetParseError, NotMagnet) {
  expect_error("", errc::not_magnet, {}, 0);
  expect_error("http://example.org/x.torrent", errc::not_magnet, {}, 0);
  expect_error("magnet", errc::not_magnet, {}, 0);
  expect_error("magnet:", errc::not_magnet, {}, 7);
  expect_error("magnet:xt=urn:btih:" + std::string(k_hex), errc::not_magnet, {}, 7);
  expect_error(" magnet:?xt=urn:btih:" + std::string(k_hex), errc::not_magnet, {}, 0);
}

TEST(MagnetParseError, TooLong) {
  std::string uri = btih() + "&x=";
  uri.resize(max_uri_size, 'a');
  EXPECT_TRUE(parse(uri));  // exactly at the cap
  uri.push_back('a');
  expect_error(uri, errc::too_long, {}, max_uri_size);
}

TEST(MagnetParseError, BadEscape) {
  const auto base = btih();  // 60 bytes
  expect_error(base + "&dn=ab%zz", errc::bad_escape, "dn", base.size() + 6);
  expect_error(base + "&dn=ab%4", errc::bad_escape, "dn", base.size() + 6);
  expect_error(base + "&tr=%", errc::bad_escape, "tr", base.size() + 4);
  expect_error(base + "&tr.3=http%3A%2", errc::bad_escape, "tr.3", base.size() + 13);
  expect_error(base + "&ws=%g0", errc::bad_escape, "ws");
  expect_error(base + "&x.pe=%5B::1%5", errc::bad_escape, "x.pe");
  expect_error(base + "&so=1%2", errc::bad_escape, "so");
  expect_error("magnet:?xt=urn%3Abtih%3G" + std::string(k_hex), errc::bad_escape, "xt", 21);
}

TEST(MagnetParseError, MissingXt) {
  expect_error("magnet:?", errc::missing_xt);
  expect_error("magnet:?dn=name&tr=http://a/", errc::missing_xt);
  expect_error("magnet:?xtx=urn:btih:" + std::string(k_hex), errc::missing_xt);
}

TEST(MagnetParseError, UnsupportedXt) {
  expect_error("magnet:?xt=urn:sha1:YNCKHTQCWBTRNJIV4WNAE52SJUQCZO5C", errc::unsupported_xt, "xt", 11);
  expect_error("magnet:?dn=x&xt.1=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1&xt.2=urn:tree:tiger:X", errc::unsupported_xt,
               "xt.1", 18);
  expect_error("magnet:?xt=", errc::unsupported_xt, "xt");
  expect_error("magnet:?xt", errc::unsupported_xt, "xt");
  expect_error("magnet:?xt=urn:btih", errc::unsupported_xt, "xt");
}

TEST(MagnetParseError, BadBtihLength) {
  expect_error(btih(k_hex.substr(1)), errc::bad_btih_length, "xt", 20);
  expect_error(btih(std::string(k_hex) + "0"), errc::bad_btih_length, "xt", 20);
  expect_error(btih(""), errc::bad_btih_length, "xt", 20);
  expect_error(btih("CIMXSNCVGY2DONBYHEYTAMJUGAZTIMZ"), errc::bad_btih_length, "xt", 20);   // 31
  expect_error(btih("CIMXSNCVGY2DONBYHEYTAMJUGAZTIMZR="), errc::bad_btih_length, "xt", 20);  // padded
}

TEST(MagnetParseError, BadHex) {
  std::string h(k_hex);
  h[5] = 'g';
  expect_error(btih(h), errc::bad_hex, "xt", 20 + 5);
  expect_error(btih(std::string(39, '0') + " "), errc::bad_hex, "xt", 20 + 39);
  std::string h256(k_hex256);
  h256[63] = 'x';
  expect_error("magnet:?xt=urn:btmh:1220" + h256, errc::bad_hex, "xt", 24 + 63);
  // '+' decodes to a space: the value changed, so the offset is the start of the value.
  expect_error(btih(std::string(39, '0') + "+"), errc::bad_hex, "xt", 11);
}

TEST(MagnetParseError, BadBase32) {
  expect_error(btih("CIMXSNCVGY2DONBYHEYTAMJUGAZTIMZ1"), errc::bad_base32, "xt", 20 + 31);  // '1' is not base32
  expect_error(btih("0IMXSNCVGY2DONBYHEYTAMJUGAZTIMZR"), errc::bad_base32, "xt", 20);
  expect_error(btih("CIMXSNCVGY2DONBY8EYTAMJUGAZTIMZR"), errc::bad_base32, "xt", 36);
  // 32 hex digits are not a hash of any kind: read as base32 they contain 0, 1, 8, 9.
  expect_error(btih("0123456789abcdef0123456789abcdef"), errc::bad_base32, "xt", 20);
}

TEST(MagnetParseError, BadMultihash) {
  expect_error("magnet:?xt=urn:btmh:1114" + std::string(k_hex), errc::bad_multihash, "xt", 20);  // SHA-1 multihash
  expect_error("magnet:?xt=urn:btmh:1220" + std::string(k_hex256.substr(2)), errc::bad_multihash, "xt", 20);
  expect_error("magnet:?xt=urn:btmh:1220" + std::string(k_hex256) + "00", errc::bad_multihash, "xt", 20);
  expect_error("magnet:?xt=urn:btmh:" + std::string(k_hex256), errc::bad_multihash, "xt", 20);
  expect_error("magnet:?xt=urn:btmh:1320" + std::string(k_hex256), errc::bad_multihash, "xt", 20);  // SHA-512 code
  expect_error("magnet:?xt=urn:btmh:", errc::bad_multihash, "xt", 20);
}

TEST(MagnetParseError, ConflictingHashes) {
  const auto base = btih();
  expect_error(base + "&xt.2=urn:btih:" + std::string(k_hex2), errc::conflicting_btih, "xt.2", base.size() + 6);
  const std::string v2a = "xt=urn:btmh:1220" + std::string(k_hex256);
  std::string other(k_hex256);
  other[0] = 'f';
  expect_error("magnet:?" + v2a + "&xt=urn:btmh:1220" + other, errc::conflicting_btmh, "xt");
  // A hybrid link with a different second v1 hash is still a conflict.
  expect_error(base + "&" + v2a + "&xt=urn:btih:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", errc::conflicting_btih, "xt");
}

TEST(MagnetParseError, BadPeerAddress) {
  const auto base = btih() + "&x.pe=";
  for (const char* bad : {":80", "[::1:80", "[zz::1]:80", "::1:80", "1.2.3:80", "256.1.1.1:80", "1.2.3.4.5:80",
                          "01.2.3.4:80", "-bad.example:80", "bad-.example:80", "exa%20mple:80", "a..b:80", ".a:80",
                          "[]:80", "[1:2:3:4:5:6:7:8:9]:80", "[1::2::3]:80", "[1:2:3:4:5:6:7::8]:80",
                          "[::1%25eth0]:80", "[12345::]:80", "[1:]:80", "host/x:80"}) {
    SCOPED_TRACE(bad);
    expect_error(base + bad, errc::bad_peer_address, "x.pe");
  }
  expect_error(base + "1.2.3:80", errc::bad_peer_address, "x.pe", base.size());
  expect_error(base + "[zz::1]:80", errc::bad_peer_address, "x.pe", base.size() + 1);
  std::string long_label(64, 'a');
  expect_error(base + long_label + ".example:80", errc::bad_peer_address, "x.pe");
}

TEST(MagnetParseError, BadPeerPort) {
  const auto base = btih() + "&x.pe=";
  for (const char* bad : {"1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:99999999", "1.2.3.4:-1",
                          "1.2.3.4:+80", "1.2.3.4:8o", "[::1]", "[::1]80", "[::1]:", "host.example", ""}) {
    SCOPED_TRACE(bad);
    expect_error(base + bad, errc::bad_peer_port, "x.pe");
  }
  expect_error(base + "1.2.3.4:0", errc::bad_peer_port, "x.pe", base.size() + 8);
  expect_error(base + "[::1]80", errc::bad_peer_port, "x.pe", base.size() + 5);
  EXPECT_TRUE(parse(base + "1.2.3.4:65535"));
}

TEST(MagnetParseError, BadSelectOnly) {
  const auto base = btih() + "&so=";
  for (const char* bad : {"a", "1-", "-1", "1-2-3", "1 2", "1;2", "1,x", "0x10", "1--2", "+1", "-"}) {
    SCOPED_TRACE(bad);
    expect_error(base + bad, errc::bad_select_only, "so");
  }
  expect_error(base + "0,2,x", errc::bad_select_only, "so", base.size() + 4);
  expect_error(btih() + "&so.1=1-", errc::bad_select_only, "so.1");
}

TEST(MagnetParseError, ReversedRange) {
  const auto base = btih() + "&so=";
  expect_error(base + "6-4", errc::reversed_range, "so", base.size());
  expect_error(base + "0,2,10-9", errc::reversed_range, "so", base.size() + 4);
}

TEST(MagnetParseError, SelectOnlyTooLarge) {
  const auto base = btih() + "&so=";
  expect_error(base + "1000000", errc::select_only_too_large, "so", base.size());
  expect_error(base + "1,0-1000000", errc::select_only_too_large, "so", base.size() + 2);
  expect_error(base + "99999999999999999999999999", errc::select_only_too_large, "so");
  std::string many = base;
  for (std::size_t i = 0; i <= max_select_entries; ++i) many += "1,";
  expect_error(many, errc::select_only_too_large, "so", base.size() + 2 * max_select_entries);
  // The entry count spans all so parameters of one link.
  std::string split = btih();
  for (std::size_t i = 0; i <= max_select_entries; ++i) split += "&so=1";
  expect_error(split, errc::select_only_too_large, "so");
}

TEST(MagnetParseError, FirstErrorInTheLinkWins) {
  const auto r = parse("magnet:?so=9-1&xt=urn:btih:zz");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::reversed_range));
}

TEST(MagnetParseError, MessageSaysWhatAndWhere) {
  const auto r = parse(btih() + "&so=4-2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "magnet: select-only range ends before it starts at byte 64 (so)");
  // Every errc has its own message.
  for (int e = static_cast<int>(errc::not_magnet); e <= static_cast<int>(errc::select_only_too_large); ++e) {
    const auto msg = category().message(e);
    EXPECT_NE(msg, "unknown magnet error") << e;
    for (int f = static_cast<int>(errc::not_magnet); f < e; ++f) EXPECT_NE(msg, category().message(f));
  }
  EXPECT_STREQ(category().name(), "magnet");
}

}  // namespace
}  // namespace ccbt::magnet
