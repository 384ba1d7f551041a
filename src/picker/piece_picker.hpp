// piece_picker — decides which 16 KiB blocks to request from which peer (sans-io, L1).
//
// The picker sees the torrent through a narrow `torrent_view` (piece count and piece sizes) and is
// driven by events from the peer engine: availability (bitfield / have / have_all / disconnect),
// request outcomes (received / timeout / reject / cancel), hash results and priority changes. It
// answers `pick()` with block requests and `on_block_received()` with the duplicate requests to
// cancel. It never touches sockets, clocks or threads: timeouts are decided by the caller.
//
// Order of a pick (docs/design/picker.md has the reasoning):
//   choked peer: only its allowed-fast pieces.
//   1. streaming: first/last pieces of the streamed file, then the deadline window in order;
//   2. partial pieces this peer started; 3. other partial pieces (highest priority first);
//   4. new pieces by strategy: rarest-first (priority 7..1, then availability buckets, random
//      tie-break), sequential (priority, then index) or round-robin (a cursor sweeping the torrent);
//   5. last resort: blocks that timed out or were rejected at this peer (normally left to others),
//      and for a snubbed peer other peers' partial pieces;
//   6. endgame (no unrequested block left anywhere): duplicates of requested blocks, at most
//      `max_copies` outstanding requests per block.
//   Snubbed peers skip 1, 3 and 6 and take new pieces most-common first.
//
// Invariants:
//   - A piece is in the availability buckets (and in the pickable set) iff it is `missing`, has
//     priority > 0 and no block of it is requested or received.
//   - A piece has a downloading record iff it is `partial`, `requested` or `received`; that is iff at
//     least one of its blocks is requested or received, or a block timed out / was rejected (the
//     record remembers not to ask that peer again, and other peers prefer the partial piece).
//   - Priority 0 pieces are never picked (blocks already requested may still arrive).
//   - Peers that announced have_all are counted once in `seeds_`, never per piece.
// Per piece the picker keeps 8 bytes plus 4 bytes in a bucket and 1 bit in the pickable set;
// downloading pieces carry 24 bytes per block.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "picker/piece_set.hpp"

namespace ccbt::picker {

using piece_index = std::uint32_t;
// A small integer the engine assigns to each connection (not the 20-byte BitTorrent peer id).
using peer_token = std::uint32_t;
inline constexpr peer_token no_peer = 0xffffffffu;  // reserved, never a real peer

inline constexpr std::uint32_t block_size = 16384;
inline constexpr std::uint8_t max_priority = 7;
inline constexpr std::uint8_t default_priority = 4;
// At most this many outstanding requests for one block (only endgame makes more than one).
inline constexpr std::size_t max_copies = 3;
// Availability at or above this shares one bucket (order among very common pieces is irrelevant).
inline constexpr std::uint32_t availability_buckets = 1024;

struct block_ref {
  piece_index piece = 0;
  std::uint32_t block = 0;  // index of the 16 KiB block within the piece
  [[nodiscard]] std::uint64_t offset() const noexcept { return std::uint64_t{block} * block_size; }
  friend bool operator==(const block_ref&, const block_ref&) = default;
};

struct peer_request {
  peer_token peer = no_peer;
  block_ref block;
  friend bool operator==(const peer_request&, const peer_request&) = default;
};

// What the picker needs to know about the torrent. Must outlive the picker.
class torrent_view {
 public:
  virtual ~torrent_view() = default;
  [[nodiscard]] virtual piece_index piece_count() const = 0;
  // Size in bytes of piece i (> 0). v1: all pieces equal but the last; v2: the last piece of every
  // file may be short.
  [[nodiscard]] virtual std::uint32_t piece_size(piece_index i) const = 0;
};

enum class strategy : std::uint8_t { rarest_first, sequential, round_robin };

enum class piece_state : std::uint8_t {
  missing,    // nothing requested or received
  partial,    // some blocks requested or received, some not requested yet
  requested,  // every block requested or received, not all received
  received,   // every block received, waiting for the hash check
  have,       // verified
};

enum class block_state : std::uint8_t { none, requested, received, written };

// Streaming: pieces of the streamed file that are picked before anything else, in this order:
// the first and last `edge_pieces` of [file_begin, file_end), then [position, position + window).
struct stream_window {
  piece_index position = 0;  // playback position (piece)
  std::uint32_t window = 0;  // deadline window, in pieces ahead of the position
  piece_index file_begin = 0;
  piece_index file_end = 0;  // one past the file's last piece; file_begin == file_end: no edges
  std::uint32_t edge_pieces = 1;
};

// The peer as pick() sees it.
struct peer_view {
  peer_token token = no_peer;
  const piece_set* has = nullptr;  // its pieces; ignored when has_all
  bool has_all = false;
  bool snubbed = false;
  bool choked = false;  // we are choked: only allowed_fast pieces may be requested (BEP 6)
  std::span<const piece_index> allowed_fast{};

