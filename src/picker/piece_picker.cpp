// piece_picker: state, availability and request bookkeeping. The pick order itself is in pick.cpp.
#include "picker/piece_picker.hpp"

#include <algorithm>
#include <cassert>

namespace ccbt::picker {

namespace {
constexpr auto st(piece_state s) noexcept { return static_cast<std::uint8_t>(s); }
}  // namespace

piece_picker::piece_picker(const torrent_view& view, std::uint64_t seed)
    : view_(view), pieces_(view.piece_count()), rng_(seed), pickable_(view.piece_count()) {
  for (piece_index i = 0; i < pieces_.size(); ++i) file_piece(i);
  wanted_left_ = static_cast<std::uint32_t>(pieces_.size());
}

// --- buckets -----------------------------------------------------------------------------------

void piece_picker::file_piece(piece_index i) {
  piece_entry& e = pieces_[i];
  assert(is_live(e));
  auto& level = buckets_[e.prio];
  const std::uint32_t b = bucket_of(e.avail);
  if (level.size() <= b) level.resize(b + 1);
  e.slot = static_cast<std::uint32_t>(level[b].size());
  level[b].push_back(i);
  ++live_per_prio_[e.prio];
  ++live_total_;
  pickable_.set(i);
  pickable_hint_ = std::min(pickable_hint_, i >> 6);
}

void piece_picker::unfile_piece(piece_index i) {
  piece_entry& e = pieces_[i];
  assert(is_live(e));
  auto& bucket = buckets_[e.prio][bucket_of(e.avail)];
  assert(e.slot < bucket.size() && bucket[e.slot] == i);
  const piece_index moved = bucket.back();
  bucket[e.slot] = moved;
  pieces_[moved].slot = e.slot;
  bucket.pop_back();
  --live_per_prio_[e.prio];
  --live_total_;
  pickable_.reset(i);
}

void piece_picker::inc_avail(piece_index i) {
  piece_entry& e = pieces_[i];
  assert(e.avail < 0xffff && "more than 65535 non-seed peers");
  if (e.avail == 0xffff) return;
  if (!is_live(e) || bucket_of(static_cast<std::uint16_t>(e.avail + 1)) == bucket_of(e.avail)) {
    ++e.avail;
    return;
  }
  unfile_piece(i);
  ++e.avail;
  file_piece(i);
}

void piece_picker::dec_avail(piece_index i) {
  piece_entry& e = pieces_[i];
  assert(e.avail > 0 && "availability removed twice");
  if (e.avail == 0) return;
  if (!is_live(e) || bucket_of(static_cast<std::uint16_t>(e.avail - 1)) == bucket_of(e.avail)) {
    --e.avail;
    return;
  }
  unfile_piece(i);
  --e.avail;
  file_piece(i);
}

// --- configuration -----------------------------------------------------------------------------

void piece_picker::set_piece_priority(piece_index i, std::uint8_t priority) {
  priority = std::min(priority, max_priority);
  piece_entry& e = pieces_[i];
  if (e.prio == priority) return;
  const bool had = e.state == st(piece_state::have);
  if (!had) {
    if (e.prio == 0) ++wanted_left_;
    if (priority == 0) --wanted_left_;
  }
  if (is_live(e)) unfile_piece(i);
  e.prio = priority;
  if (is_live(e)) file_piece(i);
}

void piece_picker::set_piece_priorities(std::span<const std::uint8_t> priorities) {
  assert(priorities.size() == pieces_.size());
  const auto n = std::min(priorities.size(), pieces_.size());
  for (piece_index i = 0; i < n; ++i) set_piece_priority(i, priorities[i]);
}

// --- availability ------------------------------------------------------------------------------

void piece_picker::on_peer_bitfield(const piece_set& has) {
  assert(has.size() == pieces_.size());
  for (piece_index i = has.find_next(0); i != piece_set::npos; i = has.find_next(i + 1)) inc_avail(i);
}

void piece_picker::on_peer_have(piece_index i) { inc_avail(i); }

void piece_picker::on_peer_disconnected(const peer_view& peer) {
  if (peer.has_all) {
    assert(seeds_ > 0 && "have_all removed twice");
    if (seeds_ > 0) --seeds_;
  } else if (peer.has != nullptr) {
    const piece_set& has = *peer.has;
    for (piece_index i = has.find_next(0); i != piece_set::npos; i = has.find_next(i + 1)) dec_avail(i);
  }
  if (peer.token != no_peer) abort_requests(peer.token);
}

// --- downloading records -----------------------------------------------------------------------

piece_picker::dl_piece& piece_picker::start_piece(piece_index i, peer_token owner) {
  piece_entry& e = pieces_[i];
  assert(e.state == st(piece_state::missing));
  if (e.prio > 0) unfile_piece(i);
  std::uint32_t slot;
  if (!dl_free_slots_.empty()) {
    slot = dl_free_slots_.back();
    dl_free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(dl_.size());
    dl_.emplace_back();
  }
  dl_piece& d = dl_[slot];
  d.piece = i;
  d.owner = owner;
  d.nblocks = blocks_in_piece(i);
  d.free = d.nblocks;
  d.received = 0;
  d.written = 0;
  d.free_hint = 0;
  d.has_avoid = false;
  d.blocks.assign(d.nblocks, block_info{});
  d.active_pos = static_cast<std::uint32_t>(active_.size());
  active_.push_back(slot);
  d.partial_pos = npos;
  set_partial(d, slot, true);
  e.state = st(piece_state::partial);
  e.slot = slot;
  return d;
}

void piece_picker::set_partial(dl_piece& d, std::uint32_t slot, bool partial) {
  if (partial == (d.partial_pos != npos)) return;
  if (partial) {
    d.partial_pos = static_cast<std::uint32_t>(partial_.size());
    partial_.push_back(slot);
  } else {
    const std::uint32_t moved = partial_.back();
    partial_[d.partial_pos] = moved;
    dl_[moved].partial_pos = d.partial_pos;
    partial_.pop_back();
    d.partial_pos = npos;
  }
}

void piece_picker::release_dl(std::uint32_t slot) {
  dl_piece& d = dl_[slot];
  set_partial(d, slot, false);
  const std::uint32_t moved = active_.back();
  active_[d.active_pos] = moved;
  dl_[moved].active_pos = d.active_pos;
  active_.pop_back();
  d.blocks.clear();  // keeps capacity for the next piece
  dl_free_slots_.push_back(slot);
}

void piece_picker::update_piece_state(dl_piece& d) {
  const auto slot = pieces_[d.piece].slot;
  piece_entry& e = pieces_[d.piece];
  if (d.received == 0 && d.free == d.nblocks && !d.has_avoid) {  // nothing left: back to missing
    release_dl(slot);
    e.state = st(piece_state::missing);
    if (e.prio > 0) file_piece(d.piece);
    return;
  }
  set_partial(d, slot, d.free > 0);
  if (d.received == d.nblocks)
    e.state = st(piece_state::received);
  else if (d.free == 0)
    e.state = st(piece_state::requested);
  else
    e.state = st(piece_state::partial);
}

void piece_picker::remove_requester(dl_piece& d, std::uint32_t blk, peer_token peer) {
  block_info& bi = d.blocks[blk];
  for (std::uint8_t k = 0; k < bi.copies; ++k) {
    if (bi.req[k] != peer) continue;
    bi.req[k] = bi.req[bi.copies - 1u];
    bi.req[bi.copies - 1u] = no_peer;
    --bi.copies;
    if (bi.copies == 0 && bi.state == block_state::requested) {
      bi.state = block_state::none;
      ++d.free;
      d.free_hint = std::min(d.free_hint, blk);
    }
    return;
  }
}

void piece_picker::drop_request(peer_token peer, block_ref b, bool avoid) {
  if (b.piece >= pieces_.size()) return;
  const piece_entry& e = pieces_[b.piece];
  if (e.state == st(piece_state::missing) || e.state == st(piece_state::have)) return;
  dl_piece& d = dl_[e.slot];
  if (b.block >= d.nblocks) return;
  remove_requester(d, b.block, peer);
  if (avoid && d.blocks[b.block].state == block_state::none) {
    d.blocks[b.block].avoid = peer;
    d.has_avoid = true;
  }
  update_piece_state(d);
}

std::size_t piece_picker::abort_requests(peer_token peer) {
  std::size_t n = 0;
  // Iterate over a copy: update_piece_state() may release records and reorder active_.
  scratch_slots_.assign(active_.begin(), active_.end());
  for (const std::uint32_t slot : scratch_slots_) {
    dl_piece& d = dl_[slot];
    bool touched = false;
    for (std::uint32_t blk = 0; blk < d.nblocks; ++blk) {
      const block_info& bi = d.blocks[blk];
      if (bi.copies == 0) continue;
      if (std::find(bi.req.begin(), bi.req.begin() + bi.copies, peer) == bi.req.begin() + bi.copies) continue;
      remove_requester(d, blk, peer);
      touched = true;
      ++n;
    }
    if (touched) update_piece_state(d);
  }
  return n;
}

receive_result piece_picker::on_block_received(peer_token from, block_ref b) {
  receive_result r;
  if (b.piece >= pieces_.size() || b.block >= blocks_in_piece(b.piece)) return r;
  piece_entry& e = pieces_[b.piece];
  if (e.state == st(piece_state::have) || e.state == st(piece_state::received)) return r;
  if (e.state == st(piece_state::missing)) {
    if (e.prio == 0) return r;  // unsolicited data for a piece we don't want
    start_piece(b.piece, from);
  }
  dl_piece& d = dl_[e.slot];
  block_info& bi = d.blocks[b.block];
  if (bi.state == block_state::received || bi.state == block_state::written) return r;
  r.accepted = true;
  for (std::uint8_t k = 0; k < bi.copies; ++k)
    if (bi.req[k] != from) r.cancel[r.cancel_count++] = bi.req[k];
  if (bi.state == block_state::none) --d.free;
  bi.req.fill(no_peer);
  bi.copies = 0;
  bi.state = block_state::received;
  bi.from = from;
  bi.avoid = no_peer;
  ++d.received;
  update_piece_state(d);
  r.piece_complete = d.received == d.nblocks;
  return r;
}

void piece_picker::on_block_written(block_ref b) {
  if (b.piece >= pieces_.size()) return;
  const piece_entry& e = pieces_[b.piece];
  if (e.state == st(piece_state::missing) || e.state == st(piece_state::have)) return;
  dl_piece& d = dl_[e.slot];
  if (b.block >= d.nblocks || d.blocks[b.block].state != block_state::received) return;
  d.blocks[b.block].state = block_state::written;
  ++d.written;
}

// --- hash results --------------------------------------------------------------------------------

void piece_picker::mark_have(piece_index i) {
  piece_entry& e = pieces_[i];
  if (e.state == st(piece_state::have)) return;
  if (is_live(e)) unfile_piece(i);
  if (e.prio > 0) --wanted_left_;
  e.state = st(piece_state::have);
  ++num_have_;
}

std::vector<peer_request> piece_picker::on_piece_verified(piece_index i) {
  std::vector<peer_request> cancels;
  piece_entry& e = pieces_[i];
  if (e.state != st(piece_state::missing) && e.state != st(piece_state::have)) {
    const std::uint32_t slot = e.slot;
    const dl_piece& d = dl_[slot];
    for (std::uint32_t blk = 0; blk < d.nblocks; ++blk)
      for (std::uint8_t k = 0; k < d.blocks[blk].copies; ++k) cancels.push_back({d.blocks[blk].req[k], {i, blk}});
    release_dl(slot);
    e.state = st(piece_state::missing);  // transiently, so mark_have's bookkeeping applies
    if (e.prio > 0) file_piece(i);
  }
  mark_have(i);
  return cancels;
}

void piece_picker::set_have(const piece_set& have) {
  assert(have.size() == pieces_.size());
  for (piece_index i = have.find_next(0); i != piece_set::npos; i = have.find_next(i + 1)) {
    assert(state(i) == piece_state::missing || state(i) == piece_state::have);
    if (state(i) == piece_state::missing) mark_have(i);
  }
}

std::vector<peer_token> piece_picker::on_hash_failed(piece_index i) {
  std::vector<peer_token> peers;
  piece_entry& e = pieces_[i];
  if (e.state == st(piece_state::missing) || e.state == st(piece_state::have)) return peers;
  const std::uint32_t slot = e.slot;
  dl_piece& d = dl_[slot];
  for (const block_info& bi : d.blocks)
    if (bi.from != no_peer && std::find(peers.begin(), peers.end(), bi.from) == peers.end()) peers.push_back(bi.from);
  // Outstanding duplicates (possible only if the caller hashes before cancelling) stay recorded as
  // requests of a fresh record, so that their arrival is still accepted.
  std::vector<peer_request> outstanding;
  for (std::uint32_t blk = 0; blk < d.nblocks; ++blk)
    for (std::uint8_t k = 0; k < d.blocks[blk].copies; ++k) outstanding.push_back({d.blocks[blk].req[k], {i, blk}});
  release_dl(slot);
  e.state = st(piece_state::missing);
  if (outstanding.empty()) {
    if (e.prio > 0) file_piece(i);
    return peers;
  }
  if (e.prio > 0) file_piece(i);
  dl_piece& nd = start_piece(i, outstanding.front().peer);
  for (const peer_request& r : outstanding) {
    block_info& bi = nd.blocks[r.block.block];
    if (bi.state == block_state::none) {
      bi.state = block_state::requested;
      --nd.free;
    }
    bi.req[bi.copies++] = r.peer;
  }
  update_piece_state(nd);
  return peers;
}

// --- queries -------------------------------------------------------------------------------------

std::uint32_t piece_picker::blocks_in_piece(piece_index i) const {
  return (view_.piece_size(i) + block_size - 1) / block_size;
}

std::uint32_t piece_picker::block_length(block_ref b) const {
  const std::uint64_t size = view_.piece_size(b.piece);
  const std::uint64_t off = b.offset();
  return off >= size ? 0 : static_cast<std::uint32_t>(std::min<std::uint64_t>(block_size, size - off));
}

block_state piece_picker::state(block_ref b) const {
  const piece_entry& e = pieces_[b.piece];
  if (e.state == st(piece_state::have)) return block_state::written;
  if (e.state == st(piece_state::missing)) return block_state::none;
  return dl_[e.slot].blocks[b.block].state;
}

std::size_t piece_picker::request_count(block_ref b) const {
  const piece_entry& e = pieces_[b.piece];
  if (e.state == st(piece_state::have) || e.state == st(piece_state::missing)) return 0;
  return dl_[e.slot].blocks[b.block].copies;
}

bool piece_picker::wants(piece_index i) const {
  const piece_entry& e = pieces_[i];
  return e.prio > 0 && e.state != st(piece_state::have) && e.state != st(piece_state::received);
}

bool piece_picker::is_interesting(const peer_view& peer) const {
  if (!peer.has_all && peer.has == nullptr) return false;
  if (peer.has_all) {
    if (live_total_ > 0) return true;
  } else {
    const auto mine = pickable_.words();
    const auto theirs = peer.has->words();
    for (std::size_t w = pickable_hint_; w < mine.size(); ++w)
      if (mine[w] & theirs[w]) return true;
  }
  for (const std::uint32_t slot : active_)
    if (wants(dl_[slot].piece) && peer.has_piece(dl_[slot].piece)) return true;
  return false;
}

bool piece_picker::in_endgame() const noexcept {
  // Pieces nobody has (availability 0) cannot be requested: they do not hold endgame back.
  std::uint32_t unavailable = 0;
  if (seeds_ == 0)
    for (const auto& level : buckets_)
      if (!level.empty()) unavailable += static_cast<std::uint32_t>(level[0].size());
  if (live_total_ > unavailable) return false;
  for (const std::uint32_t slot : partial_) {
    const piece_index i = dl_[slot].piece;
    if (pieces_[i].prio > 0 && availability(i) > 0) return false;
  }
  return wanted_left_ > 0 && !active_.empty();
}

}  // namespace ccbt::picker
