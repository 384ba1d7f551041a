#include "resume/types.hpp"

namespace ccbt::resume {

std::string_view to_string(torrent_state s) noexcept {
  switch (s) {
    case torrent_state::paused: return "paused";
    case torrent_state::queued: return "queued";
    case torrent_state::downloading: return "downloading";
    case torrent_state::seeding: return "seeding";
    case torrent_state::checking: return "checking";
  }
  return "queued";
}

std::optional<torrent_state> parse_state(std::string_view s) noexcept {
  for (auto v : {torrent_state::paused, torrent_state::queued, torrent_state::downloading,
                 torrent_state::seeding, torrent_state::checking}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

}  // namespace ccbt::resume
