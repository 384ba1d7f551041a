// Multi-buffer SHA-1: up to 16 independent messages of equal length hashed at once, one message per
// 32-bit lane of AVX-512 registers (x86-64 with AVX-512F and AVX-512BW, chosen at run time).
//
// Why: a downloader's largest CPU cost is SHA-1 of the pieces it verifies. With SHA-NI, OpenSSL
// hashes one stream at ~2.2 GB/s per core here; 16 lanes of AVX-512 hash 16 pieces at ~4-5 GB/s
// together. Pieces are independent, so a verifier that has several complete pieces waiting hashes
// them in one pass (storage/piece_job.cpp decides when).
//
// Two kernels compute the same digests: the AVX-512 one (the reason this exists) and a portable
// one that hashes the lanes one after the other with the plain FIPS 180-4 rounds — no faster than
// one SHA-1 at a time, so callers use lanes only where available() says the fast kernel runs; the
// portable kernel lets the lanes' users (and their tests) run on any CPU.
//
// Invariants: every lane of one state has been fed the same number of bytes; update() takes whole
// 64-byte blocks; finish() pads all lanes for the same total length. Nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <ccbt/hash.hpp>

namespace ccbt::crypto {

class sha1_lanes {
 public:
  static constexpr unsigned max_lanes = 16;
  static constexpr std::size_t block_bytes = 64;

  enum class kernel : std::uint8_t { avx512, portable };

  // True when this CPU runs the AVX-512 kernel.
  [[nodiscard]] static bool available() noexcept;
  // The AVX-512 kernel where available(), else the portable one.
  [[nodiscard]] static kernel best() noexcept { return available() ? kernel::avx512 : kernel::portable; }

  // `lanes` messages (1..16) start empty. kernel::avx512 where !available() runs the portable one.
  explicit sha1_lanes(unsigned lanes, kernel k = best()) noexcept;

  [[nodiscard]] unsigned lanes() const noexcept { return lanes_; }
  [[nodiscard]] kernel used_kernel() const noexcept { return kernel_; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

  // Appends `len` bytes (a multiple of 64) to every lane: lane i reads data[i][0, len).
  void update(std::span<const std::byte* const> data, std::size_t len) noexcept;

  // Pads every lane, writes lane i's digest to out[i] and starts over with empty messages.
  void finish(std::span<sha1_hash> out) noexcept;

 private:
  alignas(64) std::uint32_t h_[5][max_lanes];
  std::uint64_t bytes_ = 0;
  unsigned lanes_;
  kernel kernel_;
  void reset() noexcept;
  void compress(const std::byte* const* data, std::size_t nblocks) noexcept;
};

}  // namespace ccbt::crypto
