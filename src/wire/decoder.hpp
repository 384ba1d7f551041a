// Sans-io framing decoder for the peer wire message stream (everything after the handshake).
//
// The decoder owns a bounded receive buffer. The I/O layer reads socket bytes into prepare() and
// reports them with commit(n) (or hands over bytes it already has with feed()); next() then yields
// one typed, validated message at a time, or nothing when it needs more input:
//
//   for (;;) {
//     auto m = dec.next();
//     if (!m) { close(m.error().message()); break; }   // protocol violation: end this connection
//     if (!*m) break;                                   // needs input
//     handle(**m);                                      // views in m stay valid until the next call
//   }
//   if (dec.in_payload()) { ...block bytes, see below... } else { read into dec.prepare(); commit }
//
// Zero-copy blocks: a piece message is yielded as a piece_header as soon as its 13-byte head is
// in; the decoder then waits in the payload state for piece_header::length block bytes, which the
// caller moves straight into the block's final buffer:
//   1. take_payload(dst) copies the bytes that were already read ahead into the receive buffer
//      (at most decoder_options::read_ahead of them) and returns how many;
//   2. the caller reads the rest of the block from the socket directly into dst and reports each
//      read with payload_consumed(n);
//   3. when payload_remaining() is 0, next() goes on with the next message.
// A caller with no buffer for the block (unrequested, cancelled) calls skip_payload() instead; a
// caller that prefers copying (encrypted streams, tests) keeps using prepare()/commit()/feed()
// and take_payload().
//
// Invariants: memory stays below max frame + read_ahead whatever the peer sends; every length is
// checked against its message id as soon as the id byte arrives, before the body is buffered, so
// an oversized message costs 5 bytes; errors are sticky (next() repeats the first one) and carry the
// message's stream offset and a context naming the message and the values involved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ccbt/error.hpp>

#include "wire/errors.hpp"
#include "wire/handshake.hpp"
#include "wire/messages.hpp"

namespace ccbt::wire {

struct decoder_options {
  // Largest message body (id + payload) accepted, for every message. A bitfield may exceed it
  // when num_pieces is known and needs more. Raised to at least 9 + max_block_size.
  std::uint32_t max_message_size = 1024 * 1024;
  // Largest block in piece / request / cancel / reject messages.
  std::uint32_t max_block_size = default_block_size;
  // How much more than the current need prepare() offers: bigger means fewer reads for small
  // messages, smaller means fewer block bytes copied out of the receive buffer.
  std::uint32_t read_ahead = 1024;
  // Unknown message ids are skipped (BEP 3); this many per connection, then it is an error.
  std::uint32_t max_unknown_messages = 256;
  // Largest `length` of a hashes message (libtorrent's limit: 8192 hashes = 128 MiB pieces).
  std::uint32_t max_hash_count = 8192;
  // The torrent's piece count, once known (not yet for a magnet link without metadata): piece
  // indexes are then range-checked and the bitfield size and spare bits verified.
  std::optional<std::uint32_t> num_pieces;
  // The nominal piece length, once known: begin + length of a block must not pass it.
  std::optional<std::uint32_t> piece_length;
  // Extensions both sides announced in the handshake; messages of the others are errors.
  features negotiated;
};

class decoder {
 public:
  explicit decoder(decoder_options opts = {});

  // Options may change between messages (metadata arrived: num_pieces, piece_length).
  void set_features(const features& f) noexcept { opt_.negotiated = f; }
  void set_geometry(std::optional<std::uint32_t> num_pieces, std::optional<std::uint32_t> piece_length);
  [[nodiscard]] const decoder_options& options() const noexcept { return opt_; }

  // ---- Input ----------------------------------------------------------------------------------
  // Writable space in the receive buffer for the next read: at least what the current message part
  // still needs, plus read_ahead, at least size_hint if the bound allows. Empty after an error or
  // when the buffer is at its bound (call next() first). Invalidates views from earlier messages.
  [[nodiscard]] std::span<std::byte> prepare(std::size_t size_hint = 0);
  // n bytes were written at the start of the last prepare() span (n <= its size).
  void commit(std::size_t n);
  // Copies bytes in (prepare + commit); returns how many fit (all of them unless the buffer is at
  // its bound: call next() and feed the rest).
  std::size_t feed(std::span<const std::byte> bytes);
  std::size_t feed(std::string_view bytes) {
    return feed(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
  }

  // ---- Output ---------------------------------------------------------------------------------
  // The next message, nullopt if more input is needed (or a block payload is pending: see
  // in_payload()), or the protocol violation that ends the connection.
  [[nodiscard]] result<std::optional<message>> next();

  // ---- Block payload (after next() yielded a piece_header) ------------------------------------
  [[nodiscard]] bool in_payload() const noexcept { return st_ == state::payload && remaining_ > 0; }
  [[nodiscard]] std::uint32_t payload_remaining() const noexcept {
    return st_ == state::payload ? remaining_ : 0;
  }
  // Block bytes already in the receive buffer.
  [[nodiscard]] std::span<const std::byte> buffered_payload() const noexcept;
  // Copies up to dst.size() buffered block bytes to dst and consumes them.
  std::size_t take_payload(std::span<std::byte> dst);
  // n block bytes were delivered: first from buffered_payload() (which the caller copied), the rest
  // read by the caller directly from the socket. Precondition: n <= payload_remaining().
  void payload_consumed(std::size_t n);
  // Drops the rest of the current block (its bytes are read and discarded).
  void skip_payload();

  // ---- State ----------------------------------------------------------------------------------
  [[nodiscard]] bool failed() const noexcept { return st_ == state::failed; }
  // Bytes in the receive buffer not yet consumed.
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }
  // Bytes of the stream consumed so far (messages and block payload).
  [[nodiscard]] std::uint64_t stream_offset() const noexcept { return consumed_; }

 private:
  enum class state : std::uint8_t { length, id, body, piece_head, payload, skip, failed };

  [[nodiscard]] const unsigned char* data() const noexcept;
  void consume(std::size_t n) noexcept;
  [[nodiscard]] std::size_t needed() const noexcept;
  [[nodiscard]] std::size_t capacity_bound() const noexcept;
  [[nodiscard]] std::uint64_t bitfield_bytes() const noexcept;
  tl::unexpected<error> fail(errc e, std::string context);
  [[nodiscard]] std::optional<error> check_frame() const;
  [[nodiscard]] result<message> parse_body(const unsigned char* p, std::size_t n) const;
  [[nodiscard]] std::optional<error> check_index(std::string_view what, std::uint32_t index) const;
  [[nodiscard]] std::optional<error> check_block(std::string_view what, std::uint32_t index,
                                                 std::uint32_t begin, std::uint32_t length) const;
  [[nodiscard]] error make(errc e, std::string context) const;

  decoder_options opt_;
  std::vector<std::byte> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t prepared_ = 0;  // size of the last prepare() span
  state st_ = state::length;
  std::uint8_t id_ = 0;
  std::uint32_t len_ = 0;        // current message body length (id included)
  std::uint32_t remaining_ = 0;  // block or skipped bytes still to come
  std::uint32_t unknown_count_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint64_t msg_offset_ = 0;  // stream offset of the current message's length prefix
  std::optional<error> error_;
};

}  // namespace ccbt::wire
