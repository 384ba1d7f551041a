#include "choker/choker.hpp"

#include <algorithm>
#include <unordered_set>

namespace ccbt::choker {
namespace {

bool can_hold_slot(const peer_state& p, mode m) {
  if (!p.interested) return false;
  if (m == mode::leeching && p.snubbed) return false;
  return true;
}

}  // namespace

decision regular_round(std::span<const peer_state> peers, mode m, const config& cfg, seconds now) {
  std::vector<const peer_state*> candidates;
  const peer_state* optimistic = nullptr;
  for (const auto& p : peers) {
    if (p.optimistic && p.interested) {
      optimistic = &p;
      continue;
    }
    if (can_hold_slot(p, m)) candidates.push_back(&p);
  }

  if (m == mode::leeching) {
    std::stable_sort(candidates.begin(), candidates.end(), [](const peer_state* a, const peer_state* b) {
      if (a->upload_only != b->upload_only) return !a->upload_only;
      if (a->download_rate != b->download_rate) return a->download_rate > b->download_rate;
      return a->id < b->id;
    });
  } else {
    // Round-robin: a peer that has held its slot for seed_rotation seconds yields to peers that have
    // waited longest; peers still inside their turn keep it.
    auto in_turn = [&](const peer_state* p) { return p->unchoked && now - p->last_unchoked < cfg.seed_rotation; };
    std::stable_sort(candidates.begin(), candidates.end(), [&](const peer_state* a, const peer_state* b) {
      const bool ta = in_turn(a), tb = in_turn(b);
      if (ta != tb) return ta;
      const bool wa = !a->unchoked, wb = !b->unchoked;  // waiting peers before expired ones
      if (wa != wb) return wa;
      if (a->last_unchoked != b->last_unchoked) return a->last_unchoked < b->last_unchoked;
      if (a->upload_rate != b->upload_rate) return a->upload_rate > b->upload_rate;
      return a->id < b->id;
    });
  }

  const int regular = std::max(0, cfg.slots - (optimistic != nullptr ? 1 : 0));
  std::unordered_set<peer_id> keep;
  for (int i = 0; i < regular && static_cast<std::size_t>(i) < candidates.size(); ++i)
    keep.insert(candidates[static_cast<std::size_t>(i)]->id);
  if (optimistic != nullptr) keep.insert(optimistic->id);

  decision d;
  for (const auto& p : peers) {
    const bool want = keep.count(p.id) != 0;
    if (want && !p.unchoked) d.unchoke.push_back(p.id);
    if (!want && p.unchoked) d.choke.push_back(p.id);
  }
  return d;
}

std::optional<peer_id> optimistic_round(std::span<const peer_state> peers, mode m, const config& cfg,
                                        seconds now, std::mt19937_64& rng) {
  std::vector<peer_id> ids;
  std::vector<double> weights;
  for (const auto& p : peers) {
    if (!p.interested || p.unchoked) continue;
    if (m == mode::leeching && p.upload_only) continue;
    ids.push_back(p.id);
    weights.push_back(now - p.connected_at < cfg.new_peer_age ? cfg.new_peer_weight : 1);
  }
  if (ids.empty()) return std::nullopt;
  std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
  return ids[pick(rng)];
}

}  // namespace ccbt::choker
