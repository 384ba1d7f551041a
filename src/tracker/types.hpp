// Tracker protocol values shared by the HTTP and UDP clients, the parsers and the embedded tracker.
//
// Pure value types (no asio): a peer address is 4 or 16 raw bytes plus a port, so L1 parsers can
// produce it and L2 code converts it to an endpoint. Info-hashes and peer ids are 20 bytes (a v2
// info-hash is truncated, BEP 52).
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ccbt/hash.hpp>

namespace ccbt::tracker {

using peer_id = digest<20>;

// Values are the BEP 15 wire values.
enum class event : std::uint8_t { none = 0, completed = 1, started = 2, stopped = 3 };

// "started", "completed", "stopped" or "" (none).
[[nodiscard]] std::string_view to_string(event e) noexcept;

struct peer_address {
  std::array<std::uint8_t, 16> ip{};  // IPv4: the first 4 bytes
  bool v6 = false;
  std::uint16_t port = 0;

  [[nodiscard]] static peer_address v4(std::array<std::uint8_t, 4> a, std::uint16_t port) noexcept;
  // Numeric "1.2.3.4" or "::1" (no brackets, no port); nullopt otherwise (no DNS).
  [[nodiscard]] static std::optional<peer_address> from_ip(std::string_view ip, std::uint16_t port);
  // "1.2.3.4:6881" / "[::1]:6881".
  [[nodiscard]] static std::optional<peer_address> from_string(std::string_view text);
  // The address without the port: "1.2.3.4" / "::1".
  [[nodiscard]] std::string ip_string() const;
  // "1.2.3.4:6881" / "[::1]:6881".
  [[nodiscard]] std::string to_string() const;
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) turned into plain IPv4; others unchanged.
  [[nodiscard]] peer_address unmapped() const noexcept;

  friend auto operator<=>(const peer_address&, const peer_address&) = default;
};

struct peer_entry {
  peer_address address;
  std::optional<peer_id> id;  // only from non-compact HTTP responses

  friend bool operator==(const peer_entry&, const peer_entry&) = default;
};

struct announce_request {
  sha1_hash info_hash;
  peer_id pid;
  std::uint16_t port = 0;  // our listen port
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;
  event ev = event::none;
  std::uint32_t key = 0;                 // BEP 7 / BEP 15 key: random per torrent, stable per session
  std::optional<std::int32_t> num_want;  // nullopt: the tracker's default (UDP sends -1)
  std::string tracker_id;                // the "tracker id" a previous response gave (HTTP only)
};

struct announce_response {
  std::optional<std::chrono::seconds> interval;      // absent: the caller's default
  std::optional<std::chrono::seconds> min_interval;
  std::string tracker_id;
  std::string warning;                               // "warning message"
  std::optional<std::int64_t> complete;              // seeds
  std::optional<std::int64_t> incomplete;            // leechers
  std::optional<std::int64_t> downloaded;            // snatches
  std::optional<peer_address> external_ip;           // BEP 24 (port 0)
  std::vector<peer_entry> peers;                     // "peers" then "peers6" (IPv4 then IPv6)
};

struct scrape_entry {
  sha1_hash info_hash;
  std::int64_t complete = 0;
  std::int64_t downloaded = 0;
  std::int64_t incomplete = 0;

  friend bool operator==(const scrape_entry&, const scrape_entry&) = default;
};

struct scrape_response {
  std::vector<scrape_entry> files;                       // in response order
  std::optional<std::chrono::seconds> min_request_interval;  // "flags" / "min_request_interval"
};

// Bounds applied to every response, so a hostile tracker cannot make us allocate without limit.
struct parse_limits {
  std::size_t max_peers = 2000;          // peers + peers6 together
  std::size_t max_scrape_files = 1000;
  std::size_t max_message = 1024;        // failure reason / warning message bytes kept
};

}  // namespace ccbt::tracker
