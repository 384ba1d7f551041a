// resume::bitfield — the set of verified pieces of one torrent, in BitTorrent wire order
// (piece 0 is the most significant bit of byte 0, as in the peer `bitfield` message).
//
// Invariants: bytes().size() == (size() + 7) / 8 and the spare bits after the last piece are zero,
// so two bitfields with the same pieces compare equal and bytes() can be sent to peers as is.
// (A bitfield type for the whole engine belongs in src/base; this one is the store's own until then.)
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <ccbt/error.hpp>

namespace ccbt::resume {

class bitfield {
 public:
  bitfield() = default;
  explicit bitfield(std::uint32_t pieces) : size_(pieces), bytes_((std::size_t{pieces} + 7) / 8) {}

  // From wire-order bytes: exactly (pieces + 7) / 8 bytes with zero spare bits, else
  // errc::invalid_argument.
  [[nodiscard]] static result<bitfield> from_bytes(std::uint32_t pieces, std::string_view bytes);

  [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
  // i < size() is required.
  [[nodiscard]] bool test(std::uint32_t i) const noexcept {
    return (bytes_[i >> 3] & (0x80u >> (i & 7))) != 0;
  }
  void set(std::uint32_t i) noexcept {
    bytes_[i >> 3] = static_cast<std::uint8_t>(bytes_[i >> 3] | (0x80u >> (i & 7)));
  }
  void reset(std::uint32_t i) noexcept {
    bytes_[i >> 3] = static_cast<std::uint8_t>(bytes_[i >> 3] & ~(0x80u >> (i & 7)));
  }
  // Sets every bit that is set in `o` (same size required).
  void merge(const bitfield& o) noexcept;

  [[nodiscard]] std::uint32_t count() const noexcept;  // pieces set
  [[nodiscard]] bool all() const noexcept { return count() == size_; }
  [[nodiscard]] bool none() const noexcept { return count() == 0; }

  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

  friend bool operator==(const bitfield&, const bitfield&) = default;

 private:
  std::uint32_t size_ = 0;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace ccbt::resume
