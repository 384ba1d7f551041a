// Parsers for HTTP tracker responses: announce (BEP 3, BEP 23 compact, BEP 7 peers6, BEP 24) and
// scrape (BEP 48). Pure and fuzzed (tests/fuzz/tracker_http.cpp).
//
// Invariants: the body is decoded with bounded depth and token count; at most
// parse_limits::max_peers peers and max_scrape_files entries are returned (more is an error, checked
// before anything is allocated for them); a "failure reason" is always an error (tracker_failure,
// its text in error.context), whatever else the dictionary holds; failure and warning texts are cut
// to parse_limits::max_message bytes and control bytes are replaced by '?'. Compact peers with port
// 0 are dropped (nobody can connect to them); a malformed peer makes the whole response an error.
#pragma once

#include <string>
#include <string_view>

#include <ccbt/error.hpp>

#include "tracker/errors.hpp"
#include "tracker/types.hpp"

namespace ccbt::tracker {

[[nodiscard]] result<announce_response> parse_announce_response(std::string_view body,
                                                                const parse_limits& lim = {});

[[nodiscard]] result<scrape_response> parse_scrape_response(std::string_view body,
                                                            const parse_limits& lim = {});

// Text from a tracker made safe to show: control bytes as '?', at most max_bytes bytes.
[[nodiscard]] std::string printable(std::string_view text, std::size_t max_bytes);

}  // namespace ccbt::tracker
