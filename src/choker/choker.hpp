// Choking decisions as pure functions of peer statistics (BEP 3 tit-for-tat, optimistic unchoke,
// and a seeding choker).
//
// The session calls regular_round() every unchoke interval (10 s by default) and rotates the
// optimistic unchoke every optimistic interval (30 s). Nothing here keeps state between rounds: the
// caller passes what it knows about each peer (rates over the last round, when it was connected and
// last unchoked, whether it is the current optimistic unchoke) and applies the returned decision.
// Deterministic for a given input and random seed.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

namespace ccbt::choker {

using peer_id = std::uint64_t;  // the session's handle for a connection
using seconds = std::int64_t;   // monotonic time in seconds (the caller's clock)

struct peer_state {
  peer_id id = 0;
  bool interested = false;       // the peer wants data from us
  bool unchoked = false;         // we currently unchoke it
  bool optimistic = false;       // it holds the optimistic slot
  bool snubbed = false;          // it sent us nothing for a long time while we wanted data
  bool upload_only = false;      // a seed or upload-only peer: it will never reciprocate
  double download_rate = 0;      // bytes/s we received from it over the last round
  double upload_rate = 0;        // bytes/s we sent to it over the last round
  seconds connected_at = 0;
  seconds last_unchoked = 0;     // when we last unchoked it (0 = never)
};

enum class mode { leeching, seeding };

struct config {
  int slots = 4;                   // regular unchoke slots, the optimistic slot included
  seconds new_peer_age = 60;       // peers connected more recently are "new" for the optimistic pick
  int new_peer_weight = 3;         // new peers are this many times more likely to be picked
  seconds seed_rotation = 30;      // seeding: unchoked for at least this long -> may be rotated out
};

struct decision {
  std::vector<peer_id> unchoke;    // peers to unchoke now (they were choked)
  std::vector<peer_id> choke;      // peers to choke now (they were unchoked)
};

// Chooses who holds the regular slots this round. The current optimistic peer keeps its slot (it is
// counted in config::slots) until optimistic_round() moves it.
//  - leeching: interested, non-snubbed peers ranked by download_rate (tit-for-tat); upload-only
//    peers cannot reciprocate and rank after every other peer;
//  - seeding: round-robin — peers that have had a slot for at least seed_rotation give way to those
//    that waited longest, ties broken by the higher upload rate (keeps the pipe full).
[[nodiscard]] decision regular_round(std::span<const peer_state> peers, mode m, const config& cfg,
                                     seconds now);

// Picks the next optimistic unchoke among interested peers that are choked (and not upload-only when
// leeching), new peers weighted by cfg.new_peer_weight. nullopt when there is no candidate.
[[nodiscard]] std::optional<peer_id> optimistic_round(std::span<const peer_state> peers, mode m,
                                                      const config& cfg, seconds now, std::mt19937_64& rng);

}  // namespace ccbt::choker
