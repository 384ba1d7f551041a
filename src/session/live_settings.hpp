// How the rate settings reach the bandwidth limiter. Used by session_impl::apply_settings(); which
// settings apply live and which wait for a restart is the configuration's key table (config::diff,
// config::merge_live).
#pragma once

#include <ccbt/settings.hpp>

namespace ccbt::session_detail {

class bandwidth;

// Global and per-peer rate limits, both directions.
void apply_rate_settings(bandwidth& bw, const settings& s);

}  // namespace ccbt::session_detail
