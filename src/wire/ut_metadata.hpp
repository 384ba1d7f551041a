// BEP 9 ut_metadata messages: the payload of an extended message whose id is the receiver's
// "ut_metadata" id. A bencoded dictionary {msg_type, piece[, total_size]}; a data message is
// followed by the bytes of that metadata piece.
//
// Decoding is strict and bounded: the dictionary must come first and be well-formed (at most
// max_tokens values, depth 4); msg_type and piece are required integers; piece must lie inside the
// metadata (known_size when the caller knows it, else max_metadata_size); a data message must carry
// total_size in 1..max_metadata_size (equal to known_size if given) and exactly the piece's length
// of payload (16 KiB, the last piece shorter); request / reject carry nothing after the dictionary.
// An unknown msg_type is returned as such (BEP 9: ignore it). Errors carry the byte offset in the
// payload and name the field.
//
// Encoding writes the canonical dictionary followed by the payload for data messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <ccbt/error.hpp>

namespace ccbt::wire {

inline constexpr std::uint32_t metadata_piece_size = 16 * 1024;

enum class metadata_msg : std::uint8_t { request = 0, data = 1, reject = 2, unknown = 255 };

struct ut_metadata_message {
  metadata_msg type = metadata_msg::request;
  std::uint32_t piece = 0;
  std::uint64_t total_size = 0;  // data only
  std::string_view payload;      // data only: the piece's bytes (a view into the decoded input)
  std::int64_t raw_type = 0;     // msg_type as sent (for unknown)
};

struct ut_metadata_limits {
  std::uint64_t max_metadata_size = std::uint64_t{16} << 20;
  std::size_t max_tokens = 64;
};

// Number of 16 KiB pieces of metadata of `size` bytes.
[[nodiscard]] constexpr std::uint32_t metadata_piece_count(std::uint64_t size) noexcept {
  return static_cast<std::uint32_t>((size + metadata_piece_size - 1) / metadata_piece_size);
}
// Length of metadata piece `piece` (0 past the end).
[[nodiscard]] constexpr std::uint32_t metadata_piece_length(std::uint64_t size, std::uint32_t piece) noexcept {
  const std::uint64_t begin = std::uint64_t{piece} * metadata_piece_size;
  if (begin >= size) return 0;
  return static_cast<std::uint32_t>(size - begin < metadata_piece_size ? size - begin : metadata_piece_size);
}

// `known_size`: the metadata size this side expects (from the peer's extension handshake, or our own
// metadata's size when serving), if any.
[[nodiscard]] result<ut_metadata_message> decode_ut_metadata(std::string_view payload,
                                                             std::optional<std::uint64_t> known_size = std::nullopt,
                                                             const ut_metadata_limits& limits = {});

// The extended-message payload (frame it with encode(out, extended{their_id, payload})).
[[nodiscard]] std::string encode_ut_metadata_request(std::uint32_t piece);
[[nodiscard]] std::string encode_ut_metadata_reject(std::uint32_t piece);
[[nodiscard]] std::string encode_ut_metadata_data(std::uint32_t piece, std::uint64_t total_size,
                                                  std::string_view piece_bytes);

}  // namespace ccbt::wire
