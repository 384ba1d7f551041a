// The BEP 52 vectors (shared/spec/bep52_vectors.txt, also xet_vectors.md section 5c): single files
// a.bin (hybrid), b.bin and c.bin (v2) must give exactly the vector's info dict bytes, info-hashes
// and piece layers. The vectors' torrents announce to http://example.com/announce (outside the
// info dict, so it does not change the hashes).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <ccbt/bencode.hpp>
#include <ccbt/create_torrent.hpp>

#include "test_util.hpp"

namespace ccbt::creator {
namespace {

using test_util::from_hex;
using test_util::make_data;
using test_util::temp_dir;
using test_util::write_file;

struct vector_case {
  std::string name;
  std::string data;
  std::uint64_t piece_length;
  torrent_kind kind;
  std::string info_hex;
  std::string v1_hex;  // empty for v2-only
  std::string v2_hex;
  std::string root_hex;
  std::vector<std::string> layer_hex;  // empty: no piece layer
};

std::vector<vector_case> cases() {
  return {
      {"a.bin", make_data(100000, [](std::size_t i) { return static_cast<std::uint8_t>((7 * i + 3) % 251); }), 32768,
       torrent_kind::hybrid,
      "64393a66696c65207472656564353a612e62696e64303a64363a6c656e677468693130303030306531313a7069656365"
      "7320726f6f7433323a43ae2698d3c75be7703641a82c823d1b513b5e7315bfcc2e5ac089dc16476c63656565363a6c65"
      "6e677468693130303030306531323a6d6574612076657273696f6e693265343a6e616d65353a612e62696e31323a7069"
      "656365206c656e67746869333237363865363a70696563657338303a9e0856c18fc0cc3d2d47135b706bcf3c6878b13c"
      "9e4ded75d0f4c292c0e39147cdd41dc34e3d7816388e708987069e9bc3e95184420c51bca4d1b6bcd8d45d95efc093e5"
      "0df33bf702eeca7318dfc65465",
       "dd5fbe33175534ffc95f88d651e4307cc8a44561",
       "3ebc28945942a52d8c1cf82cebda78b099865b4dc2be39c6a3fcf9b19b9dc763",
       "43ae2698d3c75be7703641a82c823d1b513b5e7315bfcc2e5ac089dc16476c63",
       {"6b7702ec93fd7bde4fccf7123b679a0703843fe9d838e7bc9ac4eee2c26e3923",
        "aa998194bca61ba064c9766803e08a07ae1db27d8dec9a3026c5fb683276a939",
        "6f77e2f5925abe4641778276baea83c1725a7e63cd8801cf5f4db591b89a7a59",
        "a5f9cb0a2b3cc30d16c988462f08ade440f0ccddef89fcfafc40bacbd00f2047"}},
      {"b.bin", make_data(40000, [](std::size_t i) { return static_cast<std::uint8_t>((13 * i + 1) % 256); }), 65536,
       torrent_kind::v2,
      "64393a66696c65207472656564353a622e62696e64303a64363a6c656e6774686934303030306531313a706965636573"
      "20726f6f7433323aadc77e69fdb4c53b2924d779d3e4a7f7abc8c4d5699807b12d28e410aefade6165656531323a6d65"
      "74612076657273696f6e693265343a6e616d65353a622e62696e31323a7069656365206c656e67746869363535333665"
      "65",
       "",
       "5b87ce87100badbcf6235f82f76feaf0778903c893f47cc4310ff208e6727622",
       "adc77e69fdb4c53b2924d779d3e4a7f7abc8c4d5699807b12d28e410aefade61",
       {}},
      {"c.bin",
       make_data(140000,
                 [](std::size_t i) {
                   const std::uint64_t x = i;
                   return static_cast<std::uint8_t>(((x * x) >> 7 ^ (x >> 9)) & 0xff);
                 }),
       32768, torrent_kind::v2,
      "64393a66696c65207472656564353a632e62696e64303a64363a6c656e677468693134303030306531313a7069656365"
      "7320726f6f7433323aa85445f6019f01d947b059c1af046a19f57734acc6989c0545a373592672785265656531323a6d"
      "6574612076657273696f6e693265343a6e616d65353a632e62696e31323a7069656365206c656e677468693332373638"
      "6565",
       "",
       "8efde1eaf3012e61b579b99128eb81e648cb0bd45bcc00e3db15f7ca8cdbf4e7",
       "a85445f6019f01d947b059c1af046a19f57734acc6989c0545a3735926727852",
       {"8d7e009f488c2f5f66fb51975ec34c5794342c11dee0f22f81c72c69a754f7e0",
        "66d06e67d6301f9cf97a77a318e900c4e09780df465968f975dcf0e6dbef49f1",
        "082e572acef0e4e579b5df3a1e8031e9466d251e9c19fb7191833772ca19b8a7",
        "70486cf9927645de8a48a0eabd909d2d4790aa3d95cb551d7e8490a8e542dc1a",
        "14252be34251413749b47a7298f01e4aa5f742130c024b018edcc0aa1163f99b"}},
  };
}

TEST(CreatorBep52, VectorsGiveExactInfoDictHashesAndLayers) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    temp_dir dir;
    const auto path = dir.path() / c.name;
    write_file(path, c.data);
    ::chmod(path.c_str(), 0644);  // no attr "x"

    create_options o;
    o.kind = c.kind;
    o.piece_length = c.piece_length;
    o.trackers = {{"http://example.com/announce"}};
    o.created_by.clear();
    for (unsigned threads : {1u, 3u}) {
      o.threads = threads;
      auto r = create(path, o);
      ASSERT_TRUE(r) << r.error().message();
      EXPECT_EQ(to_hex(r->info_dict), c.info_hex);
      EXPECT_EQ(r->hashes.has_v1(), !c.v1_hex.empty());
      if (!c.v1_hex.empty()) {
        EXPECT_EQ(r->hashes.v1->to_hex(), c.v1_hex);
      }
      ASSERT_TRUE(r->hashes.v2);
      EXPECT_EQ(r->hashes.v2->to_hex(), c.v2_hex);
      EXPECT_EQ(r->name, c.name);

      auto doc = bencode::decode(r->data);
      ASSERT_TRUE(doc) << doc.error().message();
      const auto root = doc->root();
      EXPECT_EQ(root.find_string("announce").value_or(""), "http://example.com/announce");
      EXPECT_FALSE(root.find("announce-list"));
      EXPECT_FALSE(root.find("creation date"));
      EXPECT_FALSE(root.find("created by"));
      ASSERT_TRUE(root.find("info"));
      EXPECT_EQ(root.find("info")->raw(), r->info_dict);
      const auto layers = root.find_dict("piece layers");
      ASSERT_TRUE(layers);
      if (c.layer_hex.empty()) {
        EXPECT_EQ(layers->size(), 0u);
      } else {
        ASSERT_EQ(layers->size(), 1u);
        std::string expected;
        for (const auto& h : c.layer_hex) expected += from_hex(h);
        EXPECT_EQ(layers->find_string(from_hex(c.root_hex)).value_or(""), expected);
      }
    }
  }
}

}  // namespace
}  // namespace ccbt::creator
