// piece_picker::pick(): the order in which blocks are chosen (see the header and docs/design/picker.md).
#include <algorithm>
#include <bit>
#include <cassert>

#include "picker/piece_picker.hpp"

namespace ccbt::picker {

namespace {
constexpr auto st(piece_state s) noexcept { return static_cast<std::uint8_t>(s); }
}  // namespace

std::uint64_t piece_picker::next_random() noexcept {  // splitmix64: tiny, seedable, same everywhere
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint32_t piece_picker::random_below(std::uint32_t n) noexcept {
  return static_cast<std::uint32_t>(((next_random() >> 32) * n) >> 32);
}

std::size_t piece_picker::pick(const peer_view& peer, std::size_t max_blocks, std::vector<block_ref>& out) {
  if (max_blocks == 0 || peer.token == no_peer || (!peer.has_all && peer.has == nullptr)) return 0;
  const std::size_t before = out.size();
  std::size_t want = max_blocks;
  if (peer.choked) return pick_allowed_fast(peer, want, out);
  if (stream_ && !peer.snubbed) want -= pick_stream(peer, want, out);
  if (want > 0 && !partial_.empty()) want -= pick_partials(peer, partial_pass::own, want, out);
  if (want > 0 && !partial_.empty() && !peer.snubbed) want -= pick_partials(peer, partial_pass::others, want, out);
  if (want > 0 && live_total_ > 0) {
    scratch_.clear();
    switch (strategy_) {
      case strategy::rarest_first: collect_rarest(peer, want); break;
      case strategy::sequential: collect_in_order(peer, want, false); break;
      case strategy::round_robin: collect_in_order(peer, want, true); break;
    }
    for (const piece_index i : scratch_) {
      if (want == 0) break;
      want -= take_piece(i, peer, want, out);
    }
  }
  // Last resort: blocks that timed out or were rejected at this very peer, and (for a snubbed peer)
  // pieces others started — better than leaving a block nobody else can serve.
  if (want > 0 && !partial_.empty()) want -= pick_partials(peer, partial_pass::last_resort, want, out);
  if (want > 0 && !peer.snubbed && in_endgame()) want -= pick_endgame(peer, want, out);
  return out.size() - before;
}

std::size_t piece_picker::take_blocks(std::uint32_t slot, const peer_view& peer, std::size_t want,
                                      std::vector<block_ref>& out, bool allow_avoided) {
  dl_piece& d = dl_[slot];
  std::size_t n = 0;
  bool prefix = true;  // every block before blk is not free: the hint may advance
  for (std::uint32_t blk = d.free_hint; blk < d.nblocks && n < want && d.free > 0; ++blk) {
    block_info& bi = d.blocks[blk];
    if (bi.state != block_state::none) {
      if (prefix) d.free_hint = blk + 1;
      continue;
    }
    if (bi.avoid == peer.token && !allow_avoided) {
      prefix = false;
      continue;
    }
    bi.state = block_state::requested;
    bi.req[0] = peer.token;
    bi.copies = 1;
    --d.free;
    if (prefix) d.free_hint = blk + 1;
    out.push_back({d.piece, blk});
    ++n;
  }
  if (n > 0) update_piece_state(d);
  return n;
}

std::size_t piece_picker::take_piece(piece_index i, const peer_view& peer, std::size_t want,
                                     std::vector<block_ref>& out) {
  const piece_entry& e = pieces_[i];
  if (e.prio == 0 || !peer.has_piece(i)) return 0;
  if (e.state == st(piece_state::missing)) {
    start_piece(i, peer.token);
    return take_blocks(pieces_[i].slot, peer, want, out, false);
  }
  if (e.state == st(piece_state::partial)) return take_blocks(e.slot, peer, want, out, false);
  return 0;
}

std::size_t piece_picker::pick_allowed_fast(const peer_view& peer, std::size_t want, std::vector<block_ref>& out) {
  std::size_t n = 0;
  for (const piece_index i : peer.allowed_fast) {
    if (n == want) break;
    if (i < pieces_.size()) n += take_piece(i, peer, want - n, out);
  }
  return n;
}

std::size_t piece_picker::pick_stream(const peer_view& peer, std::size_t want, std::vector<block_ref>& out) {
  const stream_window& s = *stream_;
  const piece_index count = piece_count();
  std::size_t n = 0;
  auto range = [&](std::uint64_t lo, std::uint64_t hi) {
    hi = std::min<std::uint64_t>(hi, count);
    for (std::uint64_t i = lo; i < hi && n < want; ++i) n += take_piece(static_cast<piece_index>(i), peer, want - n, out);
  };
  if (s.file_begin < s.file_end) {
    const std::uint64_t head_end = std::min<std::uint64_t>(std::uint64_t{s.file_begin} + s.edge_pieces, s.file_end);
    range(s.file_begin, head_end);
    const std::uint64_t tail = s.file_end - std::min<std::uint64_t>(s.edge_pieces, s.file_end - s.file_begin);
    range(std::max(tail, head_end), s.file_end);
  }
  range(s.position, std::uint64_t{s.position} + s.window);
  return n;
}

std::size_t piece_picker::pick_partials(const peer_view& peer, partial_pass pass, std::size_t want,
                                        std::vector<block_ref>& out) {
  std::size_t n = 0;
  auto eligible = [&](const dl_piece& d) {
    if (pass == partial_pass::own && d.owner != peer.token) return false;
    if (pass == partial_pass::others && d.owner == peer.token) return false;
    return pieces_[d.piece].prio > 0 && peer.has_piece(d.piece);
  };
  const bool allow_avoided = pass == partial_pass::last_resort;
  // Visits partial_ while take_blocks() may remove the visited slot (swap-remove keeps the unvisited
  // tail intact, so we only advance when the slot is still in place).
  auto visit = [&](auto&& accept) {
    for (std::size_t k = 0; k < partial_.size() && n < want;) {
      const std::uint32_t slot = partial_[k];
      if (accept(dl_[slot])) n += take_blocks(slot, peer, want - n, out, allow_avoided);
      if (k < partial_.size() && partial_[k] == slot) ++k;
    }
  };
  if (pass != partial_pass::others) {
    visit(eligible);
    return n;
  }
  // Highest priority first: find which priorities are present, then one pass per priority.
  unsigned mask = 0;
  for (const std::uint32_t slot : partial_)
    if (eligible(dl_[slot])) mask |= 1u << pieces_[dl_[slot].piece].prio;
  while (mask != 0 && n < want) {
    const auto prio = static_cast<std::uint8_t>(std::bit_width(mask) - 1);
    mask &= ~(1u << prio);
    visit([&](const dl_piece& d) { return pieces_[d.piece].prio == prio && eligible(d); });
  }
  return n;
}

// Rarest first: priority 7..1, then availability buckets from the rarest (most common first for a
// snubbed peer), a random starting point inside each bucket. A peer with few pieces, or a scan that
// finds little, switches to collect_sparse(), which costs O(pieces / 64 + candidates).
void piece_picker::collect_rarest(const peer_view& peer, std::size_t want) {
  const bool sparse_peer = !peer.has_all && (peer.has == nullptr || std::uint64_t{peer.has->count()} * peer.has->count() <
                                                                         4 * std::uint64_t{live_total_});
  if (sparse_peer) {
    collect_sparse(peer, want);
    return;
  }
  const std::size_t budget = std::max<std::size_t>(256, pickable_.words().size() * 2);
  std::size_t scanned = 0;
  std::size_t acc = 0;
  for (int prio = max_priority; prio > 0; --prio) {
    if (live_per_prio_[static_cast<std::size_t>(prio)] == 0) continue;
    const auto& level = buckets_[static_cast<std::size_t>(prio)];
    const std::size_t nb = level.size();
    for (std::size_t j = 0; j < nb; ++j) {
      const auto& bucket = level[peer.snubbed ? nb - 1 - j : j];
      const auto size = static_cast<std::uint32_t>(bucket.size());
      if (size == 0) continue;
      std::uint32_t idx = random_below(size);
      for (std::uint32_t k = 0; k < size; ++k, ++idx) {
        if (idx == size) idx = 0;
        const piece_index i = bucket[idx];
        if (peer.has_piece(i)) {
          scratch_.push_back(i);
          acc += blocks_in_piece(i);
          if (acc >= want) return;
        } else if (++scanned > budget && !peer.has_all) {
          scratch_.clear();
          collect_sparse(peer, want);
          return;
        }
      }
    }
  }
}

// Candidates = pickable AND peer's pieces, word by word; then the best (priority, availability)
// repeatedly, ties broken by a random tag.
void piece_picker::collect_sparse(const peer_view& peer, std::size_t want) {
  static_assert(availability_buckets <= 0x10000);
  const auto pick_words = pickable_.words();
  const bool all = peer.has_all || peer.has == nullptr;
  std::vector<std::uint64_t>& cands = sparse_cands_;
  cands.clear();
  for (std::size_t w = pickable_hint_; w < pick_words.size(); ++w) {
    std::uint64_t bits = pick_words[w];
    if (!all) bits &= peer.has->words()[w];
    while (bits != 0) {
      const auto i = static_cast<piece_index>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
      bits &= bits - 1;
      const piece_entry& e = pieces_[i];
      std::uint64_t rank = bucket_of(e.avail);
      if (peer.snubbed) rank = availability_buckets - 1 - rank;
      const std::uint64_t score = (static_cast<std::uint64_t>(max_priority - e.prio) << 16 | rank) << 8 | (next_random() & 0xff);
      cands.push_back(score << 32 | i);
    }
  }
  std::size_t acc = 0;
  while (acc < want && !cands.empty()) {
    const auto best = std::min_element(cands.begin(), cands.end());
    const auto i = static_cast<piece_index>(*best & 0xffffffffu);
    *best = cands.back();
    cands.pop_back();
    scratch_.push_back(i);
    acc += blocks_in_piece(i);
  }
}

// Sequential: lowest index first within the highest priority. Round-robin: the first pickable piece
// at or after a cursor that moves past every piece it hands out, wrapping at the end.
void piece_picker::collect_in_order(const peer_view& peer, std::size_t want, bool round_robin) {
  const auto pick_words = pickable_.words();
  const bool all = peer.has_all || peer.has == nullptr;
  const piece_index count = piece_count();
  std::size_t acc = 0;
  piece_index last = 0;
  // Scans pieces [lo, hi) for pickable pieces of priority `prio` that the peer has.
  auto scan = [&](piece_index lo, piece_index hi, std::uint8_t prio) {
    if (lo >= hi) return false;
    const std::size_t w_end = (std::size_t{hi} + 63) / 64;
    for (std::size_t w = lo / 64; w < w_end; ++w) {
      std::uint64_t bits = pick_words[w];
      if (!round_robin && w == pickable_hint_ && bits == 0) ++pickable_hint_;
      if (!all) bits &= peer.has->words()[w];
      if (w == lo / 64) bits &= ~std::uint64_t{0} << (lo % 64);
      if (w == w_end - 1 && hi % 64 != 0) bits &= (std::uint64_t{1} << (hi % 64)) - 1;
      while (bits != 0) {
        const auto i = static_cast<piece_index>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
        bits &= bits - 1;
        if (pieces_[i].prio != prio) continue;
        scratch_.push_back(i);
        last = i;
        acc += blocks_in_piece(i);
        if (acc >= want) return true;
      }
    }
    return false;
  };
  for (int p = max_priority; p > 0 && acc < want; --p) {
    const auto prio = static_cast<std::uint8_t>(p);
    if (live_per_prio_[prio] == 0) continue;
    if (!round_robin) {
      if (scan(pickable_hint_ * 64, count, prio)) break;
    } else {
      const piece_index cur = rr_cursor_ < count ? rr_cursor_ : 0;
      if (scan(cur, count, prio) || scan(0, cur, prio)) break;
    }
  }
  if (round_robin && !scratch_.empty()) rr_cursor_ = last + 1 < count ? last + 1 : 0;
}

// Endgame: a second (then third) request for blocks already requested from someone else, those with
// the fewest outstanding copies first. Cancels follow from on_block_received().
std::size_t piece_picker::pick_endgame(const peer_view& peer, std::size_t want, std::vector<block_ref>& out) {
  std::size_t n = 0;
  for (std::uint8_t copies = 1; copies < max_copies && n < want; ++copies) {
    for (const std::uint32_t slot : active_) {
      dl_piece& d = dl_[slot];
      if (pieces_[d.piece].prio == 0 || !peer.has_piece(d.piece)) continue;
      for (std::uint32_t blk = 0; blk < d.nblocks && n < want; ++blk) {
        block_info& bi = d.blocks[blk];
        if (bi.state != block_state::requested || bi.copies != copies || bi.avoid == peer.token) continue;
        if (std::find(bi.req.begin(), bi.req.begin() + bi.copies, peer.token) != bi.req.begin() + bi.copies) continue;
        bi.req[bi.copies++] = peer.token;
        out.push_back({d.piece, blk});
        ++n;
      }
      if (n == want) break;
    }
  }
  return n;
}

}  // namespace ccbt::picker
