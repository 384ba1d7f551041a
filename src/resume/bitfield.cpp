#include "resume/bitfield.hpp"

#include <bit>
#include <string>

#include "resume/errc.hpp"

namespace ccbt::resume {

result<bitfield> bitfield::from_bytes(std::uint32_t pieces, std::string_view bytes) {
  bitfield b(pieces);
  if (bytes.size() != b.bytes_.size()) {
    return make_error(errc::invalid_argument, "bitfield of " + std::to_string(pieces) +
                                                  " pieces needs " + std::to_string(b.bytes_.size()) +
                                                  " bytes, got " + std::to_string(bytes.size()));
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) b.bytes_[i] = static_cast<std::uint8_t>(bytes[i]);
  if (const unsigned spare = (8 - pieces % 8) % 8; spare != 0) {
    const auto mask = static_cast<std::uint8_t>((1u << spare) - 1);
    if ((b.bytes_.back() & mask) != 0) {
      return make_error(errc::invalid_argument, "bitfield has bits set past the last piece",
                        bytes.size() - 1);
    }
  }
  return b;
}

void bitfield::merge(const bitfield& o) noexcept {
  for (std::size_t i = 0; i < bytes_.size() && i < o.bytes_.size(); ++i) {
    bytes_[i] = static_cast<std::uint8_t>(bytes_[i] | o.bytes_[i]);
  }
}

std::uint32_t bitfield::count() const noexcept {
  std::uint32_t n = 0;
  for (auto b : bytes_) n += static_cast<std::uint32_t>(std::popcount(b));
  return n;
}

}  // namespace ccbt::resume