  [[nodiscard]] bool has_piece(piece_index i) const noexcept { return has_all || (has != nullptr && has->test(i)); }
};

struct receive_result {
  bool accepted = false;        // new data: write it. false: duplicate or unwanted, drop it
  bool piece_complete = false;  // every block of the piece is now received: hash it
  std::uint8_t cancel_count = 0;
  std::array<peer_token, max_copies> cancel{};  // other peers that have this block requested
  [[nodiscard]] std::span<const peer_token> cancels() const noexcept { return {cancel.data(), cancel_count}; }
};

class piece_picker {
 public:
  explicit piece_picker(const torrent_view& view, std::uint64_t seed = 0x9e3779b97f4a7c15ull);

  // --- configuration --------------------------------------------------------------------------
  void set_strategy(strategy s) noexcept { strategy_ = s; }
  [[nodiscard]] strategy current_strategy() const noexcept { return strategy_; }
  // 0 = don't download, 1 (lowest) .. 7 (highest); values above 7 are clamped. Default 4.
  void set_piece_priority(piece_index i, std::uint8_t priority);
  void set_piece_priorities(std::span<const std::uint8_t> priorities);  // one per piece
  [[nodiscard]] std::uint8_t piece_priority(piece_index i) const { return pieces_[i].prio; }
  void set_stream(std::optional<stream_window> s) { stream_ = s; }
  [[nodiscard]] const std::optional<stream_window>& stream() const noexcept { return stream_; }

  // --- our own pieces ---------------------------------------------------------------------------
  // The piece passed its hash check (or came from resume data or another source). Returns the
  // requests still outstanding for it, which the caller should cancel.
  std::vector<peer_request> on_piece_verified(piece_index i);
  // Resume: mark many pieces as had at once (pieces must not be downloading).
  void set_have(const piece_set& have);
  // The piece failed its hash check: it goes back to missing. Returns the distinct peers that sent
  // its blocks (the caller counts strikes and bans).
  std::vector<peer_token> on_hash_failed(piece_index i);

  // --- availability -------------------------------------------------------------------------------
  void on_peer_bitfield(const piece_set& has);
  void on_peer_have(piece_index i);
  void on_peer_have_all() noexcept { ++seeds_; }
  // have_none changes nothing. On disconnect: removes the peer's availability (its current set or
  // have_all) and returns its outstanding requests to the pool.
  void on_peer_disconnected(const peer_view& peer);

  // --- requests ---------------------------------------------------------------------------------
  // Appends up to max_blocks block requests for this peer to `out` and records them as requested by
  // it. Returns the number appended.
  std::size_t pick(const peer_view& peer, std::size_t max_blocks, std::vector<block_ref>& out);
  receive_result on_block_received(peer_token from, block_ref b);
  void on_block_written(block_ref b);
  // The request goes back to the pool and is not given to the same peer again for this block.
  void on_request_timeout(peer_token peer, block_ref b) { drop_request(peer, b, true); }
  void on_request_rejected(peer_token peer, block_ref b) { drop_request(peer, b, true); }
  // We cancelled it (or never sent it): back to the pool.
  void on_request_cancelled(peer_token peer, block_ref b) { drop_request(peer, b, false); }
  // Every outstanding request of the peer goes back to the pool (choke without the fast extension,
  // disconnect). Returns how many.
  std::size_t abort_requests(peer_token peer);

  // --- queries ----------------------------------------------------------------------------------
  [[nodiscard]] piece_index piece_count() const noexcept { return static_cast<piece_index>(pieces_.size()); }
  [[nodiscard]] std::uint32_t blocks_in_piece(piece_index i) const;
  [[nodiscard]] std::uint32_t block_length(block_ref b) const;
  [[nodiscard]] piece_state state(piece_index i) const { return static_cast<piece_state>(pieces_[i].state); }
  [[nodiscard]] bool have(piece_index i) const { return state(i) == piece_state::have; }
  [[nodiscard]] block_state state(block_ref b) const;
  [[nodiscard]] std::size_t request_count(block_ref b) const;  // outstanding requests for the block
  [[nodiscard]] std::uint32_t availability(piece_index i) const { return pieces_[i].avail + seeds_; }
  [[nodiscard]] std::uint32_t seeds() const noexcept { return seeds_; }
  [[nodiscard]] std::uint32_t num_have() const noexcept { return num_have_; }
  // Pieces with priority > 0 that are not had yet. 0: the wanted part of the torrent is complete.
  [[nodiscard]] std::uint32_t wanted_remaining() const noexcept { return wanted_left_; }
  [[nodiscard]] std::size_t num_downloading() const noexcept { return active_.size(); }
  // We still want something of piece i: priority > 0 and not every block received.
  [[nodiscard]] bool wants(piece_index i) const;
  // The peer has a piece we want (decides BitTorrent "interested"): O(pieces / 64 + downloading).
  [[nodiscard]] bool is_interesting(const peer_view& peer) const;
  // True when every block of every wanted piece that some peer has is requested or received.
  [[nodiscard]] bool in_endgame() const noexcept;

