// The embedded tracker: a small, real HTTP + UDP tracker (announce and scrape) for private swarms,
// tests and `ccbt demo`. L2 on asio; the peer database is server::swarm_registry (pure).
//
// Invariants: runs on one single-threaded executor (all state is touched only there; stats() is
// safe from any thread); HTTP requests are bounded (8 KiB of headers, http_timeout per request,
// max_http_connections at once, 100 requests per connection); UDP connection ids are keyed hashes
// of the sender's IP and the minute, valid for two minutes, so the tracker keeps no per-client
// state for them; the sender's address is always taken from the socket. stop() closes the sockets
// and every connection; coroutines hold the state alive until they have finished.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <ccbt/error.hpp>

#include "net/asio.hpp"
#include "tracker/swarm.hpp"

namespace ccbt::tracker {

struct embedded_options {
  std::string bind_address = "127.0.0.1";
  std::optional<std::uint16_t> http_port = std::uint16_t{0};  // nullopt: no HTTP; 0: any free port
  std::optional<std::uint16_t> udp_port = std::uint16_t{0};   // nullopt: no UDP; 0: any free port
  server::swarm_options swarm;
  std::size_t max_http_connections = 512;
  std::chrono::milliseconds http_timeout{10'000};
  std::size_t max_scrape_hashes = 74;
};

struct embedded_stats {
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
  std::uint64_t seeds = 0;
  std::uint64_t announces = 0;  // HTTP and UDP
  std::uint64_t scrapes = 0;
  std::uint64_t rejected = 0;   // malformed or refused requests
};

class embedded_tracker {
 public:
  // Binds the sockets (errors name the address); nothing is served until run().
  [[nodiscard]] static result<std::unique_ptr<embedded_tracker>> create(net::asio::any_io_executor ex,
                                                                       embedded_options opts);
  ~embedded_tracker();
  embedded_tracker(const embedded_tracker&) = delete;
  embedded_tracker& operator=(const embedded_tracker&) = delete;

  [[nodiscard]] std::uint16_t http_port() const noexcept;  // 0 when HTTP is off
  [[nodiscard]] std::uint16_t udp_port() const noexcept;   // 0 when UDP is off
  // Starts the accept loop, the UDP loop and the expiry timer on the executor.
  void run();
  // Closes the sockets and connections. Call on the executor's thread.
  void stop();
  [[nodiscard]] embedded_stats stats() const noexcept;

  struct state;

 private:
  explicit embedded_tracker(std::shared_ptr<state> s) : state_(std::move(s)) {}
  std::shared_ptr<state> state_;
};

}  // namespace ccbt::tracker
