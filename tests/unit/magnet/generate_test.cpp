// magnet::to_string, normalize and selects; parse(to_string(x)) == x.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include <ccbt/magnet.hpp>

namespace ccbt::magnet {
namespace {

sha1_hash sha1(std::string_view hex) { return *sha1_hash::from_hex(hex); }
sha256_hash sha256(std::string_view hex) { return *sha256_hash::from_hex(hex); }

magnet_link full_link() {
  magnet_link m;
  m.hashes.v1 = sha1("0123456789abcdef0123456789abcdef01234567");
  m.hashes.v2 = sha256("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  m.name = "a b+c&d=e%f#g/h~*()!.-_\xc3\xa9";
  m.trackers = {"http://t.example/announce?k=1&x=2", "udp://u.example:80"};
  m.web_seeds = {"http://w.example/files/"};
  m.peers = {{"10.0.0.1", 6881}, {"2001:db8::1", 51413}, {"peer.example.org", 1}};
  m.select_only = {{0, 0}, {2, 2}, {4, 6}};
  m.extra = {"xl=1024", "dht=router.example:6881"};
  return m;
}

TEST(MagnetGenerate, FullLinkText) {
  EXPECT_EQ(to_string(full_link()),
            "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"
            "&xt=urn:btmh:1220000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
            "&dn=a%20b%2bc%26d%3de%25f%23g%2fh~*()!.-_%c3%a9"
            "&tr=http%3a%2f%2ft.example%2fannounce%3fk%3d1%26x%3d2&tr=udp%3a%2f%2fu.example%3a80"
            "&ws=http%3a%2f%2fw.example%2ffiles%2f"
            "&x.pe=10.0.0.1:6881&x.pe=[2001:db8::1]:51413&x.pe=peer.example.org:1"
            "&so=0,2,4-6"
            "&xl=1024&dht=router.example:6881");
}

TEST(MagnetGenerate, OnlyWhatIsSet) {
  magnet_link v1;
  v1.hashes.v1 = sha1("0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(to_string(v1), "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567");
  magnet_link v2;
  v2.hashes.v2 = sha256("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_EQ(to_string(v2), "magnet:?xt=urn:btmh:1220000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  // No hash, no magnet link.
  magnet_link none;
  none.name = "x";
  EXPECT_EQ(to_string(none), "");
}

TEST(MagnetGenerate, RoundTrip) {
  const auto m = full_link();
  const auto back = parse(to_string(m));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, m);
}

TEST(MagnetGenerate, SelectOnlyIsWrittenNormalized) {
  magnet_link m;
  m.hashes.v1 = sha1_hash{};
  m.select_only = {{9, 9}, {4, 6}, {5, 7}, {0, 1}, {2, 2}, {12, 10}};
  EXPECT_EQ(to_string(m), "magnet:?xt=urn:btih:0000000000000000000000000000000000000000&so=0-2,4-7,9");
}

TEST(MagnetGenerate, ExtraCannotSplitTheLink) {
  magnet_link m;
  m.hashes.v1 = sha1_hash{};
  m.extra = {"k=a&xt=urn:btih:ffffffffffffffffffffffffffffffffffffffff", ""};
  const auto s = to_string(m);
  EXPECT_EQ(s, "magnet:?xt=urn:btih:0000000000000000000000000000000000000000&k=a%26xt=urn:btih:"
               "ffffffffffffffffffffffffffffffffffffffff");
  const auto back = parse(s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->hashes.v1, sha1_hash{});
  EXPECT_EQ(back->extra.size(), 1u);
}

TEST(MagnetNormalize, SortsMergesAndDropsEmpty) {
  EXPECT_EQ(normalize({}), std::vector<file_range>{});
  EXPECT_EQ(normalize({{5, 5}, {3, 4}, {7, 8}, {8, 8}, {20, 10}}), (std::vector<file_range>{{3, 5}, {7, 8}}));
  EXPECT_EQ(normalize({{0, 10}, {2, 3}, {11, 11}}), (std::vector<file_range>{{0, 11}}));
  EXPECT_EQ(normalize({{0, UINT32_MAX}, {UINT32_MAX, UINT32_MAX}, {5, 6}}), (std::vector<file_range>{{0, UINT32_MAX}}));
  EXPECT_EQ(normalize({{1, 1}, {3, 3}}), (std::vector<file_range>{{1, 1}, {3, 3}}));
}

TEST(MagnetSelects, EmptyMeansAll) {
  magnet_link m;
  EXPECT_TRUE(selects(m, 0));
  EXPECT_TRUE(selects(m, 123456789));
}

TEST(MagnetSelects, Ranges) {
  const auto r = parse("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&so=0,2,4-6,100");
  ASSERT_TRUE(r);
  std::vector<std::size_t> selected;
  for (std::size_t i = 0; i < 200; ++i)
    if (selects(*r, i)) selected.push_back(i);
  EXPECT_EQ(selected, (std::vector<std::size_t>{0, 2, 4, 5, 6, 100}));
  EXPECT_FALSE(selects(*r, std::size_t{UINT32_MAX} + 1));
}

// Property: any link that satisfies parse()'s invariants survives to_string and back, whatever
// bytes its strings hold.
TEST(MagnetGenerate, RandomRoundTrips) {
  std::mt19937 rng(20240601);
  auto byte = [&] { return static_cast<char>(rng() & 0xff); };
  auto any_string = [&](std::size_t max_len) {
    std::string s(1 + rng() % max_len, '\0');
    for (auto& c : s) c = byte();
    return s;
  };
  const char* hosts[] = {"1.2.3.4", "::1", "fe80::1:2", "a.example", "x-y_z", "::ffff:10.0.0.1"};
  for (int round = 0; round < 500; ++round) {
    magnet_link m;
    if (rng() % 3 != 0) {
      sha1_hash h;
      for (auto& b : h.bytes) b = static_cast<std::uint8_t>(rng());
      m.hashes.v1 = h;
    }
    if (!m.hashes.v1 || rng() % 2 == 0) {
      sha256_hash h;
      for (auto& b : h.bytes) b = static_cast<std::uint8_t>(rng());
      m.hashes.v2 = h;
    }
    if (rng() % 2) m.name = any_string(40);
    for (auto n = rng() % 4; n > 0; --n) {
      auto t = any_string(30);
      if (std::find(m.trackers.begin(), m.trackers.end(), t) == m.trackers.end()) m.trackers.push_back(t);
    }
    for (auto n = rng() % 3; n > 0; --n) {
      auto w = any_string(30);
      if (std::find(m.web_seeds.begin(), m.web_seeds.end(), w) == m.web_seeds.end()) m.web_seeds.push_back(w);
    }
    for (auto n = rng() % 3; n > 0; --n) {
      peer_endpoint p{hosts[rng() % std::size(hosts)], static_cast<std::uint16_t>(1 + rng() % 65535)};
      if (std::find(m.peers.begin(), m.peers.end(), p) == m.peers.end()) m.peers.push_back(p);
    }
    std::vector<file_range> so;
    for (auto n = rng() % 5; n > 0; --n) {
      const auto a = static_cast<std::uint32_t>(rng() % 50);
      so.push_back({a, a + static_cast<std::uint32_t>(rng() % 4)});
    }
    m.select_only = normalize(so);
    const auto text = to_string(m);
    const auto back = parse(text);
    ASSERT_TRUE(back) << text << " -> " << back.error().message();
    EXPECT_EQ(*back, m) << text;
    EXPECT_EQ(to_string(*back), text);
  }
}

}  // namespace
}  // namespace ccbt::magnet
