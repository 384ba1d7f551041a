// docs/configuration.md and ccbt.toml.example must match the key table.
//
// To regenerate both after changing the table: CCBT_REGENERATE_CONFIG_DOCS=1 ./unit_config
// --gtest_filter='ConfigDocs.*' (rewrites the generated block of the docs and the example file).
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <sstream>

#include "test_util.hpp"

namespace ccbt::config {
namespace {

const std::filesystem::path repo = std::filesystem::path(CCBT_TEST_DATA_DIR) / ".." / "..";
const std::filesystem::path docs_file = repo / "docs" / "configuration.md";
const std::filesystem::path example_file = repo / "ccbt.toml.example";
constexpr std::string_view begin_marker = "<!-- BEGIN GENERATED KEY TABLES (tests/unit/config/docs_test.cpp) -->\n";
constexpr std::string_view end_marker = "<!-- END GENERATED KEY TABLES -->\n";

bool regenerate() {
  const char* v = std::getenv("CCBT_REGENERATE_CONFIG_DOCS");
  return v && *v == '1';
}

class ConfigDocs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!regenerate()) return;
    auto docs = test::read_text(docs_file);
    const auto b = docs.find(begin_marker), e = docs.find(end_marker);
    ASSERT_NE(b, std::string::npos);
    ASSERT_NE(e, std::string::npos);
    docs.replace(b + begin_marker.size(), e - b - begin_marker.size(), reference_markdown());
    test::write_file(docs_file, docs);
    test::write_file(example_file, to_toml(settings{}));
  }
};

// Every key has a row in a table of docs/configuration.md, and every row is a key.
TEST_F(ConfigDocs, EveryKeyIsDocumentedAndEveryDocumentedKeyExists) {
  const auto docs = test::read_text(docs_file);
  ASSERT_FALSE(docs.empty()) << docs_file;
  std::set<std::string> documented;
  std::istringstream in(docs);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    ASSERT_NE(end, std::string::npos) << line;
    const auto name = line.substr(3, end - 3);
    if (name.find('.') == std::string::npos) continue;  // a row of the sections table
    EXPECT_TRUE(documented.insert(name).second) << name << " documented twice";
    // The description column is not empty.
    EXPECT_FALSE(line.size() > 4 && line.substr(line.size() - 4) == "|  |") << line;
  }
  std::set<std::string> known;
  for (const auto& k : keys()) known.insert(k.name());
  for (const auto& k : known) EXPECT_TRUE(documented.count(k)) << k << " has no row in docs/configuration.md";
  for (const auto& d : documented) EXPECT_TRUE(known.count(d)) << d << " is documented but is not a key";
}

// The generated tables (type, default, range, live/restart) are exactly what the table says.
TEST_F(ConfigDocs, GeneratedTablesAreCurrent) {
  const auto docs = test::read_text(docs_file);
  const auto b = docs.find(begin_marker), e = docs.find(end_marker);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(docs.substr(b + begin_marker.size(), e - b - begin_marker.size()), reference_markdown())
      << "regenerate with CCBT_REGENERATE_CONFIG_DOCS=1";
}

TEST_F(ConfigDocs, ExampleFileIsTheRenderedDefaults) {
  const auto text = test::read_text(example_file);
  EXPECT_EQ(text, to_toml(settings{})) << "regenerate with CCBT_REGENERATE_CONFIG_DOCS=1";
  auto c = parse(text, "ccbt.toml.example");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(test::same(c->values, settings{}));
  EXPECT_TRUE(c->warnings.empty());
  EXPECT_EQ(c->sources.size(), keys().size());  // every key is spelled out
}

}  // namespace
}  // namespace ccbt::config
