// Choosing the connections to close when a connection limit is lowered: the least useful first,
// never more than asked.
#include <gtest/gtest.h>

#include "session/connection_trim.hpp"

namespace ccbt::session_detail {
namespace {

trim_candidate peer(bool unchokes_us, std::int64_t down, std::int64_t up = 0, std::int64_t age_ms = 10'000) {
  trim_candidate c;
  c.unchokes_us = unchokes_us;
  c.download_rate = down;
  c.upload_rate = up;
  c.connected_for_ms = age_ms;
  return c;
}

TEST(ConnectionTrim, ClosesChokingAndSlowPeersFirst) {
  const std::vector<trim_candidate> c = {peer(true, 900'000), peer(false, 0), peer(true, 10'000), peer(true, 500'000)};
  EXPECT_EQ(least_useful(c, 1), (std::vector<std::size_t>{1}));
  EXPECT_EQ(least_useful(c, 2), (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(least_useful(c, 3), (std::vector<std::size_t>{1, 2, 3}));
}

TEST(ConnectionTrim, AChokingPeerGoesBeforeAnUnchokingOneEvenIfFaster) {
  // Its past rate does not help now: it gives us nothing while it chokes us.
  const std::vector<trim_candidate> c = {peer(true, 1'000), peer(false, 800'000)};
  EXPECT_EQ(least_useful(c, 1), (std::vector<std::size_t>{1}));
}

TEST(ConnectionTrim, HandshakingFirstThenUploadRateThenNewest) {
  trim_candidate hs = peer(true, 0);
  hs.handshake_done = false;
  // Seeding: nobody sends us data; the one we upload least to goes first, then the newest.
  const std::vector<trim_candidate> c = {peer(false, 0, 50'000), peer(false, 0, 0, 9'000), hs, peer(false, 0, 0, 1'000)};
  EXPECT_EQ(least_useful(c, 4), (std::vector<std::size_t>{2, 3, 1, 0}));
}

TEST(ConnectionTrim, NeverMoreThanAskedNorMoreThanThere) {
  const std::vector<trim_candidate> c = {peer(true, 1), peer(true, 2)};
  EXPECT_TRUE(least_useful(c, 0).empty());
  EXPECT_EQ(least_useful(c, 5).size(), 2u);
  EXPECT_TRUE(least_useful({}, 3).empty());
}

}  // namespace
}  // namespace ccbt::session_detail
