// Magnet links produced and parsed by libtorrent-rasterbar 2.0.8 (Debian python3-libtorrent), checked
// against ccbt without running libtorrent at test time.
//
// How the vectors were made (Debian 12, /usr/bin/python3, `import libtorrent as lt`):
//   a = lt.add_torrent_params()
//   a.info_hashes = lt.info_hash_t(lt.sha1_hash(hashlib.sha1(b"ccbt-1").digest()))        # v1
//                   lt.info_hash_t(lt.sha256_hash(hashlib.sha256(b"ccbt-2").digest()))    # v2
//                   lt.info_hash_t(lt.sha1_hash(...b"ccbt-3"), lt.sha256_hash(...b"ccbt-3"))  # hybrid
//   a.name, a.trackers, a.url_seeds, a.peers, a.file_priorities = ...   (the values below)
//   uri = lt.make_magnet_uri(a)
// "created-hybrid" is lt.make_magnet_uri(lt.torrent_info(ct.generate())) for a hybrid torrent that
// lt.create_torrent made of content/hello.txt (18,000 bytes, 16 KiB pieces), with a tracker and a
// web seed. "hand" is a hand-written link (base32 btih, numbered parameters, '+' in dn, a repeated
// tracker, upper-case btmh digest) given to lt.parse_magnet_uri. The expected fields are what lt.parse_magnet_uri(uri)
// returned (peers as (address, port), file_priorities [4,0,4,0,4,4,4] = so 0,2,4-6).
//
// `ccbt_uri` is ccbt's to_string() of the parsed link. For the links libtorrent generated it is the
// very same string (ccbt writes what make_magnet_uri writes); for "hand" it was fed back to
// lt.parse_magnet_uri, which returned the same info-hashes, name, trackers, peers and priorities.
// Known, deliberate difference: libtorrent keeps a repeated tracker twice, ccbt once.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <ccbt/magnet.hpp>

