// The AVX-512 kernel of sha1_lanes (FIPS 180-4 SHA-1, one message per 32-bit lane).
//
// Per 64-byte block of each lane: the 16 lanes' blocks are loaded as 16 rows and transposed so that
// register t holds message word t of every lane; the 80 rounds then run on all lanes at once. The
// round functions are single vpternlogd instructions (Ch 0xCA, Parity 0x96, Maj 0xE8) and the
// rotations vprold. Compiled for AVX-512 through function attributes only, so the rest of the
// program keeps the baseline ISA; available() checks the CPU before anything calls in. The
// portable kernel (compress_portable) runs the same rounds on one lane at a time.
#include "crypto/sha1_lanes.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_epi32(), which -Wmaybe-uninitialized
// reports inside every inlined intrinsic (a false positive, GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#define CCBT_SHA1_LANES_X86 1
#else
#define CCBT_SHA1_LANES_X86 0
#endif

namespace ccbt::crypto {
namespace {

constexpr std::uint32_t iv[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};

#if CCBT_SHA1_LANES_X86
#define CCBT_AVX512 __attribute__((target("avx512f,avx512bw")))

// 16x16 transpose of 32-bit elements: afterwards r[t] holds element t of every input row.
CCBT_AVX512 inline void transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    r[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
    r[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd);
  }
}

CCBT_AVX512 void compress16(std::uint32_t h[5][16], const std::byte* const* data, std::size_t nblocks) {
  const __m512i bswap = _mm512_set_epi8(60, 61, 62, 63, 56, 57, 58, 59, 52, 53, 54, 55, 48, 49, 50, 51, 44, 45,
                                        46, 47, 40, 41, 42, 43, 36, 37, 38, 39, 32, 33, 34, 35, 28, 29, 30, 31,
                                        24, 25, 26, 27, 20, 21, 22, 23, 16, 17, 18, 19, 12, 13, 14, 15, 8, 9,
                                        10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
  const __m512i k0 = _mm512_set1_epi32(0x5A827999);
  const __m512i k1 = _mm512_set1_epi32(0x6ED9EBA1);
  const __m512i k2 = _mm512_set1_epi32(static_cast<int>(0x8F1BBCDCu));
  const __m512i k3 = _mm512_set1_epi32(static_cast<int>(0xCA62C1D6u));
  __m512i h0 = _mm512_load_si512(h[0]);
  __m512i h1 = _mm512_load_si512(h[1]);
  __m512i h2 = _mm512_load_si512(h[2]);
  __m512i h3 = _mm512_load_si512(h[3]);
  __m512i h4 = _mm512_load_si512(h[4]);
  for (std::size_t n = 0; n < nblocks; ++n) {
    __m512i w[16];
    for (int l = 0; l < 16; ++l) w[l] = _mm512_loadu_si512(data[l] + n * 64);
    transpose16(w);
    for (auto& x : w) x = _mm512_shuffle_epi8(x, bswap);
    __m512i a = h0, b = h1, c = h2, d = h3, e = h4;
// One round: f is the vpternlogd immediate of the round function.
#define CCBT_SHA1_ROUND(F, K, WT)                                                                  \
  do {                                                                                             \
    const __m512i t_ = _mm512_add_epi32(                                                           \
        _mm512_add_epi32(_mm512_rol_epi32(a, 5), _mm512_ternarylogic_epi32(b, c, d, F)),           \
        _mm512_add_epi32(_mm512_add_epi32(e, K), WT));                                             \
    e = d;                                                                                         \
    d = c;                                                                                         \
    c = _mm512_rol_epi32(b, 30);                                                                   \
    b = a;                                                                                         \
    a = t_;                                                                                        \
  } while (0)
// Message schedule: W[t] = rol1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16]), in a ring of 16.
#define CCBT_SHA1_SCHED(T)                                                                          \
  (w[(T) & 15] = _mm512_rol_epi32(                                                                  \
       _mm512_xor_si512(_mm512_ternarylogic_epi32(w[((T) - 3) & 15], w[((T) - 8) & 15],              \
                                                  w[((T) - 14) & 15], 0x96),                         \
                        w[(T) & 15]),                                                                \
       1))
    for (int t = 0; t < 16; ++t) CCBT_SHA1_ROUND(0xCA, k0, w[t]);
    for (int t = 16; t < 20; ++t) CCBT_SHA1_ROUND(0xCA, k0, CCBT_SHA1_SCHED(t));
    for (int t = 20; t < 40; ++t) CCBT_SHA1_ROUND(0x96, k1, CCBT_SHA1_SCHED(t));
    for (int t = 40; t < 60; ++t) CCBT_SHA1_ROUND(0xE8, k2, CCBT_SHA1_SCHED(t));
    for (int t = 60; t < 80; ++t) CCBT_SHA1_ROUND(0x96, k3, CCBT_SHA1_SCHED(t));
#undef CCBT_SHA1_SCHED
#undef CCBT_SHA1_ROUND
    h0 = _mm512_add_epi32(h0, a);
    h1 = _mm512_add_epi32(h1, b);
    h2 = _mm512_add_epi32(h2, c);
    h3 = _mm512_add_epi32(h3, d);
    h4 = _mm512_add_epi32(h4, e);
  }
  _mm512_store_si512(h[0], h0);
  _mm512_store_si512(h[1], h1);
  _mm512_store_si512(h[2], h2);
  _mm512_store_si512(h[3], h3);
  _mm512_store_si512(h[4], h4);
}
#endif

constexpr std::uint32_t rol(std::uint32_t x, int n) noexcept { return (x << n) | (x >> (32 - n)); }

// FIPS 180-4 SHA-1 compression of `nblocks` blocks of lanes [0, lanes), one lane after the other.
void compress_portable(std::uint32_t h[5][16], const std::byte* const* data, std::size_t nblocks,
                       unsigned lanes) noexcept {
  for (unsigned l = 0; l < lanes; ++l) {
    std::uint32_t s[5] = {h[0][l], h[1][l], h[2][l], h[3][l], h[4][l]};
    for (std::size_t n = 0; n < nblocks; ++n) {
      const std::byte* p = data[l] + n * 64;
      std::uint32_t w[80];
      for (int t = 0; t < 16; ++t)
        w[t] = std::uint32_t{std::to_integer<std::uint8_t>(p[4 * t])} << 24 |
               std::uint32_t{std::to_integer<std::uint8_t>(p[4 * t + 1])} << 16 |
               std::uint32_t{std::to_integer<std::uint8_t>(p[4 * t + 2])} << 8 |
               std::uint32_t{std::to_integer<std::uint8_t>(p[4 * t + 3])};
      for (int t = 16; t < 80; ++t) w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
      std::uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4];
      for (int t = 0; t < 80; ++t) {
        std::uint32_t f = 0, k = 0;
        if (t < 20) {
          f = (b & c) | (~b & d);
          k = 0x5A827999u;
        } else if (t < 40) {
          f = b ^ c ^ d;
          k = 0x6ED9EBA1u;
        } else if (t < 60) {
          f = (b & c) | (b & d) | (c & d);
          k = 0x8F1BBCDCu;
        } else {
          f = b ^ c ^ d;
          k = 0xCA62C1D6u;
        }
        const std::uint32_t tmp = rol(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = tmp;
      }
      s[0] += a;
      s[1] += b;
      s[2] += c;
      s[3] += d;
      s[4] += e;
    }
    for (int i = 0; i < 5; ++i) h[i][l] = s[i];
  }
}

}  // namespace

bool sha1_lanes::available() noexcept {
#if CCBT_SHA1_LANES_X86
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return yes;
#else
  return false;
#endif
}

sha1_lanes::sha1_lanes(unsigned lanes, kernel k) noexcept
    : lanes_(std::clamp(lanes, 1u, max_lanes)), kernel_(available() ? k : kernel::portable) {
  reset();
}

void sha1_lanes::compress(const std::byte* const* data, std::size_t nblocks) noexcept {
#if CCBT_SHA1_LANES_X86
  if (kernel_ == kernel::avx512) {
    compress16(h_, data, nblocks);
    return;
  }
#endif
  compress_portable(h_, data, nblocks, lanes_);
}

void sha1_lanes::reset() noexcept {
  for (int i = 0; i < 5; ++i) std::fill(std::begin(h_[i]), std::end(h_[i]), iv[i]);
  bytes_ = 0;
}

void sha1_lanes::update(std::span<const std::byte* const> data, std::size_t len) noexcept {
  assert(len % block_bytes == 0 && data.size() >= lanes_);
  if (len == 0) return;
  // Unused lanes hash lane 0's data again; their results are never read.
  const std::byte* ptr[max_lanes];
  for (unsigned i = 0; i < max_lanes; ++i) ptr[i] = data[i < lanes_ ? i : 0];
  compress(ptr, len / block_bytes);
  bytes_ += len;
}

void sha1_lanes::finish(std::span<sha1_hash> out) noexcept {
  assert(out.size() >= lanes_);
  // Every lane has the same length, so the padding block is the same for all of them.
  alignas(64) std::byte pad[block_bytes]{};
  pad[0] = std::byte{0x80};
  const std::uint64_t bits = bytes_ * 8;
  for (int i = 0; i < 8; ++i) pad[block_bytes - 1 - static_cast<std::size_t>(i)] = static_cast<std::byte>(bits >> (8 * i));
  const std::byte* ptr[max_lanes];
  std::fill(std::begin(ptr), std::end(ptr), pad);
  compress(ptr, 1);
  for (unsigned l = 0; l < lanes_; ++l) {
    for (int i = 0; i < 5; ++i) {
      const std::uint32_t v = h_[i][l];
      out[l].bytes[static_cast<std::size_t>(4 * i)] = static_cast<std::uint8_t>(v >> 24);
      out[l].bytes[static_cast<std::size_t>(4 * i + 1)] = static_cast<std::uint8_t>(v >> 16);
      out[l].bytes[static_cast<std::size_t>(4 * i + 2)] = static_cast<std::uint8_t>(v >> 8);
      out[l].bytes[static_cast<std::size_t>(4 * i + 3)] = static_cast<std::uint8_t>(v);
    }
  }
  reset();
}

}  // namespace ccbt::crypto
