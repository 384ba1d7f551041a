// Test helpers: a torrent seen through the picker's narrow view, and peer views.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "picker/piece_picker.hpp"

namespace ccbt::picker::test {

class fake_torrent final : public torrent_view {
 public:
  // n pieces of piece_size bytes; the last one last_size bytes (0: same as the others).
  fake_torrent(piece_index n, std::uint32_t piece_size, std::uint32_t last_size = 0) : sizes_(n, piece_size) {
    if (n > 0 && last_size != 0) sizes_.back() = last_size;
  }
  explicit fake_torrent(std::vector<std::uint32_t> sizes) : sizes_(std::move(sizes)) {}

  [[nodiscard]] piece_index piece_count() const override { return static_cast<piece_index>(sizes_.size()); }
  [[nodiscard]] std::uint32_t piece_size(piece_index i) const override { return sizes_.at(i); }

 private:
  std::vector<std::uint32_t> sizes_;
};

inline piece_set set_of(piece_index n, std::initializer_list<piece_index> pieces) {
  piece_set s(n);
  for (const piece_index i : pieces) s.set(i);
  return s;
}

inline peer_view seed_view(peer_token token) {
  peer_view v;
  v.token = token;
  v.has_all = true;
  return v;
}

inline peer_view view_of(peer_token token, const piece_set& has) {
  peer_view v;
  v.token = token;
  v.has = &has;
  return v;
}

// Picks for the peer and returns what was picked.
inline std::vector<block_ref> pick(piece_picker& p, const peer_view& v, std::size_t n) {
  std::vector<block_ref> out;
  p.pick(v, n, out);
  return out;
}

// Gives piece i an availability of avail[i] through `peers` bitfields (returned to keep them alive).
inline std::vector<piece_set> set_availability(piece_picker& p, const std::vector<std::uint32_t>& avail) {
  std::uint32_t max = 0;
  for (const auto a : avail) max = a > max ? a : max;
  std::vector<piece_set> peers(max, piece_set(static_cast<piece_index>(avail.size())));
  for (piece_index i = 0; i < avail.size(); ++i)
    for (std::uint32_t k = 0; k < avail[i]; ++k) peers[k].set(i);
  for (const auto& s : peers) p.on_peer_bitfield(s);
  return peers;
}

}  // namespace ccbt::picker::test
