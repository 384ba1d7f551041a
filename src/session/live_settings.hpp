// Which settings the running session applies live and which wait for a restart, and how the rate
// settings reach the bandwidth limiter. Used by session_impl::apply_settings().
#pragma once

#include <string>
#include <vector>

#include <ccbt/settings.hpp>

namespace ccbt::session_detail {

class bandwidth;

// Configuration names (docs/configuration.md) of the restart-only settings that differ.
[[nodiscard]] std::vector<std::string> restart_keys(const settings& running, const settings& wanted);
// `wanted` with every restart-only setting taken from `running`.
[[nodiscard]] settings keep_restart_keys(const settings& running, const settings& wanted);
// Global and per-peer rate limits, both directions.
void apply_rate_settings(bandwidth& bw, const settings& s);

}  // namespace ccbt::session_detail