 private:
  struct piece_entry {
    std::uint16_t avail = 0;  // peers (not seeds) that have it
    std::uint8_t prio = default_priority;
    std::uint8_t state = 0;  // piece_state
    std::uint32_t slot = 0;  // missing+prio>0: index in its bucket; downloading: dl_ slot
  };
  struct block_info {
    std::array<peer_token, max_copies> req{no_peer, no_peer, no_peer};  // [0, copies) valid
    peer_token from = no_peer;   // who delivered it
    peer_token avoid = no_peer;  // timed out / rejected here: don't ask this peer again
    block_state state = block_state::none;
    std::uint8_t copies = 0;
  };
  struct dl_piece {
    piece_index piece = 0;
    peer_token owner = no_peer;  // the peer that started it
    std::uint32_t nblocks = 0;
    std::uint32_t free = 0;       // blocks in state none
    std::uint32_t received = 0;   // received or written
    std::uint32_t written = 0;
    std::uint32_t free_hint = 0;  // no free block before this index
    std::uint32_t active_pos = 0;
    std::uint32_t partial_pos = npos;  // index in partial_ when free > 0
    bool has_avoid = false;            // some block carries an avoid mark: keep the record
    std::vector<block_info> blocks;
  };
  static constexpr std::uint32_t npos = 0xffffffffu;

  // buckets
  [[nodiscard]] static std::uint32_t bucket_of(std::uint16_t avail) noexcept {
    return avail < availability_buckets ? avail : availability_buckets - 1;
  }
  [[nodiscard]] bool is_live(const piece_entry& e) const noexcept {
    return e.state == static_cast<std::uint8_t>(piece_state::missing) && e.prio > 0;
  }
  void file_piece(piece_index i);
  void unfile_piece(piece_index i);
  void refile_for_avail(piece_index i, std::uint16_t old_avail);
  void dec_avail(piece_index i);
  void inc_avail(piece_index i);

  // downloading records
  dl_piece& start_piece(piece_index i, peer_token owner);
  void update_piece_state(dl_piece& d);  // after block changes; may release the record
  void release_dl(std::uint32_t slot);
  void set_partial(dl_piece& d, std::uint32_t slot, bool partial);
  void drop_request(peer_token peer, block_ref b, bool avoid);
  void remove_requester(dl_piece& d, std::uint32_t blk, peer_token peer);
  void mark_have(piece_index i);

  // picking (pick.cpp)
  enum class partial_pass : std::uint8_t { own, others, last_resort };
  std::size_t take_blocks(std::uint32_t slot, const peer_view& peer, std::size_t want, std::vector<block_ref>& out,
                          bool allow_avoided);
  std::size_t take_piece(piece_index i, const peer_view& peer, std::size_t want, std::vector<block_ref>& out);
  std::size_t pick_allowed_fast(const peer_view& peer, std::size_t want, std::vector<block_ref>& out);
  std::size_t pick_stream(const peer_view& peer, std::size_t want, std::vector<block_ref>& out);
  std::size_t pick_partials(const peer_view& peer, partial_pass pass, std::size_t want, std::vector<block_ref>& out);
  void collect_rarest(const peer_view& peer, std::size_t want);
  void collect_sparse(const peer_view& peer, std::size_t want);
  void collect_in_order(const peer_view& peer, std::size_t want, bool round_robin);
  std::size_t pick_endgame(const peer_view& peer, std::size_t want, std::vector<block_ref>& out);
  [[nodiscard]] std::uint64_t next_random() noexcept;
  [[nodiscard]] std::uint32_t random_below(std::uint32_t n) noexcept;

  const torrent_view& view_;
  std::vector<piece_entry> pieces_;
  std::uint32_t seeds_ = 0;
  std::uint32_t num_have_ = 0;
  std::uint32_t wanted_left_ = 0;
  strategy strategy_ = strategy::rarest_first;
  std::optional<stream_window> stream_;
  std::uint64_t rng_;

  // [priority][bucket of availability] -> live pieces (unordered; random start when scanning)
  std::array<std::vector<std::vector<piece_index>>, max_priority + 1> buckets_;
  std::array<std::uint32_t, max_priority + 1> live_per_prio_{};
  std::uint32_t live_total_ = 0;
  piece_set pickable_;              // same membership as the buckets
  std::uint32_t pickable_hint_ = 0;  // no pickable piece in words before this one
  piece_index rr_cursor_ = 0;       // round-robin: next piece to consider

  std::vector<dl_piece> dl_;         // slab of downloading records
  std::vector<std::uint32_t> dl_free_slots_;
  std::vector<std::uint32_t> active_;   // slots in use
  std::vector<std::uint32_t> partial_;  // slots with free > 0
  std::vector<piece_index> scratch_;    // candidates of one pick
  std::vector<std::uint32_t> scratch_slots_;
  std::vector<std::uint64_t> sparse_cands_;  // (score << 32 | piece) of collect_sparse()
};

}  // namespace ccbt::picker
