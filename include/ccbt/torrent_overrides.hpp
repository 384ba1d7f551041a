// Per-torrent overrides of session settings: what one torrent does differently from the rest.
//
// Every field is optional: unset = follow the session's settings (and their live changes). Set in
// add_torrent_params::overrides or live with torrent_handle::set_overrides(); read back with
// torrent_handle::overrides(). With a resume store they are saved with the torrent and restored when
// the same torrent is added again (fields set in add_torrent_params win over the saved ones).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <ccbt/settings.hpp>

namespace ccbt {

struct torrent_overrides {
  std::optional<std::int64_t> download_rate_limit;  // bytes/s for this torrent, 0 = unlimited
  std::optional<std::int64_t> upload_rate_limit;    // bytes/s for this torrent, 0 = unlimited
  std::optional<int> max_connections;               // instead of settings::max_connections_per_torrent
  std::optional<int> unchoke_slots;                 // instead of settings::unchoke_slots
  std::optional<piece_strategy> strategy;           // instead of settings::strategy (sequential: in order)

  [[nodiscard]] bool empty() const noexcept {
    return !download_rate_limit && !upload_rate_limit && !max_connections && !unchoke_slots && !strategy;
  }
  friend bool operator==(const torrent_overrides&, const torrent_overrides&) = default;
};

// Streaming: the pieces around a byte position of one file are fetched first, in order (a media
// player's read position), plus the first and last piece of the file (container headers).
struct stream_target {
  std::size_t file = 0;             // index into torrent_info::files()
  std::uint64_t offset = 0;         // byte offset in that file
  std::uint64_t window_bytes = 8u << 20;  // how far ahead of the offset to fetch in order
};

}  // namespace ccbt
