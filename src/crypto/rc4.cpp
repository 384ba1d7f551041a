#include "crypto/rc4.hpp"

#include <utility>

namespace ccbt::crypto {

rc4::rc4(std::span<const std::uint8_t> key) noexcept {
  for (std::size_t i = 0; i < 256; ++i) s_[i] = static_cast<std::uint8_t>(i);
  std::uint8_t j = 0;
  const std::size_t n = key.empty() ? 1 : key.size();
  for (std::size_t i = 0; i < 256; ++i) {
    j = static_cast<std::uint8_t>(j + s_[i] + (key.empty() ? 0 : key[i % n]));
    std::swap(s_[i], s_[j]);
  }
}

void rc4::process(void* data, std::size_t n) noexcept {
  auto* p = static_cast<std::uint8_t*>(data);
  std::uint8_t i = i_, j = j_;
  for (std::size_t k = 0; k < n; ++k) {
    i = static_cast<std::uint8_t>(i + 1);
    const std::uint8_t si = s_[i];
    j = static_cast<std::uint8_t>(j + si);
    const std::uint8_t sj = s_[j];
    s_[i] = sj;
    s_[j] = si;
    p[k] ^= s_[static_cast<std::uint8_t>(si + sj)];
  }
  i_ = i;
  j_ = j;
}

void rc4::discard(std::size_t n) noexcept {
  std::array<std::uint8_t, 256> scratch{};
  while (n != 0) {
    const std::size_t k = n < scratch.size() ? n : scratch.size();
    process(scratch.data(), k);
    n -= k;
  }
}

}  // namespace ccbt::crypto