namespace ccbt::magnet {
namespace {

struct lt_vector {
  const char* label;
  const char* uri;
  const char* v1;  // nullptr: none
  const char* v2;
  std::string name;
  std::vector<std::string> trackers;
  std::vector<std::string> web_seeds;
  std::vector<peer_endpoint> peers;
  std::vector<file_range> select_only;
  const char* ccbt_uri;  // nullptr: same as uri
};

const std::vector<lt_vector>& vectors() {
  static const std::vector<lt_vector> v = {
      {"v1",
       "magnet:?xt=urn:btih:9be30645b0ac0e076f814f90cc53d5944893de00&dn=Ubuntu%2022.04%20Desktop%20(amd64).iso"
       "&tr=http%3a%2f%2ftracker.example.org%3a6969%2fannounce%3fkey%3da%20b%26x%3d1"
       "&tr=udp%3a%2f%2fopen.example.net%3a1337%2fannounce",
       "9be30645b0ac0e076f814f90cc53d5944893de00",
       nullptr,
       "Ubuntu 22.04 Desktop (amd64).iso",
       {"http://tracker.example.org:6969/announce?key=a b&x=1", "udp://open.example.net:1337/announce"},
       {},
       {},
       {},
       nullptr},
      {"v2",
       "magnet:?xt=urn:btmh:1220f578365d4431c3e2ac429d8fae854326064a43b6f022d4711ecd4e223723badd"
       "&dn=%c3%9cn%c3%afc%c3%b6d%c3%a9%20%d1%84%d0%b0%d0%b9%d0%bb.txt&tr=https%3a%2f%2ft.example%2fann",
       nullptr,
       "f578365d4431c3e2ac429d8fae854326064a43b6f022d4711ecd4e223723badd",
       "\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb.txt",  // "Ünïcödé файл.txt"
       {"https://t.example/ann"},
       {},
       {},
       {},
       nullptr},
      {"hybrid",
       "magnet:?xt=urn:btih:105e5f3ad43081acfaf7518e09de8d91117bf4e0"
       "&xt=urn:btmh:122040a37c07edc6354b728a316b8db3547eb89ae166f66f462ea92b6e46919aabb6"
       "&dn=a%2bb%26c%3dd%25e%23f%2fg&tr=http%3a%2f%2fa.example%2fannounce&tr=udp%3a%2f%2fb.example%3a80"
       "&ws=http%3a%2f%2fseed.example%2ffiles%2f&x.pe=10.0.0.1:6881&x.pe=[2001:db8::1]:51413&so=0,2,4-6",
       "105e5f3ad43081acfaf7518e09de8d91117bf4e0",
       "40a37c07edc6354b728a316b8db3547eb89ae166f66f462ea92b6e46919aabb6",
       "a+b&c=d%e#f/g",
       {"http://a.example/announce", "udp://b.example:80"},
       {"http://seed.example/files/"},
       {{"10.0.0.1", 6881}, {"2001:db8::1", 51413}},
       {{0, 0}, {2, 2}, {4, 6}},
       nullptr},
      {"v1-noname",
       "magnet:?xt=urn:btih:106a8c2ea7f022669cc3613dedf989d752febf75&tr=udp%3a%2f%2fx.example%3a6969",
       "106a8c2ea7f022669cc3613dedf989d752febf75",
       nullptr,
       "",
       {"udp://x.example:6969"},
       {},
       {},
       {},
       nullptr},
      {"created-hybrid",
       "magnet:?xt=urn:btih:d45f5e07b232b00b99cd86a924ac798d44d78ddd"
       "&xt=urn:btmh:12207209baf61692ea6b6ff50b57cbc30c963879cfa5ed09abb50d0f3714bfe66bd9"
       "&dn=content&tr=http%3a%2f%2f127.0.0.1%3a6969%2fannounce&ws=http%3a%2f%2f127.0.0.1%3a8080%2f",
       "d45f5e07b232b00b99cd86a924ac798d44d78ddd",
       "7209baf61692ea6b6ff50b57cbc30c963879cfa5ed09abb50d0f3714bfe66bd9",
       "content",
       {"http://127.0.0.1:6969/announce"},
       {"http://127.0.0.1:8080/"},
       {},
       {},
       nullptr},
      {"hand",
       "magnet:?xt.1=urn:btih:CIMXSNCVGY2DONBYHEYTAMJUGAZTIMZR&dn=My+Show+S01E01"
       "&tr.1=udp%3A%2F%2Ftracker.example%3A80&tr.2=udp%3A%2F%2Ftracker.example%3A80&tr.3=http://t2.example/a"
       "&xt.2=urn:btmh:1220ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"
       "&x.pe=192.168.1.2:6881&so=4-6,0,2",
       "1219793455363437343839313031343033343331",
       "abababababababababababababababababababababababababababababababab",
       "My Show S01E01",
       {"udp://tracker.example:80", "http://t2.example/a"},  // libtorrent: the first one twice
       {},
       {{"192.168.1.2", 6881}},
       {{0, 0}, {2, 2}, {4, 6}},
       "magnet:?xt=urn:btih:1219793455363437343839313031343033343331"
       "&xt=urn:btmh:1220abababababababababababababababababababababababababababababababab"
       "&dn=My%20Show%20S01E01&tr=udp%3a%2f%2ftracker.example%3a80&tr=http%3a%2f%2ft2.example%2fa"
       "&x.pe=192.168.1.2:6881&so=0,2,4-6"},
  };
  return v;
}

std::optional<sha1_hash> opt_sha1(const char* hex) {
  if (hex == nullptr) return std::nullopt;
  return sha1_hash::from_hex(hex);
}
std::optional<sha256_hash> opt_sha256(const char* hex) {
  if (hex == nullptr) return std::nullopt;
  return sha256_hash::from_hex(hex);
}

TEST(MagnetLibtorrent, ParsesWhatLibtorrentParses) {
  for (const auto& v : vectors()) {
    SCOPED_TRACE(v.label);
    const auto r = parse(v.uri);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->hashes.v1, opt_sha1(v.v1));
    EXPECT_EQ(r->hashes.v2, opt_sha256(v.v2));
    EXPECT_EQ(r->name, v.name);
    EXPECT_EQ(r->trackers, v.trackers);
    EXPECT_EQ(r->web_seeds, v.web_seeds);
    EXPECT_EQ(r->peers, v.peers);
    EXPECT_EQ(r->select_only, v.select_only);
    EXPECT_TRUE(r->extra.empty());
  }
}

TEST(MagnetLibtorrent, GeneratesWhatLibtorrentGenerates) {
  for (const auto& v : vectors()) {
    SCOPED_TRACE(v.label);
    const auto r = parse(v.uri);
    ASSERT_TRUE(r) << r.error().message();
    const std::string expected = v.ccbt_uri != nullptr ? v.ccbt_uri : v.uri;
    EXPECT_EQ(to_string(*r), expected);
    // And ccbt's own output parses back to the same link.
    const auto again = parse(expected);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *r);
  }
}

}  // namespace
}  // namespace ccbt::magnet
