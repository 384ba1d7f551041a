#include "tracker/types.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace ccbt::tracker {

std::string_view to_string(event e) noexcept {
  switch (e) {
    case event::completed: return "completed";
    case event::started: return "started";
    case event::stopped: return "stopped";
    case event::none: break;
  }
  return "";
}

peer_address peer_address::v4(std::array<std::uint8_t, 4> a, std::uint16_t port) noexcept {
  peer_address p;
  std::memcpy(p.ip.data(), a.data(), 4);
  p.port = port;
  return p;
}

std::optional<peer_address> peer_address::from_ip(std::string_view ip, std::uint16_t port) {
  if (ip.empty() || ip.size() > 45) return std::nullopt;
  const std::string s(ip);  // inet_pton needs a terminated string
  peer_address p;
  p.port = port;
  if (s.find(':') == std::string::npos) {
    if (::inet_pton(AF_INET, s.c_str(), p.ip.data()) != 1) return std::nullopt;
  } else {
    if (::inet_pton(AF_INET6, s.c_str(), p.ip.data()) != 1) return std::nullopt;
    p.v6 = true;
  }
  return p;
}

std::optional<peer_address> peer_address::from_string(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return std::nullopt;
  } else {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) return std::nullopt;
  return from_ip(host, static_cast<std::uint16_t>(value));
}

std::string peer_address::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, ip.data(), buf, sizeof buf);
  return buf;
}

std::string peer_address::to_string() const {
  std::string out = v6 ? "[" + ip_string() + "]" : ip_string();
  out += ':';
  out += std::to_string(port);
  return out;
}

peer_address peer_address::unmapped() const noexcept {
  if (!v6) return *this;
  static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.data(), prefix, 12) != 0) return *this;
  peer_address p;
  std::memcpy(p.ip.data(), ip.data() + 12, 4);
  p.port = port;
  return p;
}

}  // namespace ccbt::tracker
