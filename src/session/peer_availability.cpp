// What a peer has: bitfield, have, have_all/have_none, and — for a torrent still fetching its
// metadata (a magnet) — the availability it sent before the piece count was known, checked and
// applied by on_metadata(). Split from peer_connection.cpp; same class, same (network) thread.
#include "session/peer_connection.hpp"

#include "session/torrent.hpp"

namespace ccbt::session_detail {

namespace {
constexpr std::size_t max_early_haves = std::size_t{1} << 16;  // have messages kept before the metadata
}  // namespace

bool peer_connection::on_have_all() {
  if (availability_reported_) {
    disconnect("have_all after the peer's pieces were already announced", true);
    return false;
  }
  has_all_ = true;
  has_ = picker::piece_set(torrent_->info().num_pieces(), true);
  availability_reported_ = true;
  torrent_->picker().on_peer_have_all();
  torrent_->on_peer_availability(*this);
  update_interest();
  return !closed_;
}

bool peer_connection::on_early_availability(const wire::message& m) {
  // The piece count is unknown: keep what the peer says (bounded) and check it in on_metadata().
  if (const auto* h = std::get_if<wire::have>(&m)) {
    if (early_have_all_) return true;
    if (early_haves_.size() >= max_early_haves) {
      disconnect("too many have messages before the metadata", true);
      return false;
    }
    early_haves_.push_back(h->index);
    return true;
  }
  if (early_reported_ || !early_haves_.empty()) {
    disconnect(std::string(wire::name(m)) + " after the peer's pieces were already announced", true);
    return false;
  }
  early_reported_ = true;
  if (const auto* b = std::get_if<wire::bitfield>(&m)) early_bitfield_.assign(b->bits.begin(), b->bits.end());
  if (std::holds_alternative<wire::have_all>(m)) early_have_all_ = true;
  return true;
}

void peer_connection::on_metadata() {
  if (closed_ || !handshake_done_) return;
  const std::uint32_t n = torrent_->info().num_pieces();
  decoder_.set_geometry(n, torrent_->info().piece_length());
  has_ = picker::piece_set(n);
  if (early_have_all_) {
    on_have_all();
    return;
  }
  if (!early_bitfield_.empty()) {
    if (early_bitfield_.size() != (std::size_t{n} + 7) / 8) {
      disconnect("bitfield of " + std::to_string(early_bitfield_.size()) + " bytes, the torrent has " +
                     std::to_string(n) + " pieces", true);
      return;
    }
    for (std::uint32_t i = n; i < early_bitfield_.size() * 8; ++i)
      if (early_bitfield_[i >> 3] & (0x80u >> (i & 7))) {
        disconnect("bitfield has spare bits set", true);
        return;
      }
    const auto bits = std::move(early_bitfield_);
    if (!on_bitfield(wire::bitfield{bits})) return;
  }
  for (const auto i : std::exchange(early_haves_, {})) {
    if (i >= n) {
      disconnect("have " + std::to_string(i) + ", the torrent has " + std::to_string(n) + " pieces", true);
      return;
    }
    if (!on_have(i)) return;
  }
}

bool peer_connection::on_bitfield(const wire::bitfield& m) {
  if (availability_reported_) {
    disconnect("bitfield after the peer's pieces were already announced", true);
    return false;
  }
  const std::uint32_t n = torrent_->info().num_pieces();
  for (std::uint32_t i = 0; i < n; ++i)
    if (m.bits[i >> 3] & (0x80u >> (i & 7))) has_.set(i);
  availability_reported_ = true;
  if (has_.all()) {
    has_all_ = true;
    torrent_->picker().on_peer_have_all();
  } else {
    torrent_->picker().on_peer_bitfield(has_);
  }
  torrent_->on_peer_availability(*this);
  update_interest();
  return !closed_;
}

bool peer_connection::on_have(std::uint32_t piece) {
  if (has_all_ || has_.test(piece)) return true;
  has_.set(piece);
  availability_reported_ = true;
  torrent_->picker().on_peer_have(piece);
  torrent_->on_peer_availability(*this);
  if (!am_interested_ && !torrent_->picker().have(piece) && torrent_->picker().piece_priority(piece) > 0)
    update_interest();
  return !closed_;
}

}  // namespace ccbt::session_detail
