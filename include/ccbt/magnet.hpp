// Magnet links: parse and generate `magnet:?xt=...` URIs (BEP 9, BEP 52 v2/hybrid, BEP 53).
//
// parse() turns a link into a magnet_link value; to_string() writes one back in the form
// libtorrent's make_magnet_uri() produces (byte for byte for the parameters both know). Pure code:
// no I/O, no name resolution (peer hosts are validated, never looked up).
//
// Invariants of every magnet_link that parse() returns (and so of parse(to_string(x)) == x):
// - hashes has v1, v2 or both; two different btih (or two different btmh) are an error, not a choice.
// - trackers, web_seeds and peers keep the order of first appearance, without duplicates or empty
//   entries; values are percent-decoded ('+' decodes to a space, as in libtorrent).
// - every peer has a valid host (IPv4 dotted quad, IPv6 without brackets, or a DNS name) and a port
//   in 1..65535.
// - select_only is sorted, disjoint and non-adjacent (see normalize()); empty means "all files".
//   Indices are at most max_file_index and a link lists at most max_select_entries items, so a
//   hostile link cannot make a consumer allocate without bound.
// - extra holds the parameters ccbt does not interpret, verbatim ("name=value" exactly as in the
//   link, still percent-encoded), in order; to_string() writes them back unchanged.
// The input is capped at max_uri_size bytes. docs/design/magnet.md explains the choices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

namespace ccbt::magnet {

enum class errc {
  not_magnet = 1,         // the input does not start with "magnet:?"
  too_long,               // the input is longer than max_uri_size
  bad_escape,             // '%' not followed by two hex digits
  missing_xt,             // no xt parameter at all
  unsupported_xt,         // xt parameters present, but none is urn:btih or urn:btmh
  bad_btih_length,        // btih is neither 40 hex digits nor 32 base32 characters
  bad_hex,                // a non-hex character in a btih or btmh hash
  bad_base32,             // a character outside the RFC 4648 base32 alphabet in a btih
  bad_multihash,          // btmh is not a SHA-256 multihash: "1220" followed by 64 hex digits
  conflicting_btih,       // two different v1 info-hashes
  conflicting_btmh,       // two different v2 info-hashes
  bad_peer_address,       // x.pe host is not an IPv4 address, a bracketed IPv6 address or a DNS name
  bad_peer_port,          // x.pe port missing, not decimal, 0 or above 65535
  bad_select_only,        // so is not a comma-separated list of indices and ranges "a-b"
  reversed_range,         // so range "a-b" with a > b
  select_only_too_large,  // so index above max_file_index, or more than max_select_entries items
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

inline constexpr std::size_t max_uri_size = std::size_t{64} * 1024;
inline constexpr std::uint32_t max_file_index = 999'999;
inline constexpr std::size_t max_select_entries = 10'000;

// A peer from x.pe. host is an IPv4 address, an IPv6 address (without brackets) or a DNS name, as
// written in the link; nothing is resolved here.
struct peer_endpoint {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const peer_endpoint&, const peer_endpoint&) = default;
};

// An inclusive range of file indices (BEP 53): "4-6" is {4, 6}, "2" is {2, 2}.
struct file_range {
  std::uint32_t first = 0;
  std::uint32_t last = 0;

  friend bool operator==(const file_range&, const file_range&) = default;
};

struct magnet_link {
  info_hash hashes;                       // xt=urn:btih (v1) and/or xt=urn:btmh (v2)
  std::string name;                       // dn; the last dn wins, as in libtorrent
  std::vector<std::string> trackers;      // tr, tr.1, ...
  std::vector<std::string> web_seeds;     // ws
  std::vector<peer_endpoint> peers;       // x.pe
  std::vector<file_range> select_only;    // so; empty = every file
  std::vector<std::string> extra;         // uninterpreted parameters, verbatim "name=value"

  friend bool operator==(const magnet_link&, const magnet_link&) = default;
};

// True if `text` starts with the magnet scheme ("magnet:", any case). A cheap check for callers
// that accept "a .torrent path or a magnet link"; parse() does the real validation.
[[nodiscard]] bool is_magnet_uri(std::string_view text) noexcept;

// Parses a magnet link. Parameter names are case-insensitive and may carry a numeric suffix
// ("tr.1", "xt.2"). On error, error.context is the parameter as written (e.g. "xt.1", "so") and
// error.offset the byte in the link where the problem is (the value's first byte when the value was
// percent-encoded).
[[nodiscard]] result<magnet_link> parse(std::string_view uri);

// Writes a magnet link: xt=urn:btih:<hex>, xt=urn:btmh:1220<hex>, dn, tr..., ws..., x.pe..., so,
// then extra. Values are percent-encoded like libtorrent's escape_string (alphanumerics and
// "-_.!~*()" kept, every other byte as lower-case %xx). select_only is written normalized (ranges
// with first > last are empty and left out). Returns an empty string if link.hashes holds no hash
// (there is no magnet link without one), as libtorrent does.
[[nodiscard]] std::string to_string(const magnet_link& link);

// Sorts ranges and merges overlapping or adjacent ones; drops ranges with first > last.
[[nodiscard]] std::vector<file_range> normalize(std::vector<file_range> ranges);

// Whether file `file_index` is selected: true for every file when select_only is empty.
// Precondition: link.select_only is normalized (as parse() returns it); O(log n).
[[nodiscard]] bool selects(const magnet_link& link, std::size_t file_index) noexcept;

}  // namespace ccbt::magnet

template <>
struct std::is_error_code_enum<ccbt::magnet::errc> : std::true_type {};
