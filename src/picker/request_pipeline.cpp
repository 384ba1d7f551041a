#include "picker/request_pipeline.hpp"

#include <algorithm>
#include <cmath>

#include "picker/piece_picker.hpp"

namespace ccbt::picker {

std::uint32_t request_pipeline::target(std::uint64_t rate_bytes_per_s, bool snubbed,
                                       std::uint32_t peer_reqq) const noexcept {
  const std::uint32_t reqq = peer_reqq == 0 ? config_.default_reqq : peer_reqq;
  const std::uint32_t hi = std::max<std::uint32_t>(1, std::min(reqq, config_.max_depth));
  const std::uint32_t lo = std::min(snubbed ? 1u : std::max<std::uint32_t>(1, config_.min_depth), hi);
  const double blocks = std::ceil(static_cast<double>(rate_bytes_per_s) * config_.target_latency_s / block_size);
  if (!(blocks < static_cast<double>(hi))) return hi;  // also catches NaN / huge rates
  return std::max(lo, static_cast<std::uint32_t>(blocks));
}

std::uint32_t request_pipeline::depth(std::uint64_t rate_bytes_per_s, bool snubbed,
                                      std::uint32_t peer_reqq) const noexcept {
  if (snubbed) return 1;
  return std::max<std::uint32_t>(1, std::min(target(rate_bytes_per_s, false, peer_reqq), window_));
}

void request_pipeline::on_block_received(std::uint64_t rate_bytes_per_s, std::uint32_t peer_reqq) noexcept {
  const std::uint32_t t = target(rate_bytes_per_s, false, peer_reqq);
  if (window_ < t)
    ++window_;
  else
    window_ = std::max(t, config_.initial_depth);  // follow the target down
}

void request_pipeline::on_timeout() noexcept {
  window_ = std::max(config_.initial_depth, window_ / 2);
}

}  // namespace ccbt::picker
