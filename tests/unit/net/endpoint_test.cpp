#include <gtest/gtest.h>

#include "net/endpoint.hpp"

namespace ccbt::net {
namespace {

TEST(Endpoint, ParsesV4AndV6) {
  auto a = parse_endpoint("127.0.0.1:6881");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port(), 6881);
  EXPECT_EQ(to_string(*a), "127.0.0.1:6881");
  auto b = parse_endpoint("[::1]:51413");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->address().is_v6());
  EXPECT_EQ(to_string(*b), "[::1]:51413");
}

TEST(Endpoint, RejectsMalformed) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:65536", "127.0.0.1:-1",
                          "::1:80", "[::1]80", "[::1]:", "host:80x", "300.1.1.1:80"}) {
    EXPECT_FALSE(parse_endpoint(bad)) << bad;
  }
  // Hostnames split but do not parse without DNS.
  auto hp = split_host_port("tracker.example:6969");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->first, "tracker.example");
  EXPECT_EQ(hp->second, 6969);
  EXPECT_FALSE(parse_endpoint("tracker.example:6969"));
}

}  // namespace
}  // namespace ccbt::net
