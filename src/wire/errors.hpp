// Error codes of the peer wire codec (ccbt::wire): handshake, message framing, BEP 10 handshake.
//
// Every value is a protocol violation by the remote peer that ends that one connection; the error's
// offset is the stream offset of the offending message (bytes since the decoder started) and its
// context names the message and the values involved ("have: index 1400, torrent has 1313 pieces").
#pragma once

#include <system_error>

namespace ccbt::wire {

enum class errc {
  bad_protocol_string = 1,  // handshake: pstrlen is not 19 or the string is not "BitTorrent protocol"
  message_too_large,        // length prefix above the decoder's limit for that message
  invalid_message_length,   // length does not fit the message (have must be 5 bytes, ...)
  block_too_large,          // piece / request / cancel / reject block above max_block_size
  empty_block,              // piece / request / cancel / reject of zero bytes
  piece_index_out_of_range, // a piece index >= the torrent's piece count
  block_out_of_range,       // begin + length runs past the piece length
  bitfield_size_mismatch,   // bitfield is not ceil(num_pieces / 8) bytes
  bitfield_spare_bits,      // bits after the last piece are set
  not_negotiated,           // fast / extended / v2 message without the reserved bit on both sides
  invalid_hash_count,       // hashes message whose length field is 0 or above the limit
  hashes_size_mismatch,     // hashes message whose size does not match length and proof layers
  too_many_unknown_messages,// more unknown message ids than decoder_options::max_unknown_messages
  ext_handshake_not_dict,   // BEP 10 handshake payload is not a bencoded dictionary
  ext_handshake_bad_m,      // "m" is not a dictionary, or an id is not an integer in 0..255
  ext_handshake_too_many_extensions, // "m" has more entries than the limit
  ext_handshake_bad_name,   // an extension name that is empty or longer than the limit
  ext_handshake_bad_metadata_size,   // "metadata_size" above the limit
  ut_pex_not_dict,          // BEP 11 ut_pex payload is not a bencoded dictionary
  ut_pex_bad_field,         // added / added.f / dropped (or the "6" ones) is not a byte string
  ut_pex_bad_length,        // a compact peer list whose size is not a multiple of 6 (IPv4) / 18 (IPv6)
  ut_pex_flags_mismatch,    // added.f / added6.f does not hold exactly one byte per added peer
  ut_pex_too_many_peers,    // more peers in one message than ut_pex_limits allows
  ut_metadata_bad_message,  // BEP 9 message: not a dictionary, or msg_type / piece missing or not integers
  ut_metadata_bad_piece,    // BEP 9 piece index negative or past the metadata's last piece
  ut_metadata_bad_size,     // BEP 9 total_size out of range, or a data payload of the wrong length
  ut_metadata_trailing_data,// BEP 9 request / reject followed by bytes after the dictionary
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

}  // namespace ccbt::wire

template <>
struct std::is_error_code_enum<ccbt::wire::errc> : std::true_type {};
