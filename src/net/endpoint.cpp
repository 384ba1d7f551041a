#include "net/endpoint.hpp"

#include <charconv>

namespace ccbt::net {

std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty() || port.empty()) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) return std::nullopt;
  return std::pair<std::string, std::uint16_t>(std::string(host), static_cast<std::uint16_t>(value));
}

std::optional<tcp::endpoint> parse_endpoint(std::string_view text) {
  auto hp = split_host_port(text);
  if (!hp) return std::nullopt;
  error_code ec;
  const auto addr = asio::ip::make_address(hp->first, ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(addr, hp->second);
}

std::string to_string(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string out = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  out += ':';
  out += std::to_string(ep.port());
  return out;
}

}  // namespace ccbt::net
