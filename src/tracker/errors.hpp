// Error codes of the tracker module (clients, response parsers, the embedded tracker).
//
// Transport failures (connection refused, TLS verification, DNS) keep their own system/asio/ssl
// error_code; this enum covers what the tracker protocol itself can get wrong. Each value has a
// human message; ccbt::error::context says which key, peer or URL.
#pragma once

#include <system_error>
#include <type_traits>

namespace ccbt::tracker {

enum class errc {
  // HTTP response bodies
  invalid_bencode = 1,   // the body is not bencoded (context: the bencode error)
  not_a_dictionary,      // the body is bencoded but not a dictionary
  tracker_failure,       // "failure reason" (HTTP) or an error packet (UDP); context: its text
  invalid_field,         // a known key with the wrong type or an out-of-range value (context: key)
  invalid_peers,         // "peers"/"peers6" not a string of whole 6/18-byte entries or a list of dicts
  invalid_peer_entry,    // a peer dictionary without a numeric ip or a port in 1..65535
  too_many_peers,        // more peers than parse_limits::max_peers
  too_many_files,        // a scrape response with more entries than parse_limits::max_scrape_files
  // UDP packets (BEP 15)
  packet_too_short,      // a datagram shorter than its fixed part (offset: its size)
  invalid_packet_size,   // trailing bytes that are not whole peer / scrape entries
  wrong_action,          // the action field does not answer the request
  wrong_transaction_id,  // the transaction id is not the one sent
  // URLs
  invalid_url,           // not scheme://host[:port][/path][?query] (context: the part)
  unsupported_scheme,    // a scheme other than http, https, udp
  no_scrape_url,         // BEP 48: the announce path's last component does not start with "announce"
  // transport
  http_status,           // a non-200 status without a bencoded failure reason (context: status)
  redirect_loop,         // a redirect back to a URL already visited
  too_many_redirects,    // more redirects than http_options::max_redirects
  invalid_redirect,      // a 3xx without a usable Location, or to a non-HTTP scheme
  response_too_large,    // the body exceeds http_options::max_response_size
  unsupported_encoding,  // Content-Encoding other than identity
  timeout,               // no (complete) answer in time: HTTP deadline, UDP retransmissions exhausted
  no_address,            // the tracker's host name resolved to no usable address
  // server side (the embedded tracker reading requests)
  invalid_request,       // a malformed announce/scrape parameter (context: the parameter)
  missing_parameter,     // a required parameter is absent (context: its name)
  unknown_torrent,       // an info-hash not on the whitelist
  aborted,               // the operation was cancelled (shutdown)
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

}  // namespace ccbt::tracker

template <>
struct std::is_error_code_enum<ccbt::tracker::errc> : std::true_type {};
