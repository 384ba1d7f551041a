#include "session/pex.hpp"

#include <algorithm>

#include "net/asio.hpp"
#include "session/peer_connection.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

bool same_pex_endpoint(const wire::pex_peer& a, const wire::pex_peer& b) noexcept {
  return a.port == b.port && a.ip == b.ip;
}

std::optional<wire::ut_pex> pex_state::next_message(clock::time_point now, const std::vector<wire::pex_peer>& current) {
  if (!due(now)) return std::nullopt;
  auto contains = [](const std::vector<wire::pex_peer>& v, const wire::pex_peer& p) {
    return std::any_of(v.begin(), v.end(), [&](const wire::pex_peer& q) { return same_pex_endpoint(p, q); });
  };
  wire::ut_pex m;
  for (const auto& p : current) {
    if (m.added.size() >= max_added_per_message) break;
    if (!contains(sent_, p) && !contains(m.added, p)) m.added.push_back(p);
  }
  for (const auto& p : sent_) {
    if (m.dropped.size() >= max_dropped_per_message) break;
    if (!contains(current, p)) {
      wire::pex_peer d = p;
      d.flags = 0;
      m.dropped.push_back(d);
    }
  }
  if (m.added.empty() && m.dropped.empty()) return std::nullopt;
  std::erase_if(sent_, [&](const wire::pex_peer& p) { return contains(m.dropped, p); });
  sent_.insert(sent_.end(), m.added.begin(), m.added.end());
  // The wire order is IPv4 then IPv6 (encode_ut_pex splits by family): keep that order here too.
  std::stable_partition(m.added.begin(), m.added.end(), [](const wire::pex_peer& p) { return p.ip.size == 4; });
  std::stable_partition(m.dropped.begin(), m.dropped.end(), [](const wire::pex_peer& p) { return p.ip.size == 4; });
  last_sent_ = now;
  return m;
}

bool pex_state::accept_message(clock::time_point now) {
  if (last_received_ && now - *last_received_ < min_receive_interval) return false;
  last_received_ = now;
  return true;
}

namespace {

std::optional<net::tcp::endpoint> to_endpoint(const wire::pex_peer& p) {
  if (p.port == 0) return std::nullopt;
  net::asio::ip::address addr;
  if (p.ip.size == 4) {
    net::asio::ip::address_v4::bytes_type b{};
    std::copy_n(p.ip.bytes.begin(), 4, b.begin());
    addr = net::asio::ip::address_v4(b);
  } else if (p.ip.size == 16) {
    net::asio::ip::address_v6::bytes_type b{};
    std::copy_n(p.ip.bytes.begin(), 16, b.begin());
    const auto v6 = net::asio::ip::address_v6(b);
    addr = v6.is_v4_mapped() ? net::asio::ip::address(net::asio::ip::make_address_v4(net::asio::ip::v4_mapped, v6))
                             : net::asio::ip::address(v6);
  } else {
    return std::nullopt;
  }
  if (addr.is_unspecified() || addr.is_multicast()) return std::nullopt;
  if (addr.is_v4() && addr.to_v4() == net::asio::ip::address_v4::broadcast()) return std::nullopt;
  return net::tcp::endpoint(addr, p.port);
}

}  // namespace

void pex_tick(peer_connection& p, torrent& t, std::chrono::steady_clock::time_point now) {
  if (!t.pex_allowed() || !p.pex().due(now)) return;
  auto m = p.pex().next_message(now, t.pex_peers(p.token()));
  if (!m) return;
  p.send_extended(*p.pex().their_id(), wire::encode_ut_pex(*m));
}

bool pex_receive(peer_connection& p, torrent& t, std::string_view payload) {
  auto m = wire::decode_ut_pex(payload);
  if (!m) {
    p.disconnect("ut_pex: " + m.error().message(), true);
    return false;
  }
  if (!p.pex().accept_message(std::chrono::steady_clock::now())) return true;
  std::size_t taken = 0;
  for (const auto& peer : m->added) {
    if (taken == pex_state::max_new_per_message) break;
    if (auto ep = to_endpoint(peer)) {
      t.add_candidate(*ep, peer_source::pex);
      ++taken;
    }
  }
  return true;
}

}  // namespace ccbt::session_detail
