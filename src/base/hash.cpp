#include <ccbt/hash.hpp>

#include <algorithm>

namespace ccbt {
namespace {

constexpr char k_hex_digits[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(k_hex_digits[b >> 4]);
    out.push_back(k_hex_digits[b & 0xf]);
  }
  return out;
}

template <std::size_t N>
std::string digest<N>::to_hex() const {
  return ccbt::to_hex(view());
}

template <std::size_t N>
std::optional<digest<N>> digest<N>::from_hex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  digest d;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d.bytes[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return d;
}

template <std::size_t N>
std::optional<digest<N>> digest<N>::from_bytes(std::string_view raw) {
  if (raw.size() != N) return std::nullopt;
  digest d;
  std::copy(raw.begin(), raw.end(), reinterpret_cast<char*>(d.bytes.data()));
  return d;
}

template struct digest<20>;
template struct digest<32>;

sha1_hash info_hash::v2_truncated() const noexcept {
  sha1_hash h;
  if (v2) std::copy_n(v2->bytes.begin(), h.bytes.size(), h.bytes.begin());
  return h;
}

sha1_hash info_hash::id() const noexcept { return v1 ? *v1 : v2_truncated(); }

}  // namespace ccbt
