// Multi-buffer SHA-1: up to 16 independent messages of equal length hashed at once, one message per
// 32-bit lane of AVX-512 registers (x86-64 with AVX-512F and AVX-512BW, chosen at run time).
//
// Why: a downloader's largest CPU cost is SHA-1 of the pieces it verifies. With SHA-NI, OpenSSL
// hashes one stream at ~2.2 GB/s per core here; 16 lanes of AVX-512 hash 16 pieces at ~4-5 GB/s
// together. Pieces are independent, so a verifier that has several complete pieces waiting hashes
// them in one pass (storage/piece_job.cpp decides when).
//
// Invariants: every lane of one state has been fed the same number of bytes; update() takes whole
// 64-byte blocks; finish() pads all lanes for the same total length. Nothing here allocates.
// Where the CPU lacks AVX-512 (available() == false) the functions must not be called.
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

  // True when this CPU runs the AVX-512 kernel.
  [[nodiscard]] static bool available() noexcept;

  // `lanes` messages (1..16) start empty.
  explicit sha1_lanes(unsigned lanes) noexcept;

  [[nodiscard]] unsigned lanes() const noexcept { return lanes_; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

  // Appends `len` bytes (a multiple of 64) to every lane: lane i reads data[i][0, len).
  void update(std::span<const std::byte* const> data, std::size_t len) noexcept;

  // Pads every lane, writes lane i's digest to out[i] and starts over with empty messages.
  void finish(std::span<sha1_hash> out) noexcept;

 private:
  alignas(64) std::uint32_t h_[5][max_lanes];
  std::uint64_t bytes_ = 0;
  unsigned lanes_;
  void reset() noexcept;
};

}  // namespace ccbt::crypto
