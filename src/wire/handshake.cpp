#include "wire/handshake.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

#include "wire/errors.hpp"

namespace ccbt::wire {

result<std::size_t> handshake_parser::feed(std::span<const std::byte> in) {
  if (error_) return tl::unexpected(*error_);
  const std::size_t target = have_ < handshake_info_hash_end ? handshake_info_hash_end : handshake_size;
  const std::size_t n = std::min(in.size(), target - have_);
  if (n != 0) std::memcpy(buf_.data() + have_, in.data(), n);
  // Check the protocol string bytes that just arrived (positions 0..19).
  for (std::size_t i = have_; i < have_ + n && i < 1 + protocol_string.size(); ++i) {
    const auto expected = i == 0 ? static_cast<std::uint8_t>(protocol_string.size())
                                 : static_cast<std::uint8_t>(protocol_string[i - 1]);
    if (buf_[i] != expected) {
      error_ = error{make_error_code(errc::bad_protocol_string), i,
                     "handshake byte " + std::to_string(i) + " is " + std::to_string(buf_[i]) +
                         ", expected " + std::to_string(expected)};
      return tl::unexpected(*error_);
    }
  }
  have_ += n;
  return n;
}

handshake_parser::stage handshake_parser::progress() const noexcept {
  if (done()) return stage::done;
  if (has_info_hash()) return stage::info_hash;
  return stage::reading;
}

std::size_t handshake_parser::bytes_needed() const noexcept {
  return (have_ < handshake_info_hash_end ? handshake_info_hash_end : handshake_size) - have_;
}

reserved_bits handshake_parser::reserved() const noexcept {
  assert(has_info_hash());
  reserved_bits r;
  std::memcpy(r.bytes.data(), buf_.data() + 20, 8);
  return r;
}

sha1_hash handshake_parser::info_hash() const noexcept {
  assert(has_info_hash());
  sha1_hash h;
  std::memcpy(h.bytes.data(), buf_.data() + 28, 20);
  return h;
}

peer_id handshake_parser::id() const noexcept {
  assert(done());
  peer_id p{};
  std::memcpy(p.data(), buf_.data() + 48, 20);
  return p;
}

handshake handshake_parser::value() const noexcept { return {reserved(), info_hash(), id()}; }

}  // namespace ccbt::wire
