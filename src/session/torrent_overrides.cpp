// The torrent's per-torrent overrides (torrent_overrides) and streaming target: what a torrent does
// differently from the session's settings. Split from torrent.cpp; same class, same thread.
#include <algorithm>

#include "session/bandwidth.hpp"
#include "session/peer_connection.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

namespace {
picker::strategy to_picker(piece_strategy s) {
  switch (s) {
    case piece_strategy::sequential: return picker::strategy::sequential;
    case piece_strategy::round_robin: return picker::strategy::round_robin;
    case piece_strategy::rarest_first: break;
  }
  return picker::strategy::rarest_first;
}
}  // namespace

int torrent::max_connections() const noexcept {
  return std::max(1, overrides_.max_connections.value_or(ses_.settings_ref().max_connections_per_torrent));
}

int torrent::unchoke_slots() const noexcept {
  return std::max(1, overrides_.unchoke_slots.value_or(ses_.settings_ref().unchoke_slots));
}

void torrent::set_overrides(const torrent_overrides& o) {
  overrides_ = o;
  auto& bw = ses_.bandwidth();
  bw.set_torrent_rate(bw_slot_, direction::download, overrides_.download_rate_limit.value_or(0));
  bw.set_torrent_rate(bw_slot_, direction::upload, overrides_.upload_rate_limit.value_or(0));
  on_settings_changed();
}

void torrent::on_settings_changed() {
  if (picker_) picker_->set_strategy(to_picker(overrides_.strategy.value_or(ses_.settings_ref().strategy)));
  trim_connections();  // a lowered limit closes the excess at once
  // More connections or slots allowed: use them now rather than at the next round.
  if (state_ == torrent_state::downloading || state_ == torrent_state::seeding) {
    connect_candidates(clock::now());
    for (auto& [token, p] : std::map(peers_)) unchoke_if_slot_free(*p);
  }
}

bool torrent::set_stream(const std::optional<stream_target>& target) {
  if (!info_) return false;  // a magnet without its metadata yet: no files to stream
  if (!target) {
    stream_.reset();
    picker_->set_stream(std::nullopt);
    return true;
  }
  if (target->file >= info_->num_files()) return false;
  const auto& f = info_->files()[target->file];
  const std::uint64_t plen = info_->piece_length();
  picker::stream_window w;
  w.file_begin = f.first_piece;
  w.file_end = f.end_piece;
  const std::uint64_t at = f.offset + std::min<std::uint64_t>(target->offset, f.size);
  w.position = static_cast<picker::piece_index>(std::min<std::uint64_t>(at / plen, info_->num_pieces()));
  w.window = static_cast<std::uint32_t>(std::clamp<std::uint64_t>((target->window_bytes + plen - 1) / plen, 1, 1u << 20));
  stream_ = target;
  picker_->set_stream(w);
  for (auto& [token, p] : peers_) p->fill_requests();
  return true;
}

}  // namespace ccbt::session_detail
