// ccbt::tracker::client — announce and scrape against any tracker URL (http, https, udp).
//
// The session calls announce() with the URL a tracker_list job names; the client builds the
// request for that protocol, runs it on the calling coroutine's executor and returns the parsed
// response or the error of that tracker only. One client serves every torrent of a session (it
// holds the TLS trust store and the UDP connection-id cache); it is not thread-safe: use it from
// the network thread. The client must outlive the coroutines it starts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include <ccbt/error.hpp>

#include "net/asio.hpp"
#include "tracker/http_tracker.hpp"
#include "tracker/types.hpp"
#include "tracker/udp_tracker.hpp"

namespace ccbt::tracker {

struct client_options {
  http_options http;
  udp_options udp;
  parse_limits limits;
};

class client {
 public:
  explicit client(client_options opts = {});

  // Trust anchors in addition to the system store (/etc/ssl/certs): a PEM file, or PEM text.
  [[nodiscard]] result<void> add_trust_anchors_file(const std::string& pem_file);
  [[nodiscard]] result<void> add_trust_anchors_pem(std::string_view pem);

  [[nodiscard]] net::awaitable<result<announce_response>> announce(std::string url, announce_request req);
  // BEP 48 for HTTP (the scrape URL derived from the announce URL), BEP 15 for UDP. At most
  // udp::max_scrape_hashes (74) hashes per call.
  [[nodiscard]] net::awaitable<result<scrape_response>> scrape(std::string announce_url,
                                                               std::vector<sha1_hash> hashes);

  [[nodiscard]] const client_options& options() const noexcept { return opts_; }
  [[nodiscard]] boost::asio::ssl::context& tls_context() noexcept { return tls_; }

 private:
  client_options opts_;
  boost::asio::ssl::context tls_;
  udp_connection_cache udp_cache_;
};

// "1.2.3.4:6881" style endpoint of a peer, for the session.
[[nodiscard]] net::tcp::endpoint to_endpoint(const peer_address& a);

}  // namespace ccbt::tracker
