// BEP 6 allowed-fast set against the example vectors of the BEP.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "wire/allowed_fast.hpp"

namespace ccbt::wire {
namespace {

sha1_hash all_aa() {
  sha1_hash h;
  h.bytes.fill(0xaa);
  return h;
}

TEST(AllowedFast, Bep6ExampleSeven) {
  EXPECT_EQ(allowed_fast_set(all_aa(), {80, 4, 4, 200}, 1313, 7),
            (std::vector<std::uint32_t>{1059, 431, 808, 1217, 287, 376, 1188}));
}

TEST(AllowedFast, Bep6ExampleNine) {
  EXPECT_EQ(allowed_fast_set(all_aa(), {80, 4, 4, 200}, 1313, 9),
            (std::vector<std::uint32_t>{1059, 431, 808, 1217, 287, 376, 1188, 353, 508}));
}

TEST(AllowedFast, SameSlash24SameSet) {
  EXPECT_EQ(allowed_fast_set(all_aa(), {80, 4, 4, 1}, 1313, 9), allowed_fast_set(all_aa(), {80, 4, 4, 200}, 1313, 9));
  EXPECT_NE(allowed_fast_set(all_aa(), {80, 4, 5, 200}, 1313, 9), allowed_fast_set(all_aa(), {80, 4, 4, 200}, 1313, 9));
}

TEST(AllowedFast, SmallTorrents) {
  EXPECT_TRUE(allowed_fast_set(all_aa(), {80, 4, 4, 200}, 0, 10).empty());
  EXPECT_TRUE(allowed_fast_set(all_aa(), {80, 4, 4, 200}, 1313, 0).empty());
  auto all = allowed_fast_set(all_aa(), {80, 4, 4, 200}, 5, 10);  // more wanted than there are pieces
  ASSERT_EQ(all.size(), 5U);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace ccbt::wire
