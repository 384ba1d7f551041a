// metadata_download — assembles a torrent's info dictionary from BEP 9 ut_metadata pieces fetched
// from several peers in parallel (magnet links). Pure: no sockets, no clocks (the caller passes
// `now` in milliseconds), no threads.
//
// The caller reports peers (with the metadata_size of their extension handshake), asks which piece
// to request from a peer next, and reports data / rejects / disconnects; tick() returns requests
// that timed out to the pool. When every piece is in, the bytes are checked against the info-hash
// (SHA-1 for v1, SHA-256 for v2, both for hybrid) and parsed with torrent_info::from_info_dict.
//
// Invariants:
// - the size in use is in 1..config::max_size; a peer that announces another size is kept idle (its
//   size is adopted only if every peer of the current size has been distrusted);
// - a piece is in flight with at most one peer; a peer has at most config::max_outstanding requests;
// - a distrusted peer is never asked again (distrusted() lists it: the caller should disconnect it);
// - on a hash mismatch every received piece is discarded. The contributors, if one, is distrusted;
//   if several, the next round fetches the whole metadata from one peer at a time, so the liar is
//   identified (its single-source round fails) and the honest peer's round verifies.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>
#include <ccbt/metainfo.hpp>

namespace ccbt::metainfo {

class metadata_download {
 public:
  using peer_id = std::uint64_t;

  struct config {
    std::uint64_t max_size = std::uint64_t{16} << 20;
    std::int64_t request_timeout_ms = 20'000;
    std::int64_t reject_backoff_ms = 30'000;  // a peer that rejected is not asked again before
    std::uint32_t max_outstanding = 2;
  };

  enum class data_result {
    accepted,     // stored; more pieces missing
    complete,     // the last piece: verified and parsed, take the result with take()
    hash_failed,  // the last piece, but the hash did not match: everything discarded
    parse_failed, // the hash matched but the info dictionary is invalid (see error()): final
    ignored,      // not requested from this peer, or already have it
  };

  metadata_download(info_hash expected, config c);

  // A peer with ut_metadata and metadata_size `size`. Error if size is 0 or above max_size.
  result<void> add_peer(peer_id peer, std::uint64_t size);
  // Its requests go back to the pool.
  void remove_peer(peer_id peer);

  // The next piece to request from `peer` (already recorded as in flight), nullopt if none.
  std::optional<std::uint32_t> next_request(peer_id peer, std::int64_t now_ms);
  void on_reject(peer_id peer, std::uint32_t piece, std::int64_t now_ms);
  data_result on_data(peer_id peer, std::uint32_t piece, std::string_view bytes);
  // Requests older than the timeout go back to the pool; returns the peers that had one.
  std::vector<peer_id> tick(std::int64_t now_ms);

  [[nodiscard]] bool done() const noexcept { return result_.has_value(); }
  [[nodiscard]] std::optional<std::uint64_t> size() const noexcept { return size_; }
  [[nodiscard]] std::uint32_t num_pieces() const noexcept { return static_cast<std::uint32_t>(have_.size()); }
  [[nodiscard]] std::uint32_t pieces_received() const noexcept;
  [[nodiscard]] bool is_distrusted(peer_id p) const { return distrusted_.count(p) != 0; }
  // Peers distrusted since the last call (the caller disconnects them).
  std::vector<peer_id> take_newly_distrusted();
  // Pieces each peer delivered towards the verified metadata (valid once complete).
  [[nodiscard]] const std::map<peer_id, std::uint32_t>& contributions() const noexcept { return contributions_; }
  [[nodiscard]] const std::optional<ccbt::error>& error() const noexcept { return error_; }
  [[nodiscard]] std::uint32_t hash_failures() const noexcept { return hash_failures_; }
  // The verified, parsed metadata (once; afterwards nullopt).
  std::optional<torrent_info> take();

 private:
  struct peer_state {
    std::uint64_t size = 0;
    std::uint32_t outstanding = 0;
    std::int64_t backoff_until = 0;
  };
  struct in_flight {
    peer_id peer = 0;
    std::int64_t sent = 0;
  };

  void set_size(std::uint64_t size);
  void choose_size();
  void reset_pieces();
  void distrust(peer_id p);
  data_result finish();

  info_hash expected_;
  config cfg_;
  std::optional<std::uint64_t> size_;
  std::string buffer_;
  std::vector<bool> have_;
  std::vector<peer_id> from_;                    // who sent each piece
  std::map<std::uint32_t, in_flight> flight_;
  std::map<peer_id, peer_state> peers_;
  std::set<peer_id> distrusted_;
  std::vector<peer_id> newly_distrusted_;
  bool single_mode_ = false;                     // after an ambiguous failure: one peer per round
  std::optional<peer_id> single_source_;
  std::map<peer_id, std::uint32_t> contributions_;
  std::optional<torrent_info> result_;
  std::optional<ccbt::error> error_;
  std::uint32_t hash_failures_ = 0;
  bool taken_ = false;
};

}  // namespace ccbt::metainfo
