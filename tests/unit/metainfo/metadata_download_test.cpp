// metadata_download: BEP 9 metadata assembled from several peers, verified, parsed; rejects,
// timeouts, liars.
#include <gtest/gtest.h>

#include <string>

#include "crypto/sha.hpp"
#include "metainfo/metadata_download.hpp"

namespace ccbt::metainfo {
namespace {

// A valid single-file info dictionary of about `padding` + 100 bytes (an unknown key pads it).
std::string make_info(std::size_t padding) {
  return "d6:lengthi5e4:name5:a.txt12:piece lengthi16384e6:pieces20:" + std::string(20, 'h') + "7:x-extra" +
         std::to_string(padding) + ":" + std::string(padding, 'p') + "e";
}

info_hash v1_of(const std::string& info) {
  info_hash h;
  h.v1 = crypto::sha1_digest(info);
  return h;
}

std::string_view piece_of(const std::string& s, std::uint32_t i) {
  return std::string_view(s).substr(std::size_t{i} * 16384, 16384);
}

using dr = metadata_download::data_result;

TEST(MetadataDownload, ParallelFromTwoPeersVerifiesAndParses) {
  const auto info = make_info(40000);  // 3 pieces
  metadata_download md(v1_of(info), {});
  ASSERT_TRUE(md.add_peer(1, info.size()));
  ASSERT_TRUE(md.add_peer(2, info.size()));
  EXPECT_EQ(md.num_pieces(), 3U);
  const auto a = md.next_request(1, 0);
  const auto b = md.next_request(2, 0);
  const auto c = md.next_request(2, 0);
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(*a, *b);
  EXPECT_NE(*b, *c);
  EXPECT_FALSE(md.next_request(1, 0));  // nothing left to hand out
  EXPECT_EQ(md.on_data(1, *a, piece_of(info, *a)), dr::accepted);
  EXPECT_EQ(md.on_data(1, *b, piece_of(info, *b)), dr::ignored);  // not asked from peer 1
  EXPECT_EQ(md.on_data(2, *b, piece_of(info, *b)), dr::accepted);
  EXPECT_EQ(md.on_data(2, *c, piece_of(info, *c)), dr::complete);
  EXPECT_TRUE(md.done());
  EXPECT_EQ(md.contributions().at(1), 1U);
  EXPECT_EQ(md.contributions().at(2), 2U);
  auto ti = md.take();
  ASSERT_TRUE(ti);
  EXPECT_EQ(ti->name(), "a.txt");
  EXPECT_EQ(ti->info_bytes(), info);
  EXPECT_FALSE(md.take());
}

TEST(MetadataDownload, SizeIsBounded) {
  metadata_download::config c;
  c.max_size = 1000;
  metadata_download md(v1_of("x"), c);
  EXPECT_FALSE(md.add_peer(1, 1001));
  EXPECT_FALSE(md.add_peer(1, 0));
  EXPECT_FALSE(md.size());
  EXPECT_TRUE(md.add_peer(1, 1000));
  EXPECT_EQ(md.size(), 1000U);
}

TEST(MetadataDownload, RejectReassignsToAnotherPeerAndBacksOff) {
  const auto info = make_info(100);
  metadata_download md(v1_of(info), {});
  ASSERT_TRUE(md.add_peer(1, info.size()));
  ASSERT_TRUE(md.add_peer(2, info.size()));
  ASSERT_EQ(md.next_request(1, 0), 0U);
  EXPECT_FALSE(md.next_request(2, 0));
  md.on_reject(1, 0, 0);
  EXPECT_FALSE(md.next_request(1, 10));  // backing off
  ASSERT_EQ(md.next_request(2, 10), 0U);
  EXPECT_EQ(md.on_data(2, 0, info), dr::complete);
}

TEST(MetadataDownload, TimeoutReassigns) {
  const auto info = make_info(100);
  metadata_download::config c;
  c.request_timeout_ms = 1000;
  metadata_download md(v1_of(info), c);
  ASSERT_TRUE(md.add_peer(1, info.size()));
  ASSERT_TRUE(md.add_peer(2, info.size()));
  ASSERT_EQ(md.next_request(1, 0), 0U);
  EXPECT_TRUE(md.tick(999).empty());
  EXPECT_EQ(md.tick(1000), std::vector<metadata_download::peer_id>{1});
  ASSERT_EQ(md.next_request(2, 1000), 0U);
  EXPECT_EQ(md.on_data(1, 0, info), dr::ignored);  // late answer from the slow peer
  EXPECT_EQ(md.on_data(2, 0, info), dr::complete);
}

TEST(MetadataDownload, DisconnectReturnsPieces) {
  const auto info = make_info(100);
  metadata_download md(v1_of(info), {});
  ASSERT_TRUE(md.add_peer(1, info.size()));
  ASSERT_TRUE(md.add_peer(2, info.size()));
  ASSERT_EQ(md.next_request(1, 0), 0U);
  md.remove_peer(1);
  ASSERT_EQ(md.next_request(2, 0), 0U);
  EXPECT_EQ(md.on_data(2, 0, info), dr::complete);
}

TEST(MetadataDownload, SingleLiarIsDistrusted) {
  const auto info = make_info(100);
  std::string bad = info;
  bad[bad.size() - 2] = 'q';
  metadata_download md(v1_of(info), {});
  ASSERT_TRUE(md.add_peer(1, info.size()));
  ASSERT_EQ(md.next_request(1, 0), 0U);
  EXPECT_EQ(md.on_data(1, 0, bad), dr::hash_failed);
  EXPECT_TRUE(md.is_distrusted(1));
  EXPECT_EQ(md.take_newly_distrusted(), std::vector<metadata_download::peer_id>{1});
  EXPECT_FALSE(md.next_request(1, 0));
  EXPECT_TRUE(md.add_peer(1, info.size()));  // reconnecting does not help it
  EXPECT_FALSE(md.next_request(1, 0));
  ASSERT_TRUE(md.add_peer(2, info.size()));
  ASSERT_EQ(md.next_request(2, 0), 0U);
  EXPECT_EQ(md.on_data(2, 0, info), dr::complete);
  EXPECT_EQ(md.hash_failures(), 1U);
}

TEST(MetadataDownload, LiarAmongSeveralIsFoundWithSingleSourceRounds) {
  const auto info = make_info(40000);  // 3 pieces
  std::string bad = info;
  for (auto& ch : bad) ch = ch == 'p' ? 'P' : ch;
  metadata_download md(v1_of(info), {});
  ASSERT_TRUE(md.add_peer(1, info.size()));  // liar
  ASSERT_TRUE(md.add_peer(2, info.size()));
  // Round 1: mixed.
  const auto a = *md.next_request(1, 0);
  const auto b = *md.next_request(2, 0);
  const auto c = *md.next_request(1, 0);
  EXPECT_EQ(md.on_data(1, a, piece_of(bad, a)), dr::accepted);
  EXPECT_EQ(md.on_data(2, b, piece_of(info, b)), dr::accepted);
  EXPECT_EQ(md.on_data(1, c, piece_of(bad, c)), dr::hash_failed);
  EXPECT_FALSE(md.is_distrusted(1));  // ambiguous: not yet known who lied
  EXPECT_FALSE(md.is_distrusted(2));
  // Round 2: the liar alone.
  for (int round = 0; round < 2 && !md.done(); ++round) {
    for (std::uint32_t n = 0; n < 3;) {
      bool progressed = false;
      for (metadata_download::peer_id p : {metadata_download::peer_id{1}, metadata_download::peer_id{2}}) {
        if (auto i = md.next_request(p, 0)) {
          EXPECT_EQ(md.next_request(p == 1 ? 2 : 1, 0), std::nullopt) << "one peer per round";
          const auto r = md.on_data(p, *i, piece_of(p == 1 ? bad : info, *i));
          ++n;
          progressed = true;
          if (r == dr::hash_failed) {
            EXPECT_TRUE(md.is_distrusted(p));
            n = 3;
          }
        }
      }
      if (!progressed) break;
    }
  }
  EXPECT_TRUE(md.done());
  EXPECT_TRUE(md.is_distrusted(1) || md.hash_failures() == 1);
  EXPECT_FALSE(md.is_distrusted(2));
}

TEST(MetadataDownload, WrongSizeFromLiarThenHonestSize) {
  const auto info = make_info(100);
  metadata_download md(v1_of(info), {});
  ASSERT_TRUE(md.add_peer(1, 50));  // liar's size comes first
  ASSERT_TRUE(md.add_peer(2, info.size()));
  EXPECT_FALSE(md.next_request(2, 0));  // other size: idle
  ASSERT_EQ(md.next_request(1, 0), 0U);
  EXPECT_EQ(md.on_data(1, 0, std::string(50, 'z')), dr::hash_failed);
  EXPECT_EQ(md.size(), info.size());
  ASSERT_EQ(md.next_request(2, 0), 0U);
  EXPECT_EQ(md.on_data(2, 0, info), dr::complete);
}

TEST(MetadataDownload, VerifiesV2HashToo) {
  const auto info = make_info(100);
  info_hash h = v1_of(info);
  h.v2 = crypto::sha256_digest(info + "x");  // a v2 hash that does not match
  metadata_download md(h, {});
  ASSERT_TRUE(md.add_peer(1, info.size()));
  ASSERT_EQ(md.next_request(1, 0), 0U);
  EXPECT_EQ(md.on_data(1, 0, info), dr::hash_failed);
}

TEST(MetadataDownload, MatchingHashButInvalidInfoIsFinal) {
  const std::string info = "d4:name1:ae";  // no piece length, no files
  metadata_download md(v1_of(info), {});
  ASSERT_TRUE(md.add_peer(1, info.size()));
  ASSERT_EQ(md.next_request(1, 0), 0U);
  EXPECT_EQ(md.on_data(1, 0, info), dr::parse_failed);
  ASSERT_TRUE(md.error());
  EXPECT_FALSE(md.next_request(1, 0));
}

}  // namespace
}  // namespace ccbt::metainfo
