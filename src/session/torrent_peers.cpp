// The torrent's peers: the peer list, outgoing connects, incoming connections, duplicates, the
// events of a connection's life, and what PEX tells others. Split from torrent.cpp; same class, same
// (network) thread.
#include <algorithm>
#include <system_error>

#include "metainfo/metadata_download.hpp"
#include "mse/handshake.hpp"
#include "net/endpoint.hpp"
#include "session/peer_connection.hpp"
#include "session/session_impl.hpp"
#include "session/torrent.hpp"

namespace ccbt::session_detail {

namespace asio = net::asio;
using namespace asio::experimental::awaitable_operators;
using net::error_code;

// ---- peers -----------------------------------------------------------------------------------

std::string torrent::ban_key(const std::string& endpoint) const {
  // Ban the address; on loopback (tests, local swarms) every peer shares it, so ban the endpoint.
  auto ep = net::parse_endpoint(endpoint);
  if (!ep) return endpoint;
  if (ep->address().is_loopback()) return endpoint;
  return ep->address().to_string();
}

bool torrent::is_banned(const net::tcp::endpoint& ep) const {
  return banned_.count(ban_key(net::to_string(ep))) != 0;
}

bool torrent::accepts_connection() const noexcept {
  // Not while checking: a peer would get our (still empty) bitfield and never hear of the pieces the
  // check finds. It retries after a short back-off.
  return !stopping_ && !paused_ &&
         (state_ == torrent_state::downloading || state_ == torrent_state::seeding ||
          state_ == torrent_state::downloading_metadata) &&
         static_cast<int>(peers_.size()) < max_connections();
}

void torrent::add_peer(const std::string& host_port) {
  auto ep = net::parse_endpoint(host_port);
  if (!ep) {
    post_alert(alert_kind::peer_error, "ignoring peer address '" + host_port + "': expected IP:PORT");
    return;
  }
  add_candidate(*ep, peer_source::manual);
}

bool torrent::is_own_endpoint(const net::tcp::endpoint& ep) const {
  // Our listen port on a loopback, unspecified or listening address. (A peer id equal to ours is
  // caught by the handshake as well: that covers addresses we cannot know, such as a NAT's.)
  const auto port = ses_.listen_port_value();
  if (port == 0 || ep.port() != port) return false;
  if (ep.address().is_loopback() || ep.address().is_unspecified()) return true;
  for (const auto& iface : ses_.settings_ref().listen_interfaces)
    if (auto l = net::parse_endpoint(iface); l && l->address() == ep.address()) return true;
  return false;
}

void torrent::add_candidate(const net::tcp::endpoint& ep, peer_source source) {
  if (ep.port() == 0 || is_own_endpoint(ep) || is_banned(ep)) return;
  peer_list_.set_max_size(static_cast<std::size_t>(std::max(10, ses_.settings_ref().max_peer_list_size)));
  if (peer_list_.add(ep, source) == peer_list::add_result::full) return;
  if (state_ == torrent_state::downloading || state_ == torrent_state::seeding ||
      state_ == torrent_state::downloading_metadata)
    connect_candidates(clock::now());
}

void torrent::connect_candidates(clock::time_point now) {
  if (paused_ || stopping_ || state_ == torrent_state::error || state_ == torrent_state::checking) return;
  const auto& s = ses_.settings_ref();
  // Limits: this torrent's connections, all connections of the session, outgoing attempts in flight.
  const int torrent_room = max_connections() - static_cast<int>(peers_.size()) - half_open_;
  const int session_room = s.max_connections - ses_.connection_count() - ses_.half_open_count();
  const int room = std::min(torrent_room, session_room);
  if (room <= 0) return;
  const auto eps = peer_list_.candidates(now, static_cast<std::size_t>(room),
                                         [this](const net::tcp::endpoint& ep) { return is_banned(ep); });
  for (const auto& ep : eps) {
    if (!ses_.reserve_half_open()) break;
    peer_list_.on_connecting(ep);
    ++half_open_;
    asio::co_spawn(ses_.io(), connect_to(ep), asio::detached);
  }
}

namespace {

net::awaitable<error_code> tcp_connect(net::tcp::socket& sock, const net::tcp::endpoint& ep, int timeout_ms) {
  asio::steady_timer timer(sock.get_executor());
  timer.expires_after(std::chrono::milliseconds(timeout_ms));
  auto res = co_await (sock.async_connect(ep, net::use_nothrow) || timer.async_wait(net::use_nothrow));
  co_return res.index() == 1 ? error_code(asio::error::timed_out) : std::get<0>(std::get<0>(res));
}

}  // namespace

net::awaitable<void> torrent::connect_to(net::tcp::endpoint ep) {
  auto self = shared_from_this();
  const auto& s = ses_.settings_ref();
  net::tcp::socket sock(ses_.io());
  auto ec = co_await tcp_connect(sock, ep, s.peer_connect_timeout_ms);
  // MSE/PE first unless disabled; when it fails and plaintext is allowed, once more in plaintext
  // (a peer that does not speak MSE closes on our key exchange), as libtorrent does.
  std::unique_ptr<mse_outcome> mse;  // on the heap: a small coroutine frame
  // A peer whose MSE handshake failed before is dialled in plaintext (only where plaintext is allowed).
  const auto* known = peer_list_.find(ep);
  const bool skip_mse = s.encryption == encryption_policy::enabled && known != nullptr && known->no_mse;
  auto deadline = clock::now() + std::chrono::milliseconds(s.handshake_timeout_ms);  // the whole handshake
  if (!ec && s.encryption != encryption_policy::disabled && !skip_mse && !stopping_ && !paused_) {
    mse = std::make_unique<mse_outcome>();
    const auto reserved = our_reserved();
    const auto ia = std::make_unique<std::string>(our_handshake(id(), reserved));  // heap: small frame
    co_await run_mse_initiator(sock, id(), mse_policy_from(s), *ia, deadline, *mse);
    mse->ia_reserved = reserved;
    if (!mse->ok && s.encryption == encryption_policy::enabled && !stopping_ && !paused_) {
      peer_list_.on_mse_failed(ep);
      error_code ignored;
      sock.close(ignored);
      sock = net::tcp::socket(ses_.io());
      ec = co_await tcp_connect(sock, ep, s.peer_connect_timeout_ms);
      deadline = clock::now() + std::chrono::milliseconds(s.handshake_timeout_ms);
      mse.reset();
    }
  }
  --half_open_;
  ses_.release_half_open();
  if (stopping_ || paused_) {
    peer_list_.on_closed(ep, clock::now(), true, false);  // not the peer's fault: no failure counted
    co_return;
  }
  if (ec || (mse && !mse->ok)) {
    peer_list_.on_connect_failed(ep, clock::now());
    post_alert(alert_kind::peer_disconnected,
               "connect to " + net::to_string(ep) + " failed: " + (ec ? ec.message() : mse->error), {},
               net::to_string(ep), ec);
    co_return;
  }
  sock.set_option(net::tcp::no_delay(true), ec);
  const auto token = next_token_++;
  token_keys_[token] = ban_key(net::to_string(ep));
  list_eps_[token] = ep;
  auto p = std::make_shared<peer_connection>(self, std::move(sock), false, token, net::to_string(ep));
  if (mse) p->set_encryption(std::move(*mse));
  peers_.emplace(token, p);
  p->start(std::nullopt, deadline);
}

std::optional<sha1_hash> torrent::mse_skey(const sha1_hash& req2) const {
  if (mse_keys_.empty() || !(mse_keys_for_ == hashes_)) {
    mse_keys_.clear();
    if (hashes_.v1) mse_keys_.emplace_back(mse::req2_hash(*hashes_.v1), *hashes_.v1);
    if (hashes_.v2) mse_keys_.emplace_back(mse::req2_hash(hashes_.v2_truncated()), hashes_.v2_truncated());
    mse_keys_for_ = hashes_;
  }
  for (const auto& [r, skey] : mse_keys_)
    if (r == req2) return skey;
  return std::nullopt;
}

wire::reserved_bits torrent::our_reserved() const {
  wire::reserved_bits r;
  r.set(wire::feature::extension_protocol).set(wire::feature::fast);
  if (has_metadata() ? info().is_v2() : hashes().has_v2())
    r.set(wire::feature::v2);  // a btmh magnet: v2 (we may need the piece layers)
  return r;
}

std::string torrent::our_handshake(const sha1_hash& info_hash, const wire::reserved_bits& reserved) const {
  wire::handshake ours;
  ours.reserved = reserved;
  ours.info_hash = info_hash;
  ours.id = ses_.peer_id();
  std::string out;
  wire::encode(out, ours);
  return out;
}

void torrent::attach_incoming(net::tcp::socket socket, wire::handshake_parser hs, std::string endpoint,
                              clock::time_point deadline, mse_outcome* mse) {
  const auto token = next_token_++;
  token_keys_[token] = ban_key(endpoint);
  error_code ec;
  socket.set_option(net::tcp::no_delay(true), ec);
  auto p = std::make_shared<peer_connection>(shared_from_this(), std::move(socket), true, token, std::move(endpoint));
  if (mse) p->set_encryption(std::move(*mse));
  peers_.emplace(token, p);
  p->start(std::move(hs), deadline);
}

bool torrent::resolve_duplicate(peer_connection& p) {
  peer_connection* older = nullptr;
  for (auto& [t, q] : peers_)
    if (q.get() != &p && q->handshake_done() && !q->closed() && q->peer_id() == p.peer_id()) older = q.get();
  if (!older) return true;
  const bool keep_new = keep_newer_duplicate(!p.incoming(), ses_.peer_id(), p.peer_id());
  auto* loser = keep_new ? older : &p;
  auto* winner = keep_new ? &p : older;
  // The survivor takes over the loser's peer list entry (it is the same peer).
  if (auto it = list_eps_.find(loser->token()); it != list_eps_.end() && list_eps_.count(winner->token()) == 0) {
    const auto ep = it->second;
    list_eps_.erase(it);
    list_eps_[winner->token()] = ep;
  }
  loser->disconnect("duplicate connection to the same peer (" + (keep_new ? p.endpoint() : older->endpoint()) +
                    " kept)");
  return keep_new;
}

void torrent::on_peer_listen_port(peer_connection& p, std::uint16_t port) {
  if (list_eps_.count(p.token()) != 0) return;
  auto remote = net::parse_endpoint(p.endpoint());
  if (!remote) return;
  const net::tcp::endpoint ep(remote->address(), port);
  if (is_own_endpoint(ep) || is_banned(ep)) return;
  // Connected through its own connection: the entry is active until that one closes.
  if (peer_list_.add(ep, peer_source::incoming) == peer_list::add_result::full) return;
  if (const auto* e = peer_list_.find(ep); e && e->active) return;  // we are dialling it too
  peer_list_.mark_active(ep);
  peer_list_.on_connected(ep);
  list_eps_[p.token()] = ep;
}

void torrent::on_peer_handshake(peer_connection& p) {
  if (!resolve_duplicate(p)) return;
  if (auto it = list_eps_.find(p.token()); it != list_eps_.end()) peer_list_.on_connected(it->second);
  post_alert(alert_kind::peer_connected,
             std::string(p.incoming() ? "incoming" : "outgoing") + " peer " + p.endpoint() +
                 (p.mse_method() != 0 ? std::string(" (encrypted handshake, ") + mse_method_name(p.mse_method()) + " payload)"
                                      : std::string()),
             {}, p.endpoint());
}

void torrent::on_peer_closed(peer_connection& p, const std::string& reason, bool protocol_error, bool had_availability) {
  if (!picker_) {
  } else if (had_availability) {
    picker_->on_peer_disconnected(p.view());
  } else {
    picker_->abort_requests(p.token());
  }
  if (metadata_) metadata_->remove_peer(p.token());
  post_alert(protocol_error ? alert_kind::peer_error : alert_kind::peer_disconnected,
             "peer " + p.endpoint() + " disconnected: " + reason, {}, p.endpoint());
  // Back-off (peer_list::on_closed): no handshake counts as a failure, a violation waits 2 min.
  if (auto it = list_eps_.find(p.token()); it != list_eps_.end()) {
    peer_list_.on_closed(it->second, clock::now(), p.handshake_done(), protocol_error);
    list_eps_.erase(it);
  }
  auto keep = peers_.find(p.token());
  if (keep != peers_.end()) {
    // Keep the object alive until this call stack unwinds (the peer's coroutine holds it too).
    auto ptr = keep->second;
    peers_.erase(keep);
    asio::post(ses_.io(), [ptr] {});
  }
  // Its abandoned requests can go to others now.
  post_refill();
}

void torrent::post_refill() {
  if (refill_posted_) return;
  refill_posted_ = true;
  asio::post(ses_.io(), [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    self->refill_posted_ = false;
    std::vector<std::shared_ptr<peer_connection>> open;
    self->append_connections(open);
    for (const auto& p : open) {
      if (p->closed()) continue;  // closed by an earlier one's refill
      if (self->metadata_) self->request_metadata(*p);
      else p->fill_requests();
    }
  });
}

void torrent::on_peer_availability(peer_connection& p) {
  if (is_seed() && p.is_seed()) p.disconnect("both sides are seeds");
}

bool torrent::is_interesting(const peer_connection& p) const {
  // The picker knows what we still want; it compares 64 pieces at a time.
  // Only once checked (a magnet's peers are connected before): the check decides what we still want.
  return !paused_ && (state_ == torrent_state::downloading || state_ == torrent_state::seeding) &&
         picker_->wanted_remaining() != 0 && picker_->is_interesting(p.view());
}

void torrent::on_peer_interest_changed(peer_connection& p) {
  if (p.peer_interested()) unchoke_if_slot_free(p);
}

void torrent::unchoke_if_slot_free(peer_connection& p) {
  if (!p.am_choking() || !p.peer_interested()) return;
  int unchoked = 0;
  for (const auto& [t, q] : peers_)
    if (!q->am_choking()) ++unchoked;
  if (unchoked < unchoke_slots()) {
    p.set_choked(false);
    p.last_unchoked = seconds_;
  }
}

// ---- peer exchange -------------------------------------------------------------------------------

// Before the metadata (a magnet) the private flag is unknown: magnet links name public torrents.
bool torrent::pex_allowed() const noexcept { return (!info_ || !info_->is_private()) && ses_.settings_ref().enable_pex; }

std::vector<wire::pex_peer> torrent::pex_peers(picker::peer_token except) const {
  std::vector<wire::pex_peer> out;
  for (const auto& [tok, p] : peers_) {
    if (tok == except || !p->connected()) continue;
    auto it = list_eps_.find(tok);
    if (it == list_eps_.end()) continue;  // an incoming peer that did not tell its listen port
    wire::pex_peer e;
    const auto& addr = it->second.address();
    if (addr.is_v4()) {
      const auto b = addr.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), e.ip.bytes.begin());
      e.ip.size = 4;
    } else {
      const auto b = addr.to_v6().to_bytes();
      std::copy(b.begin(), b.end(), e.ip.bytes.begin());
      e.ip.size = 16;
    }
    e.port = it->second.port();
    if (p->is_seed()) e.flags |= wire::pex_flag::seed;
    if (!p->incoming()) e.flags |= wire::pex_flag::reachable;
    if (p->mse_method() != 0) e.flags |= wire::pex_flag::prefers_encryption;  // it speaks MSE
    out.push_back(e);
  }
  return out;
}

}  // namespace ccbt::session_detail
