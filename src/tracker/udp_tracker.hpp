// BEP 15 UDP tracker client: connect, announce and scrape with connection-id caching and
// retransmission after base_timeout·2^n (n = 0..max_retransmits). L2: used by tracker::client.
//
// Invariants: each request uses its own connected UDP socket (so only the tracker's address can
// answer); a late answer to an earlier request of the same exchange is ignored, any other
// transaction id is wrong_transaction_id; connection ids are reused for connection_id_lifetime
// (BEP 15: one minute) and re-requested once when the tracker rejects a cached one; IPv6 trackers
// answer with 18-byte peers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include <ccbt/error.hpp>

#include "net/asio.hpp"
#include "tracker/types.hpp"
#include "tracker/url.hpp"

namespace ccbt::tracker {

struct udp_options {
  std::chrono::milliseconds base_timeout{15'000};  // BEP 15: 15 s
  int max_retransmits = 8;                         // BEP 15: n up to 8
  std::chrono::seconds connection_id_lifetime{60};
};

// Connection ids by tracker endpoint, bounded (the oldest entry goes first).
class udp_connection_cache {
 public:
  using endpoint = boost::asio::ip::udp::endpoint;
  static constexpr std::size_t max_entries = 1024;

  [[nodiscard]] std::optional<std::uint64_t> get(const endpoint& ep, std::chrono::steady_clock::time_point now,
                                                 std::chrono::seconds lifetime) const;
  void put(const endpoint& ep, std::uint64_t id, std::chrono::steady_clock::time_point now);
  void erase(const endpoint& ep);
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    std::uint64_t id;
    std::chrono::steady_clock::time_point obtained;
  };
  std::map<endpoint, entry> entries_;
};

[[nodiscard]] net::awaitable<result<announce_response>> udp_announce(tracker_url url, announce_request req,
                                                                     udp_connection_cache& cache,
                                                                     udp_options opts, parse_limits limits);

// At most udp::max_scrape_hashes hashes are asked for (the first ones).
[[nodiscard]] net::awaitable<result<scrape_response>> udp_scrape(tracker_url url, std::vector<sha1_hash> hashes,
                                                                 udp_connection_cache& cache, udp_options opts);

}  // namespace ccbt::tracker
