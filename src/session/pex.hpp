// pex — BEP 11 peer exchange for one connection (L3 logic, no I/O): whether the peer speaks
// ut_pex, what we already told it, when we may tell it again, and whether a message it sends is
// taken. The peer connection owns one pex_state; pex.cpp glues it to the torrent (which addresses we
// advertise, where received addresses go).
//
// Rules (as libtorrent and Transmission): our first message goes out on the first tick after the
// extension handshake at which we have something to say (the full list of our connected peers),
// then at most one message per `send_interval` holding only the difference (added with flags,
// dropped); at most `max_added_per_message` / `max_dropped_per_message` entries, the rest waits for
// the next message. A peer's messages are taken at most once per `min_receive_interval` (others
// are ignored, not fatal: clients differ), and at most `max_new_per_message` addresses of one
// message reach the torrent. Private torrents (BEP 27) neither advertise nor accept ut_pex.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "wire/extension_handshake.hpp"
#include "wire/ut_pex.hpp"

namespace ccbt::session_detail {

class peer_connection;
class torrent;

class pex_state {
 public:
  using clock = std::chrono::steady_clock;
  // The id we ask peers to use for ut_pex messages to us (our "m" entry; libtorrent's choice too).
  static constexpr std::uint8_t local_id = 1;
  static constexpr auto send_interval = std::chrono::seconds(60);
  static constexpr auto min_receive_interval = std::chrono::seconds(20);
  static constexpr std::size_t max_added_per_message = 50;
  static constexpr std::size_t max_dropped_per_message = 50;
  static constexpr std::size_t max_new_per_message = 50;

  // From the peer's BEP 10 handshake (sent again by some clients: the last one counts).
  void on_handshake(const wire::extension_handshake& h) { their_id_ = h.id_of(wire::ut_pex_name); }
  [[nodiscard]] std::optional<std::uint8_t> their_id() const noexcept { return their_id_; }

  // Whether a message may go out now (the peer speaks ut_pex and the interval has passed).
  [[nodiscard]] bool due(clock::time_point now) const noexcept {
    return their_id_ && (!last_sent_ || now - *last_sent_ >= send_interval);
  }

  // The message to send now given our currently connected peers (the recipient left out), or
  // nullopt: the peer does not speak ut_pex, it is too early, or nothing changed. Remembers what
  // was sent.
  std::optional<wire::ut_pex> next_message(clock::time_point now, const std::vector<wire::pex_peer>& current);

  // Whether a message arriving now is taken (false: it came too soon after the previous one).
  bool accept_message(clock::time_point now);

  // What the peer has been told and not told dropped since (for tests).
  [[nodiscard]] const std::vector<wire::pex_peer>& advertised() const noexcept { return sent_; }

 private:
  std::optional<std::uint8_t> their_id_;
  std::vector<wire::pex_peer> sent_;   // address+port entries the peer knows from us
  std::optional<clock::time_point> last_sent_;
  std::optional<clock::time_point> last_received_;
};

// Same address and port (flags ignored).
[[nodiscard]] bool same_pex_endpoint(const wire::pex_peer& a, const wire::pex_peer& b) noexcept;

// ---- glue, called by the peer connection (network thread) ----------------------------------------
// Once a second: sends the peer our diff if it is due.
void pex_tick(peer_connection& p, torrent& t, std::chrono::steady_clock::time_point now);
// A ut_pex message from the peer. Returns false if the connection was closed (malformed message).
bool pex_receive(peer_connection& p, torrent& t, std::string_view payload);

}  // namespace ccbt::session_detail
