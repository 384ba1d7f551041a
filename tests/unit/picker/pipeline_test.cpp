// request_pipeline sizing, file -> piece priorities, piece_set.
#include <gtest/gtest.h>

#include "picker/file_priorities.hpp"
#include "picker/request_pipeline.hpp"

namespace ccbt::picker {
namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

TEST(RequestPipeline, TargetFromRateTimesLatency) {
  request_pipeline q;  // 2 s, [16, min(reqq, 250)]
  EXPECT_EQ(q.target(0, false, 0), 16u);                  // floor
  EXPECT_EQ(q.target(256 * 1024, false, 0), 32u);         // 256 KiB/s * 2 s / 16 KiB
  EXPECT_EQ(q.target(256 * 1024 + 1, false, 0), 33u);     // rounded up
  EXPECT_EQ(q.target(100 * MiB, false, 0), 250u);         // ceiling
  EXPECT_EQ(q.target(100 * MiB, false, 500), 250u);       // reqq above the ceiling
  EXPECT_EQ(q.target(100 * MiB, false, 40), 40u);         // peer's reqq
  EXPECT_EQ(q.target(0, false, 8), 8u);                   // reqq below the floor wins
  EXPECT_EQ(q.target(0, true, 0), 1u);                    // snubbed floor
  EXPECT_EQ(q.target(~std::uint64_t{0}, false, 0), 250u);
  request_pipeline fast({.target_latency_s = 1.0, .min_depth = 16, .max_depth = 1000});
  EXPECT_EQ(fast.target(8 * MiB, false, 2000), 512u);
}

TEST(RequestPipeline, SlowStartGrowsPerBlockThenFollowsTheTarget) {
  request_pipeline q;
  const std::uint64_t rate = 1 * MiB;  // target 128
  EXPECT_EQ(q.depth(rate, false, 0), 4u);
  q.on_block_received(rate, 0);
  EXPECT_EQ(q.depth(rate, false, 0), 5u);
  // Doubling per round trip: one window's worth of blocks doubles the window.
  for (int rtt = 0; rtt < 10; ++rtt) {
    const auto w = q.window();
    for (std::uint32_t k = 0; k < w; ++k) q.on_block_received(rate, 0);
    if (q.window() < 128) {
      EXPECT_EQ(q.window(), 2 * w);
    }
  }
  EXPECT_EQ(q.depth(rate, false, 0), 128u);
  EXPECT_EQ(q.window(), 128u);
  // Snubbed: 1 whatever the window.
  EXPECT_EQ(q.depth(rate, true, 0), 1u);
  // The rate falls: depth follows at once, the window on the next block.
  EXPECT_EQ(q.depth(64 * 1024, false, 0), 16u);
  q.on_block_received(64 * 1024, 0);
  EXPECT_EQ(q.window(), 16u);
  // A timeout halves the window, not below the initial depth.
  q.on_timeout();
  EXPECT_EQ(q.window(), 8u);
  q.on_timeout();
  q.on_timeout();
  EXPECT_EQ(q.window(), 4u);
  // reqq caps the depth.
  for (int k = 0; k < 500; ++k) q.on_block_received(rate, 20);
  EXPECT_EQ(q.depth(rate, false, 20), 20u);
}

TEST(FilePriorities, MaxOfOverlappingFilesPadsUncovered) {
  // pieces: 0 1 2 3 4 5 6 7
  // file a [0,3) prio 1, file b [2,5) prio 0, pad file left out: 5 uncovered, c [6,8) prio 7,
  // empty file [4,4) prio 7 touches nothing.
  const std::vector<file_pieces> files{{0, 3, 1}, {2, 5, 0}, {4, 4, 7}, {6, 8, 7}};
  EXPECT_EQ(piece_priorities_from_files(files, 8), (std::vector<std::uint8_t>{1, 1, 1, 0, 0, 0, 7, 7}));
  EXPECT_EQ(piece_priorities_from_files(files, 8, 4), (std::vector<std::uint8_t>{1, 1, 1, 0, 0, 4, 7, 7}));
  const std::vector<file_pieces> big{{0, 100, 200}};  // clamped, and ends past the torrent ignored
  EXPECT_EQ(piece_priorities_from_files(big, 2), (std::vector<std::uint8_t>{7, 7}));
}

TEST(PieceSet, SetResetCountFind) {
  piece_set s(130);
  EXPECT_TRUE(s.none());
  EXPECT_TRUE(s.set(0));
  EXPECT_FALSE(s.set(0));
  EXPECT_TRUE(s.set(64));
  EXPECT_TRUE(s.set(129));
  EXPECT_EQ(s.count(), 3u);
  EXPECT_EQ(s.find_next(0), 0u);
  EXPECT_EQ(s.find_next(1), 64u);
  EXPECT_EQ(s.find_next(65), 129u);
  EXPECT_EQ(s.find_next(130), piece_set::npos);
  EXPECT_TRUE(s.reset(64));
  EXPECT_FALSE(s.reset(64));
  EXPECT_EQ(s.find_next(1), 129u);
  piece_set all(130, true);
  EXPECT_TRUE(all.all());
  EXPECT_EQ(all.count(), 130u);
  EXPECT_EQ(all.words().back(), 3u);  // no bits past the end
  piece_set empty;
  EXPECT_EQ(empty.find_next(0), piece_set::npos);
}

}  // namespace
}  // namespace ccbt::picker
