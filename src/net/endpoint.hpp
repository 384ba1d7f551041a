// Parsing of "host:port" / "[v6]:port" strings into numeric endpoints (no DNS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/asio.hpp"

namespace ccbt::net {

// "1.2.3.4:6881", "[::1]:6881" -> endpoint; nullopt for anything else (hostnames need a resolver).
[[nodiscard]] std::optional<tcp::endpoint> parse_endpoint(std::string_view text);

// Splits "host:port" / "[v6]:port" into host and port without resolving; nullopt if malformed.
[[nodiscard]] std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text);

// "1.2.3.4:6881" / "[::1]:6881"
[[nodiscard]] std::string to_string(const tcp::endpoint& ep);

}  // namespace ccbt::net
