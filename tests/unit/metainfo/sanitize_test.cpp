// Path sanitising: the same results libtorrent 2.0.8 gives for the same components (measured with
// python3-libtorrent), duplicate renaming, and the path_is_safe invariant.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <ccbt/metainfo.hpp>

#include "metainfo/sanitize.hpp"

namespace ccbt::metainfo::detail {
namespace {

TEST(Sanitize, DotsAndEmpty) {
  EXPECT_EQ(sanitize_component("."), "");
  EXPECT_EQ(sanitize_component(".."), "");
  EXPECT_EQ(sanitize_component(""), "_");
  EXPECT_EQ(sanitize_component("..."), "...");
  EXPECT_EQ(sanitize_component(".hidden"), ".hidden");
  EXPECT_EQ(sanitize_component("/"), "");        // only a separator: dropped
  EXPECT_EQ(sanitize_component("./"), "");       // "." after filtering
  EXPECT_EQ(sanitize_component("a.."), "a..");
}

TEST(Sanitize, SeparatorsAndControlCharacters) {
  EXPECT_EQ(sanitize_component("a/b"), "ab");
  EXPECT_EQ(sanitize_component("a\\b"), "ab");
  EXPECT_EQ(sanitize_component("/abs"), "abs");
  EXPECT_EQ(sanitize_component(std::string("ctl\x01\x1fz")), "ctl__z");
  EXPECT_EQ(sanitize_component(std::string("nul\0x", 5)), "nulx");  // NUL dropped, as libtorrent
  EXPECT_EQ(sanitize_component("\x7f"), "\x7f");  // DEL is kept, as libtorrent does
  EXPECT_EQ(sanitize_component("C:"), "C:");
  EXPECT_EQ(sanitize_component("con"), "con");
  EXPECT_EQ(sanitize_component("tr. "), "tr. ");
}

TEST(Sanitize, Utf8) {
  EXPECT_EQ(sanitize_component("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(sanitize_component("\xf0\x9f\x98\x80ok"), "\xf0\x9f\x98\x80ok");
  // Invalid sequences: one '_' per sequence the lead byte announces (libtorrent's counting).
  EXPECT_EQ(sanitize_component("\xe9t\xe9"), "_");
  EXPECT_EQ(sanitize_component("\xe2\x82"), "_");
  EXPECT_EQ(sanitize_component("x\xe2\x82"), "x_");
  EXPECT_EQ(sanitize_component("\xed\xa0\x80s"), "_s");  // surrogate
  EXPECT_EQ(sanitize_component("\xc0\xafz"), "_z");      // overlong
  EXPECT_EQ(sanitize_component("\xff\xfe"), "__");
  EXPECT_EQ(sanitize_component("\xf8\x88\x80\x80\x80z"), "_z");  // 5-byte form
  // Bidi overrides are removed.
  EXPECT_EQ(sanitize_component("evil\xe2\x80\xaetxt.exe"), "eviltxt.exe");
  EXPECT_EQ(sanitize_component("\xe2\x80\x8e"), "");
}

TEST(Sanitize, LongComponentsKeepShortExtensions) {
  EXPECT_EQ(sanitize_component(std::string(300, 'a')), std::string(240, 'a'));
  EXPECT_EQ(sanitize_component(std::string(238, 'a') + ".txt"), std::string(238, 'a') + ".t");
  EXPECT_EQ(sanitize_component(std::string(245, 'a') + ".mkv"), std::string(240, 'a') + ".mkv");
  EXPECT_EQ(sanitize_component(std::string(300, 'b') + ".verylongext"), std::string(240, 'b'));
  // Multi-byte characters are never cut in the middle.
  std::string wide;
  for (int i = 0; i < 100; ++i) wide += "\xe6\x97\xa5";
  const auto cut = sanitize_component(wide);
  EXPECT_EQ(cut.size(), 240u);
  EXPECT_EQ(cut, wide.substr(0, 240));
}

std::vector<std::string> dedup(std::vector<std::vector<std::string>> paths) {
  std::vector<dedup_entry> entries;
  for (auto& p : paths) entries.push_back({&p});
  resolve_duplicates(entries);
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(join_path(p));
  return out;
}

TEST(Dedup, RenamesLikeLibtorrent) {
  EXPECT_EQ(dedup({{"t", "a.txt"}, {"t", "a.txt"}, {"t", "a.txt"}, {"t", "a.1.txt"}, {"t", "d"}, {"t", "d", "e"}}),
            (std::vector<std::string>{"t/a.txt", "t/a.1.txt", "t/a.2.txt", "t/a.1.1.txt", "t/d.1", "t/d/e"}));
  EXPECT_EQ(dedup({{"t", "A.BIN"}, {"t", "a.bin"}}), (std::vector<std::string>{"t/A.BIN", "t/a.1.bin"}));
  EXPECT_EQ(dedup({{"t", ".hidden"}, {"t", ".hidden"}}), (std::vector<std::string>{"t/.hidden", "t/.1.hidden"}));
  EXPECT_EQ(dedup({{"t", "noext"}, {"t", "noext"}}), (std::vector<std::string>{"t/noext", "t/noext.1"}));
  // A renamed name that a later file already uses: the later one moves on.
  EXPECT_EQ(dedup({{"x"}, {"x"}, {"x.1"}}), (std::vector<std::string>{"x", "x.1", "x.1.1"}));
}

TEST(Dedup, ManyDuplicatesStayFast) {
  std::vector<std::vector<std::string>> paths(20000, {"t", "same.bin"});
  const auto out = dedup(paths);
  EXPECT_EQ(out[0], "t/same.bin");
  EXPECT_EQ(out[19999], "t/same.19999.bin");
}

TEST(PathIsSafe, Invariant) {
  EXPECT_TRUE(path_is_safe("a"));
  EXPECT_TRUE(path_is_safe("a/b/c.txt"));
  EXPECT_TRUE(path_is_safe("..."));
  EXPECT_FALSE(path_is_safe(""));
  EXPECT_FALSE(path_is_safe("/a"));
  EXPECT_FALSE(path_is_safe("a/"));
  EXPECT_FALSE(path_is_safe("a//b"));
  EXPECT_FALSE(path_is_safe(".."));
  EXPECT_FALSE(path_is_safe("a/../b"));
  EXPECT_FALSE(path_is_safe("./a"));
  EXPECT_FALSE(path_is_safe("a\\b"));
  EXPECT_FALSE(path_is_safe(std::string("a\nb")));
}

TEST(PathIsSafe, SanitisedComponentsAlwaysAre) {
  // Every sanitised, non-dropped component of every 1- and 2-byte string is a safe path.
  for (int a = 0; a < 256; ++a) {
    for (int b = -1; b < 256; ++b) {
      std::string s(1, static_cast<char>(a));
      if (b >= 0) s.push_back(static_cast<char>(b));
      const auto c = sanitize_component(s);
      if (!c.empty()) {
        EXPECT_TRUE(path_is_safe(c)) << a << "," << b;
      }
    }
  }
}

}  // namespace
}  // namespace ccbt::metainfo::detail
