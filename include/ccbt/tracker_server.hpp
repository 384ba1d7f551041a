// ccbt::tracker_server — the embedded BitTorrent tracker (HTTP and UDP, announce and scrape) as a
// self-contained service for apps: `btbt tracker`, `ccbt demo`, private swarms and tests.
//
// No asio here: the server runs its own network thread. start() binds both sockets before it
// returns (so the ports are known and a busy port is an error at once); stop() (also run by the
// destructor) closes them and joins the thread. Peers that stop announcing expire after twice the
// announce interval; memory is bounded by max_torrents × max_peers_per_torrent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ccbt/error.hpp>
#include <ccbt/hash.hpp>

namespace ccbt {

struct tracker_server_options {
  std::string bind_address = "127.0.0.1";  // "0.0.0.0" / "::" to serve other machines
  int http_port = 0;                        // -1: no HTTP tracker; 0: any free port
  int udp_port = 0;                         // -1: no UDP tracker; 0: any free port
  std::chrono::seconds announce_interval{1800};
  std::size_t max_peers_per_torrent = 2000;
  std::size_t max_torrents = 10000;
  std::vector<sha1_hash> whitelist;         // info-hashes served; empty: any torrent
};

struct tracker_server_stats {
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
  std::uint64_t seeds = 0;
  std::uint64_t announces = 0;
  std::uint64_t scrapes = 0;
  std::uint64_t rejected = 0;
};

class tracker_server {
 public:
  explicit tracker_server(tracker_server_options opts = {});
  ~tracker_server();
  tracker_server(const tracker_server&) = delete;
  tracker_server& operator=(const tracker_server&) = delete;

  // Binds and starts serving on a thread of its own. Errors: a bad option, or the bind error with
  // the address in its context ("HTTP tracker listen on 127.0.0.1:6969").
  [[nodiscard]] result<void> start();
  // Closes the sockets and joins the thread; idempotent.
  void stop();
  // Blocks the caller until SIGINT or SIGTERM arrives or stop() is called (from another thread).
  // on_armed runs (on the caller's thread) once the signal handlers are installed, e.g. to print
  // "listening". Returns the signal number, or 0 after stop() or when not started.
  int wait_for_signal(const std::function<void()>& on_armed = {});

  [[nodiscard]] std::uint16_t http_port() const noexcept;  // 0 when not serving HTTP
  [[nodiscard]] std::uint16_t udp_port() const noexcept;   // 0 when not serving UDP
  // "http://127.0.0.1:6969/announce", "udp://127.0.0.1:6969/announce" ("" when off); a wildcard bind
  // address is shown as the loopback address.
  [[nodiscard]] std::string http_announce_url() const;
  [[nodiscard]] std::string udp_announce_url() const;
  [[nodiscard]] tracker_server_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ccbt
