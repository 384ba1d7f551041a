#include "session/peer_list.hpp"

#include <algorithm>

namespace ccbt::session_detail {

namespace {

// FNV-1a over the address bytes and the port: a stable tie-break that spreads the order.
std::uint64_t endpoint_hash(const net::tcp::endpoint& ep) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  if (ep.address().is_v4()) {
    for (const auto b : ep.address().to_v4().to_bytes()) mix(b);
  } else {
    for (const auto b : ep.address().to_v6().to_bytes()) mix(b);
  }
  mix(static_cast<std::uint8_t>(ep.port() >> 8));
  mix(static_cast<std::uint8_t>(ep.port() & 0xff));
  return h;
}

}  // namespace

int peer_list::source_rank(peer_source s) noexcept {
  switch (s) {
    case peer_source::manual: return 0;
    case peer_source::magnet: return 1;
    case peer_source::tracker: return 2;
    case peer_source::incoming: return 3;
    case peer_source::pex: return 4;
  }
  return 5;
}

std::chrono::seconds peer_list::backoff(int failures) noexcept {
  if (failures <= 0) return std::chrono::seconds(0);
  return std::chrono::seconds(std::min(300, 1 << std::min(failures, 9)));
}

peer_list::rank_key peer_list::rank(const entry& e) noexcept {
  return {e.failures, e.connected_once ? 0 : 1, source_rank(e.source), endpoint_hash(e.ep)};
}

const peer_list::entry* peer_list::find(const net::tcp::endpoint& ep) const noexcept {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.ep == ep; });
  return it == entries_.end() ? nullptr : &*it;
}

peer_list::entry* peer_list::find_mut(const net::tcp::endpoint& ep) noexcept {
  return const_cast<entry*>(std::as_const(*this).find(ep));
}

peer_list::add_result peer_list::add(const net::tcp::endpoint& ep, peer_source source) {
  if (auto* e = find_mut(ep)) {
    if (source_rank(source) < source_rank(e->source)) e->source = source;
    if (source == peer_source::manual && !e->active) e->next_try = {};
    return add_result::known;
  }
  entry fresh;
  fresh.ep = ep;
  fresh.source = source;
  if (entries_.size() >= max_size_) {
    // Evict the worst inactive entry if it ranks below the newcomer.
    auto worst = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->active || it->source == peer_source::manual) continue;
      if (worst == entries_.end() || rank(*worst) < rank(*it)) worst = it;
    }
    if (worst != entries_.end() && rank(fresh) < rank(*worst)) {
      *worst = fresh;  // order of entries_ carries no meaning
      return add_result::added;
    }
    if (source != peer_source::manual) return add_result::full;
  }
  entries_.push_back(fresh);
  return add_result::added;
}

std::vector<net::tcp::endpoint> peer_list::candidates(clock::time_point now, std::size_t n,
                                                      const std::function<bool(const net::tcp::endpoint&)>& skip) const {
  std::vector<const entry*> ready;
  for (const auto& e : entries_)
    if (!e.active && e.next_try <= now && !(skip && skip(e.ep))) ready.push_back(&e);
  const std::size_t k = std::min(n, ready.size());
  std::partial_sort(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(k), ready.end(),
                    [](const entry* a, const entry* b) { return rank(*a) < rank(*b); });
  std::vector<net::tcp::endpoint> out;
  out.reserve(k);
  for (std::size_t i = 0; i < k; ++i) out.push_back(ready[i]->ep);
  return out;
}

void peer_list::on_connecting(const net::tcp::endpoint& ep) {
  if (auto* e = find_mut(ep)) e->active = true;
}

void peer_list::mark_active(const net::tcp::endpoint& ep) { on_connecting(ep); }

void peer_list::on_connect_failed(const net::tcp::endpoint& ep, clock::time_point now) {
  auto* e = find_mut(ep);
  if (!e) return;
  e->active = false;
  ++e->failures;
  e->next_try = now + backoff(e->failures);
}

void peer_list::on_connected(const net::tcp::endpoint& ep) {
  auto* e = find_mut(ep);
  if (!e) return;
  e->failures = 0;
  e->connected_once = true;
}

void peer_list::on_mse_failed(const net::tcp::endpoint& ep) {
  if (auto* e = find_mut(ep)) e->no_mse = true;
}

void peer_list::on_closed(const net::tcp::endpoint& ep, clock::time_point now, bool handshake_done,
                          bool protocol_error) {
  auto* e = find_mut(ep);
  if (!e) return;
  e->active = false;
  if (protocol_error) {
    e->next_try = now + std::chrono::seconds(120);
    return;
  }
  if (!handshake_done) {
    ++e->failures;
    e->next_try = now + backoff(e->failures);
    return;
  }
  e->failures = 0;
  e->next_try = now + std::chrono::seconds(10);
}

void peer_list::retry_now() noexcept {
  for (auto& e : entries_) e.next_try = {};
}

bool keep_newer_duplicate(bool newer_outgoing, const wire::peer_id& ours, const wire::peer_id& theirs) noexcept {
  // libtorrent: `if ((pid < m_our_peer_id) == is_outgoing())` the other connection is closed.
  return (theirs < ours) == newer_outgoing;
}

}  // namespace ccbt::session_detail
