// HTTP/1.1 GET for tracker requests over TCP or TLS (Beast), with redirects, size limits and one
// deadline for the whole exchange. L2: used by tracker::client.
//
// Invariants: TLS always verifies the certificate chain against the context's trust store and the
// certificate against the URL's host (DNS name or IP address), and sends SNI for DNS names; at most
// max_redirects redirects are followed and a redirect to a URL already visited is redirect_loop;
// bodies above max_response_size are response_too_large; every failure is a returned error, never
// an exception.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include <ccbt/error.hpp>

#include "net/asio.hpp"
#include "tracker/errors.hpp"

namespace ccbt::tracker {

struct http_options {
  std::chrono::milliseconds timeout{30'000};  // whole exchange, redirects included
  std::size_t max_response_size = std::size_t{1} << 20;
  std::size_t max_header_size = 16 * 1024;
  int max_redirects = 5;
  std::string user_agent = "ccbt/0.1";
};

struct http_reply {
  unsigned status = 0;
  std::string body;
  std::string url;  // the URL that gave this reply (after redirects)
};

// Any final status is returned (the caller decides what a 4xx body means); transport problems,
// redirect problems and unsupported encodings are errors.
[[nodiscard]] net::awaitable<result<http_reply>> http_get(std::string url, boost::asio::ssl::context& tls,
                                                          http_options opts);

// A TLS client context: TLS 1.2+, peer verification on, the system trust store (/etc/ssl/certs).
[[nodiscard]] boost::asio::ssl::context make_tls_client_context();

}  // namespace ccbt::tracker
