// A byte-rate meter over a sliding window of one-second buckets (no clock inside: the caller ticks).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ccbt::session_detail {

class rate_meter {
 public:
  static constexpr std::size_t window = 5;  // seconds averaged

  void add(std::uint64_t bytes) noexcept {
    current_ += bytes;
    total_ += bytes;
  }
  // Closes the current one-second bucket.
  void tick() noexcept {
    sum_ -= buckets_[pos_];
    buckets_[pos_] = current_;
    sum_ += current_;
    current_ = 0;
    pos_ = (pos_ + 1) % window;
    if (filled_ < window) ++filled_;
  }
  [[nodiscard]] std::int64_t rate() const noexcept {
    return filled_ == 0 ? 0 : static_cast<std::int64_t>(sum_ / filled_);
  }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }

 private:
  std::array<std::uint64_t, window> buckets_{};
  std::uint64_t current_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t total_ = 0;
  std::size_t pos_ = 0;
  std::size_t filled_ = 0;
};

}  // namespace ccbt::session_detail
