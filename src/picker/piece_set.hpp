// piece_set — a fixed-size set of piece indices, stored as 64-bit words (piece i is bit i % 64 of
// word i / 64). Used for a peer's "which pieces do you have" and for the picker's own sets.
//
// Invariants: bits at and beyond size() in the last word are always zero; count() is kept up to date
// by set()/reset() so it is O(1). Pure value type, no allocation after construction.
#pragma once

#include <bit>
#include <cassert>
#include <cstdint>
#include <span>
#include <vector>

namespace ccbt::picker {

class piece_set {
 public:
  static constexpr std::uint32_t npos = 0xffffffffu;

  piece_set() = default;
  explicit piece_set(std::uint32_t size, bool all = false)
      : words_((static_cast<std::size_t>(size) + 63) / 64, all ? ~std::uint64_t{0} : 0), size_(size) {
    if (all) {
      count_ = size;
      clear_tail();
    }
  }

  [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
  [[nodiscard]] std::uint32_t count() const noexcept { return count_; }
  [[nodiscard]] bool all() const noexcept { return count_ == size_; }
  [[nodiscard]] bool none() const noexcept { return count_ == 0; }

  [[nodiscard]] bool test(std::uint32_t i) const noexcept {
    assert(i < size_);
    return (words_[i >> 6] >> (i & 63)) & 1u;
  }
  // Returns true when the bit changed.
  bool set(std::uint32_t i) noexcept {
    assert(i < size_);
    const std::uint64_t m = std::uint64_t{1} << (i & 63);
    std::uint64_t& w = words_[i >> 6];
    if (w & m) return false;
    w |= m;
    ++count_;
    return true;
  }
  bool reset(std::uint32_t i) noexcept {
    assert(i < size_);
    const std::uint64_t m = std::uint64_t{1} << (i & 63);
    std::uint64_t& w = words_[i >> 6];
    if (!(w & m)) return false;
    w &= ~m;
    --count_;
    return true;
  }

  // First set bit at or after `from`, or npos.
  [[nodiscard]] std::uint32_t find_next(std::uint32_t from) const noexcept {
    if (from >= size_) return npos;
    std::size_t wi = from >> 6;
    std::uint64_t w = words_[wi] & (~std::uint64_t{0} << (from & 63));
    while (true) {
      if (w) return static_cast<std::uint32_t>(wi * 64 + static_cast<std::size_t>(std::countr_zero(w)));
      if (++wi == words_.size()) return npos;
      w = words_[wi];
    }
  }

  [[nodiscard]] std::span<const std::uint64_t> words() const noexcept { return words_; }

  friend bool operator==(const piece_set& a, const piece_set& b) noexcept {
    return a.size_ == b.size_ && a.words_ == b.words_;
  }

 private:
  void clear_tail() noexcept {
    if (const auto r = size_ & 63; r != 0) words_.back() &= (std::uint64_t{1} << r) - 1;
  }

  std::vector<std::uint64_t> words_;
  std::uint32_t size_ = 0;
  std::uint32_t count_ = 0;
};

}  // namespace ccbt::picker
