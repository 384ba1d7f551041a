// Choosing the connections to close for a lowered limit (connection_trim.hpp), and the torrent's and
// the session's use of it. Same thread as the rest of the torrent / session (the network thread).
#include "session/connection_trim.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>

#include "session/peer_connection.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

std::vector<std::size_t> least_useful(const std::vector<trim_candidate>& c, std::size_t n) {
  std::vector<std::size_t> idx(c.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  auto key = [&](std::size_t i) {
    const auto& x = c[i];
    return std::tuple(x.handshake_done, x.unchokes_us, x.download_rate, x.upload_rate, x.connected_for_ms, i);
  };
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  idx.resize(std::min(n, idx.size()));
  return idx;
}

namespace {
trim_candidate describe(const peer_connection& p, clock::time_point now) {
  trim_candidate t;
  t.handshake_done = p.handshake_done();
  t.unchokes_us = !p.peer_choking();
  t.download_rate = p.download().rate();
  t.upload_rate = p.upload().rate();
  t.connected_for_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - p.connected_at()).count();
  return t;
}

void close_least_useful(std::vector<std::shared_ptr<peer_connection>>& conns, std::size_t n) {
  const auto now = clock::now();
  std::vector<trim_candidate> c;
  c.reserve(conns.size());
  for (const auto& p : conns) c.push_back(describe(*p, now));
  for (const auto i : least_useful(c, n)) conns[i]->disconnect("connection limit lowered");
}
}  // namespace

void torrent::trim_connections() {
  std::vector<std::shared_ptr<peer_connection>> conns;
  append_connections(conns);
  const auto limit = static_cast<std::size_t>(max_connections());
  if (conns.size() > limit) close_least_useful(conns, conns.size() - limit);
}

void torrent::append_connections(std::vector<std::shared_ptr<peer_connection>>& out) const {
  for (const auto& [token, p] : peers_)
    if (!p->closed()) out.push_back(p);
}

void session_impl::trim_connections() {
  std::vector<std::shared_ptr<peer_connection>> conns;
  for (const auto& [id, t] : torrents_) t->append_connections(conns);
  const auto limit = static_cast<std::size_t>(std::max(0, settings_.max_connections));
  if (conns.size() > limit) close_least_useful(conns, conns.size() - limit);
}

}  // namespace ccbt::session_detail
