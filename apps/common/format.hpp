// Human-readable sizes, rates and durations for the command-line apps, and parsing of sizes typed
// by users ("256KiB", "1MiB", "16k", "4 M", "1048576").
//
// Binary units throughout (KiB = 1024 B); a bare k/M/G suffix is read as KiB/MiB/GiB too, since
// that is what a piece size means. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccbt::apps {

// "0 B", "512 B", "1.5 KiB", "16 MiB", "2.25 GiB" (three significant digits at most).
[[nodiscard]] std::string format_size(std::uint64_t bytes);
// format_size(bytes_per_second) + "/s".
[[nodiscard]] std::string format_rate(double bytes_per_second);
// "0:07", "12:34", "1:02:03".
[[nodiscard]] std::string format_duration(double seconds);

// Parses a byte count: digits with an optional fraction, optional spaces, optional unit
// (B, k/K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB; case-insensitive). nullopt when malformed, when
// the result is not a whole number of bytes or when it overflows.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);

// `--stream FILE[:OFFSET]` of ccbt and btbt: a file index (digits) and a byte offset as for
// parse_size ("0", "1:4MiB", "2:1048576"); nullopt when malformed.
struct stream_spec {
  std::size_t file = 0;
  std::uint64_t offset = 0;
};
[[nodiscard]] std::optional<stream_spec> parse_stream_spec(std::string_view text);

}  // namespace ccbt::apps
