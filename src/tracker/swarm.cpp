#include "tracker/swarm.hpp"

#include <algorithm>
#include <cstring>

namespace ccbt::tracker::server {

std::size_t swarm_registry::address_hash::operator()(const peer_address& a) const noexcept {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (auto b : a.ip) h = (h ^ b) * 1099511628211ull;
  h = (h ^ a.port) * 1099511628211ull;
  h = (h ^ (a.v6 ? 1u : 0u)) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

std::size_t swarm_registry::hash_hash::operator()(const sha1_hash& h) const noexcept {
  std::size_t out = 0;
  std::memcpy(&out, h.bytes.data(), sizeof out);  // info-hashes are uniformly distributed
  return out;
}

swarm_registry::swarm_registry(swarm_options opts, std::uint64_t seed) : opts_(std::move(opts)), rng_(seed) {}

std::chrono::seconds swarm_registry::peer_timeout() const noexcept {
  if (opts_.peer_timeout.count() > 0) return opts_.peer_timeout;
  return 2 * opts_.interval + std::chrono::seconds(60);
}

void swarm_registry::remove_at(torrent& t, std::size_t i) {
  const peer gone = t.peers[i];
  t.index.erase(gone.address);
  if (i + 1 != t.peers.size()) {
    t.peers[i] = t.peers.back();
    t.index[t.peers[i].address] = i;
  }
  t.peers.pop_back();
  --peer_count_;
  if (gone.seed) {
    --t.seeds;
    --seed_count_;
  }
}

result<announce_out> swarm_registry::announce(const announce_in& in, clock::time_point now) {
  const auto& req = in.request;
  if (opts_.whitelist && !opts_.whitelist->contains(req.info_hash)) return make_error(errc::unknown_torrent);
  const peer_address self = in.from.unmapped();
  if (self.port == 0 && req.ev != event::stopped) return make_error(errc::invalid_request, "port");

  announce_out out;
  auto it = torrents_.find(req.info_hash);
  if (req.ev == event::stopped) {
    if (it == torrents_.end()) return out;
    auto& t = it->second;
    if (const auto pos = t.index.find(self); pos != t.index.end()) remove_at(t, pos->second);
    out.complete = t.seeds;
    out.incomplete = static_cast<std::int64_t>(t.peers.size()) - t.seeds;
    out.downloaded = t.downloaded;
    if (t.peers.empty()) torrents_.erase(it);
    return out;
  }
  if (it == torrents_.end()) {
    if (torrents_.size() >= opts_.max_torrents) return make_error(errc::tracker_failure, "tracker is full");
    it = torrents_.emplace(req.info_hash, torrent{}).first;
  }
  auto& t = it->second;
  const bool is_seed = req.left == 0;
  if (const auto pos = t.index.find(self); pos != t.index.end()) {
    auto& p = t.peers[pos->second];
    if (p.seed != is_seed) {
      const std::int64_t d = is_seed ? 1 : -1;
      t.seeds += d;
      seed_count_ = static_cast<std::size_t>(static_cast<std::int64_t>(seed_count_) + d);
    }
    p.seed = is_seed;
    p.id = req.pid;
    p.last_seen = now;
  } else {
    if (t.peers.size() >= opts_.max_peers_per_torrent && !t.peers.empty()) {
      const auto oldest = std::min_element(t.peers.begin(), t.peers.end(),
                                           [](const peer& a, const peer& b) { return a.last_seen < b.last_seen; });
      remove_at(t, static_cast<std::size_t>(oldest - t.peers.begin()));
    }
    t.index.emplace(self, t.peers.size());
    t.peers.push_back(peer{self, req.pid, is_seed, now});
    ++peer_count_;
    if (is_seed) {
      ++t.seeds;
      ++seed_count_;
    }
  }
  if (req.ev == event::completed) ++t.downloaded;

  std::size_t want = opts_.default_numwant;
  if (req.num_want) want = static_cast<std::size_t>(std::max<std::int32_t>(*req.num_want, 0));
  want = std::min(want, opts_.max_numwant);
  std::vector<std::size_t> candidates;
  candidates.reserve(t.peers.size());
  for (std::size_t i = 0; i < t.peers.size(); ++i) {
    const auto& p = t.peers[i];
    if (p.address == self || p.id == req.pid) continue;
    if (is_seed && p.seed) continue;
    if (p.address.v6 ? !in.want_v6 : !in.want_v4) continue;
    candidates.push_back(i);
  }
  if (candidates.size() > want) {
    for (std::size_t k = 0; k < want; ++k) {
      std::uniform_int_distribution<std::size_t> pick(k, candidates.size() - 1);
      std::swap(candidates[k], candidates[pick(rng_)]);
    }
    candidates.resize(want);
  }
  out.peers.reserve(candidates.size());
  for (auto i : candidates) out.peers.push_back(peer_entry{t.peers[i].address, t.peers[i].id});
  out.complete = t.seeds;
  out.incomplete = static_cast<std::int64_t>(t.peers.size()) - t.seeds;
  out.downloaded = t.downloaded;
  return out;
}

result<scrape_entry> swarm_registry::scrape(const sha1_hash& info_hash) const {
  if (opts_.whitelist && !opts_.whitelist->contains(info_hash)) return make_error(errc::unknown_torrent);
  scrape_entry e;
  e.info_hash = info_hash;
  if (const auto it = torrents_.find(info_hash); it != torrents_.end()) {
    e.complete = it->second.seeds;
    e.incomplete = static_cast<std::int64_t>(it->second.peers.size()) - it->second.seeds;
    e.downloaded = it->second.downloaded;
  }
  return e;
}

void swarm_registry::expire(clock::time_point now) {
  const auto timeout = peer_timeout();
  for (auto it = torrents_.begin(); it != torrents_.end();) {
    auto& t = it->second;
    for (std::size_t i = t.peers.size(); i-- > 0;) {
      if (now - t.peers[i].last_seen > timeout) remove_at(t, i);
    }
    if (t.peers.empty()) {
      it = torrents_.erase(it);
    } else {
      ++it;
    }
  }
}

swarm_stats swarm_registry::stats() const noexcept { return {torrents_.size(), peer_count_, seed_count_}; }

}  // namespace ccbt::tracker::server
