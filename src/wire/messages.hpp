// Peer wire messages (BEP 3, BEP 6, BEP 10 framing, BEP 52 hash messages) and their encoders.
//
// Every message is a small value type; the ones that carry bytes (bitfield, extended, hashes) hold
// views, which the decoder points into its buffer and which an encoder copies from. `message` is
// the variant the decoder yields. Integers on the wire are 4-byte big-endian (port: 2 bytes).
//
// Encoders append one complete frame (4-byte length prefix, id, payload) to any contiguous byte
// container (std::string, std::vector<char/uint8_t/std::byte>, small vectors) with a single
// resize: no other allocation. Two encoders write a header only, for gather writes where the
// payload comes from elsewhere (disk for a piece, a separate buffer for an extension message):
// encode(out, piece_header) and encode_extended_header(). Encoders trust their arguments
// (the decoder is the side that validates); a view larger than a frame can hold is a programming
// error.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <utility>
#include <variant>

#include <ccbt/hash.hpp>

namespace ccbt::wire {

enum class msg_id : std::uint8_t {
  choke = 0,
  unchoke = 1,
  interested = 2,
  not_interested = 3,
  have = 4,
  bitfield = 5,
  request = 6,
  piece = 7,
  cancel = 8,
  port = 9,            // BEP 5
  suggest = 0x0D,      // BEP 6
  have_all = 0x0E,     // BEP 6
  have_none = 0x0F,    // BEP 6
  reject = 0x10,       // BEP 6
  allowed_fast = 0x11, // BEP 6
  extended = 20,       // BEP 10
  hash_request = 21,   // BEP 52
  hashes = 22,         // BEP 52
  hash_reject = 23,    // BEP 52
};

// Bytes of a piece message before its block: length prefix, id, index, begin.
inline constexpr std::size_t piece_header_size = 13;
// The usual (and default maximum) block size.
inline constexpr std::uint32_t default_block_size = 16 * 1024;
// pieces root + base layer + index + length + proof layers.
inline constexpr std::size_t hash_header_size = 32 + 4 * 4;

struct keep_alive { friend bool operator==(keep_alive, keep_alive) = default; };
struct choke { friend bool operator==(choke, choke) = default; };
struct unchoke { friend bool operator==(unchoke, unchoke) = default; };
struct interested { friend bool operator==(interested, interested) = default; };
struct not_interested { friend bool operator==(not_interested, not_interested) = default; };
struct have_all { friend bool operator==(have_all, have_all) = default; };
struct have_none { friend bool operator==(have_none, have_none) = default; };

struct have {
  std::uint32_t index = 0;
  friend bool operator==(const have&, const have&) = default;
};
struct suggest {
  std::uint32_t index = 0;
  friend bool operator==(const suggest&, const suggest&) = default;
};
struct allowed_fast {
  std::uint32_t index = 0;
  friend bool operator==(const allowed_fast&, const allowed_fast&) = default;
};

// Piece availability, most significant bit of the first byte = piece 0 (BEP 3).
struct bitfield {
  std::span<const std::uint8_t> bits;
  friend bool operator==(const bitfield& a, const bitfield& b) {
    return std::ranges::equal(a.bits, b.bits);
  }
};

struct request {
  std::uint32_t index = 0, begin = 0, length = 0;
  friend bool operator==(const request&, const request&) = default;
};
struct cancel {
  std::uint32_t index = 0, begin = 0, length = 0;
  friend bool operator==(const cancel&, const cancel&) = default;
};
struct reject {
  std::uint32_t index = 0, begin = 0, length = 0;
  friend bool operator==(const reject&, const reject&) = default;
};

// The head of a piece message: `length` block bytes follow it on the wire. The decoder yields it
// before the block; the block itself is delivered through the decoder's payload interface.
struct piece_header {
  std::uint32_t index = 0, begin = 0, length = 0;
  friend bool operator==(const piece_header&, const piece_header&) = default;
};

struct port {
  std::uint16_t value = 0;
  friend bool operator==(const port&, const port&) = default;
};

// BEP 10: id 0 is the extension handshake, other ids are the ones the receiver assigned in its "m".
struct extended {
  std::uint8_t id = 0;
  std::string_view payload;
  friend bool operator==(const extended&, const extended&) = default;
};

// BEP 52: a range of `length` hashes at `base_layer` (0 = the 16 KiB block layer) of the merkle
// tree whose root is `pieces_root`, starting at `index`, plus `proof_layers` layers of uncle hashes.
struct hash_range {
  sha256_hash pieces_root;
  std::uint32_t base_layer = 0, index = 0, length = 0, proof_layers = 0;
  friend bool operator==(const hash_range&, const hash_range&) = default;
};
struct hash_request : hash_range {
  friend bool operator==(const hash_request&, const hash_request&) = default;
};
struct hash_reject : hash_range {
  friend bool operator==(const hash_reject&, const hash_reject&) = default;
};
// The answer to a hash_request: the `length` base-layer hashes followed by the uncle hashes,
// bottom-up, as 32-byte SHA-256 digests back to back.
struct hashes : hash_range {
  std::span<const std::byte> data;
  [[nodiscard]] std::size_t count() const noexcept { return data.size() / 32; }
  [[nodiscard]] sha256_hash at(std::size_t i) const noexcept {
    sha256_hash h;
    assert(i < count());
    std::memcpy(h.bytes.data(), data.data() + i * 32, 32);
    return h;
  }
  friend bool operator==(const hashes& a, const hashes& b) {
    return static_cast<const hash_range&>(a) == static_cast<const hash_range&>(b) &&
           std::ranges::equal(a.data, b.data);
  }
};

// A message id the decoder does not know; its payload is skipped (BEP 3: ignore unknown messages).
struct unknown {
  std::uint8_t id = 0;
  std::uint32_t payload_length = 0;  // bytes after the id
  friend bool operator==(const unknown&, const unknown&) = default;
};

using message = std::variant<keep_alive, choke, unchoke, interested, not_interested, have, bitfield,
                             request, piece_header, cancel, port, suggest, have_all, have_none,
                             reject, allowed_fast, extended, hash_request, hashes, hash_reject,
                             unknown>;

// A contiguous, resizable container of single-byte elements.
template <class B>
concept byte_buffer = requires(B& b, std::size_t n) {
  b.resize(n);
  { b.size() } -> std::convertible_to<std::size_t>;
  { b.data() };
} && sizeof(*std::declval<B&>().data()) == 1;

namespace detail {

inline unsigned char* put8(unsigned char* p, std::uint8_t v) noexcept {
  *p = v;
  return p + 1;
}
inline unsigned char* put16(unsigned char* p, std::uint16_t v) noexcept {
  p[0] = static_cast<unsigned char>(v >> 8);
  p[1] = static_cast<unsigned char>(v);
  return p + 2;
}
inline unsigned char* put32(unsigned char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
  return p + 4;
}
inline unsigned char* put_bytes(unsigned char* p, const void* src, std::size_t n) noexcept {
  if (n != 0) std::memcpy(p, src, n);
  return p + n;
}
inline std::uint16_t get16(const unsigned char* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t get32(const unsigned char* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Grows `out` by n bytes and returns where they start.
template <byte_buffer B>
unsigned char* grow(B& out, std::size_t n) {
  const std::size_t old = out.size();
  out.resize(old + n);
  return reinterpret_cast<unsigned char*>(out.data()) + old;
}

inline std::uint32_t frame_length(std::size_t body) noexcept {
  assert(body <= std::numeric_limits<std::uint32_t>::max());
  return static_cast<std::uint32_t>(body);
}

// Length prefix and id of a message whose body (id included) is `body` bytes.
inline unsigned char* put_head(unsigned char* p, std::size_t body, msg_id id) noexcept {
  return put8(put32(p, frame_length(body)), static_cast<std::uint8_t>(id));
}

template <byte_buffer B>
void encode_id_only(B& out, msg_id id) {
  put_head(grow(out, 5), 1, id);
}
template <byte_buffer B>
void encode_index(B& out, msg_id id, std::uint32_t index) {
  put32(put_head(grow(out, 9), 5, id), index);
}
template <byte_buffer B>
void encode_block(B& out, msg_id id, std::uint32_t index, std::uint32_t begin, std::uint32_t length) {
  put32(put32(put32(put_head(grow(out, 17), 13, id), index), begin), length);
}
inline unsigned char* put_hash_range(unsigned char* p, const hash_range& h) noexcept {
  p = put_bytes(p, h.pieces_root.bytes.data(), 32);
  p = put32(p, h.base_layer);
  p = put32(p, h.index);
  p = put32(p, h.length);
  return put32(p, h.proof_layers);
}
template <byte_buffer B>
void encode_hash_range(B& out, msg_id id, const hash_range& h) {
  put_hash_range(put_head(grow(out, 5 + hash_header_size), 1 + hash_header_size, id), h);
}

}  // namespace detail

template <byte_buffer B> void encode(B& out, keep_alive) { detail::put32(detail::grow(out, 4), 0); }
template <byte_buffer B> void encode(B& out, choke) { detail::encode_id_only(out, msg_id::choke); }
template <byte_buffer B> void encode(B& out, unchoke) { detail::encode_id_only(out, msg_id::unchoke); }
template <byte_buffer B> void encode(B& out, interested) { detail::encode_id_only(out, msg_id::interested); }
template <byte_buffer B>
void encode(B& out, not_interested) {
  detail::encode_id_only(out, msg_id::not_interested);
}
template <byte_buffer B> void encode(B& out, have_all) { detail::encode_id_only(out, msg_id::have_all); }
template <byte_buffer B> void encode(B& out, have_none) { detail::encode_id_only(out, msg_id::have_none); }

template <byte_buffer B> void encode(B& out, const have& m) { detail::encode_index(out, msg_id::have, m.index); }
template <byte_buffer B>
void encode(B& out, const suggest& m) {
  detail::encode_index(out, msg_id::suggest, m.index);
}
template <byte_buffer B>
void encode(B& out, const allowed_fast& m) {
  detail::encode_index(out, msg_id::allowed_fast, m.index);
}

template <byte_buffer B>
void encode(B& out, const bitfield& m) {
  auto* p = detail::put_head(detail::grow(out, 5 + m.bits.size()), 1 + m.bits.size(), msg_id::bitfield);
  detail::put_bytes(p, m.bits.data(), m.bits.size());
}

template <byte_buffer B>
void encode(B& out, const request& m) {
  detail::encode_block(out, msg_id::request, m.index, m.begin, m.length);
}
template <byte_buffer B>
void encode(B& out, const cancel& m) {
  detail::encode_block(out, msg_id::cancel, m.index, m.begin, m.length);
}
template <byte_buffer B>
void encode(B& out, const reject& m) {
  detail::encode_block(out, msg_id::reject, m.index, m.begin, m.length);
}

// The 13-byte head of a piece message; the caller sends m.length block bytes right after it
// (sendfile / scatter-gather write from the disk buffer).
template <byte_buffer B>
void encode(B& out, const piece_header& m) {
  auto* p = detail::put_head(detail::grow(out, piece_header_size), std::size_t{9} + m.length, msg_id::piece);
  detail::put32(detail::put32(p, m.index), m.begin);
}
// A whole piece message, block copied in.
template <byte_buffer B>
void encode_piece(B& out, std::uint32_t index, std::uint32_t begin, std::span<const std::byte> block) {
  auto* p = detail::put_head(detail::grow(out, piece_header_size + block.size()), 9 + block.size(),
                             msg_id::piece);
  detail::put_bytes(detail::put32(detail::put32(p, index), begin), block.data(), block.size());
}

template <byte_buffer B>
void encode(B& out, const port& m) {
  detail::put16(detail::put_head(detail::grow(out, 7), 3, msg_id::port), m.value);
}

template <byte_buffer B>
void encode(B& out, const extended& m) {
  auto* p = detail::put_head(detail::grow(out, 6 + m.payload.size()), 2 + m.payload.size(), msg_id::extended);
  detail::put_bytes(detail::put8(p, m.id), m.payload.data(), m.payload.size());
}
// The 6-byte head of an extended message; payload_size bytes of payload follow it.
template <byte_buffer B>
void encode_extended_header(B& out, std::uint8_t id, std::size_t payload_size) {
  detail::put8(detail::put_head(detail::grow(out, 6), 2 + payload_size, msg_id::extended), id);
}

template <byte_buffer B>
void encode(B& out, const hash_request& m) {
  detail::encode_hash_range(out, msg_id::hash_request, m);
}
template <byte_buffer B>
void encode(B& out, const hash_reject& m) {
  detail::encode_hash_range(out, msg_id::hash_reject, m);
}
template <byte_buffer B>
void encode(B& out, const hashes& m) {
  assert(m.data.size() % 32 == 0);
  const std::size_t body = 1 + hash_header_size + m.data.size();
  auto* p = detail::put_head(detail::grow(out, 4 + body), body, msg_id::hashes);
  detail::put_bytes(detail::put_hash_range(p, m), m.data.data(), m.data.size());
}

// The 5-byte head of a message with an id this codec does not know; payload_length bytes follow.
template <byte_buffer B>
void encode(B& out, const unknown& m) {
  auto* p = detail::put32(detail::grow(out, 5), detail::frame_length(std::size_t{1} + m.payload_length));
  detail::put8(p, m.id);
}

// Any message; piece_header and unknown write their head only (see above).
template <byte_buffer B>
void encode(B& out, const message& m) {
  std::visit([&out](const auto& v) { encode(out, v); }, m);
}

// Short name of a message type, for logs ("have", "hash_request", ...).
[[nodiscard]] std::string_view name(const message& m) noexcept;
[[nodiscard]] std::string_view name(msg_id id) noexcept;

}  // namespace ccbt::wire
