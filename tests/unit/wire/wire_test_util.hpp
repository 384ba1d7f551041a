// Helpers shared by the wire unit tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <ccbt/error.hpp>

#include "wire/decoder.hpp"
#include "wire/messages.hpp"

namespace ccbt::wire::test {

// "00 0a ff" -> bytes (spaces ignored).
inline std::string unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (const char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;
    if (hi < 0) {
      hi = v;
    } else {
      out += static_cast<char>(hi * 16 + v);
      hi = -1;
    }
  }
  return out;
}

inline std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += digits[u >> 4];
    out += digits[u & 15];
  }
  return out;
}

inline features all_features() { return {true, true, true, true}; }

inline decoder_options opts_all(std::optional<std::uint32_t> num_pieces = std::nullopt) {
  decoder_options o;
  o.negotiated = all_features();
  o.num_pieces = num_pieces;
  return o;
}

// The outcome of decoding a whole stream: every message re-encoded to its frame (a piece message
// with its block; an unknown message as its 5-byte head only, its skipped bytes are not kept), the
// message names, and the error that stopped it, if any.
struct stream_result {
  std::vector<std::string> frames;
  std::vector<std::string> names;
  std::optional<error> err;
};

// Feeds `in` in chunks of `chunk` bytes (0 = all at once) and decodes until the input is used up
// or an error. Piece blocks are collected with take_payload().
inline stream_result decode_stream(std::string_view in, const decoder_options& o, std::size_t chunk = 0) {
  stream_result r;
  decoder dec(o);
  std::size_t pos = 0;
  std::string block;
  piece_header pending{};
  bool has_pending = false;
  for (;;) {
    for (;;) {
      if (dec.in_payload()) {
        std::string tmp(dec.payload_remaining(), '\0');
        const std::size_t n = dec.take_payload(std::as_writable_bytes(std::span<char>(tmp.data(), tmp.size())));
        block.append(tmp, 0, n);
        if (dec.in_payload()) break;  // needs more input
      }
      if (has_pending && !dec.in_payload()) {
        std::string f;
        encode_piece(f, pending.index, pending.begin,
                     std::as_bytes(std::span<const char>(block.data(), block.size())));
        r.frames.push_back(std::move(f));
        r.names.emplace_back("piece");
        has_pending = false;
        block.clear();
      }
      auto m = dec.next();
      if (!m) {
        r.err = m.error();
        return r;
      }
      if (!*m) {
        if (dec.in_payload()) continue;
        break;
      }
      if (const auto* h = std::get_if<piece_header>(&**m)) {
        pending = *h;
        has_pending = true;
        continue;
      }
      std::string f;
      encode(f, **m);
      r.frames.push_back(std::move(f));
      r.names.emplace_back(name(**m));
    }
    if (pos >= in.size()) return r;
    const std::size_t n = chunk == 0 ? in.size() - pos : std::min(chunk, in.size() - pos);
    const std::size_t used = dec.feed(in.substr(pos, n));
    if (used == 0) throw std::runtime_error("decoder took no input and yielded nothing");
    pos += used;
  }
}

}  // namespace ccbt::wire::test
