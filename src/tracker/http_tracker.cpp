#include "tracker/http_tracker.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <vector>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "tracker/url.hpp"

namespace ccbt::tracker {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using net::asio::ip::tcp;
using net::use_nothrow;
using steady = std::chrono::steady_clock;

tl::unexpected<error> io_error(const boost::system::error_code& ec, std::string context) {
  if (ec == beast::error::timeout) return make_error(errc::timeout, std::move(context));
  if (ec == net::asio::error::operation_aborted) return make_error(errc::aborted, std::move(context));
  return tl::unexpected<error>(error{std::error_code(ec), std::nullopt, std::move(context)});
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  (void)net::asio::ip::make_address(host, ec);
  return !ec;
}

template <class Stream>
net::awaitable<result<http_reply>> exchange(Stream& stream, const tracker_url& u, const http_options& opts) {
  http::request<http::empty_body> req{http::verb::get, u.target, 11};
  req.set(http::field::host, u.authority());
  req.set(http::field::user_agent, opts.user_agent);
  req.set(http::field::accept_encoding, "identity");
  req.set(http::field::connection, "close");
  if (auto [ec, n] = co_await http::async_write(stream, req, use_nothrow); ec) co_return io_error(ec, "send");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(opts.max_header_size));
  parser.body_limit(opts.max_response_size);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
  if (ec == ssl::error::stream_truncated && !parser.is_done() && parser.is_header_done()) {
    // A TLS peer that closes without close_notify after an EOF-delimited body.
    parser.put_eof(ec);
  }
  if (ec == http::error::body_limit || ec == http::error::header_limit)
    co_return make_error(errc::response_too_large, "limit " + std::to_string(opts.max_response_size));
  if (ec) co_return io_error(ec, "receive");
  auto& msg = parser.get();
  if (const auto enc = msg[http::field::content_encoding]; !enc.empty() && !beast::iequals(enc, "identity"))
    co_return make_error(errc::unsupported_encoding, std::string(enc.substr(0, 64)));
  http_reply reply;
  reply.status = msg.result_int();
  if (reply.status >= 300 && reply.status < 400) {
    reply.body = std::string(msg[http::field::location]);  // the Location, for the caller's loop
  } else {
    reply.body = std::move(msg.body());
  }
  co_return reply;
}

net::awaitable<result<http_reply>> fetch_once(const tracker_url& u, ssl::context& tls, const http_options& opts,
                                              steady::time_point deadline) {
  auto ex = co_await net::asio::this_coro::executor;
  const std::string where = u.authority();
  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code ec;
  const auto literal = net::asio::ip::make_address(u.host, ec);
  if (!ec) {
    endpoints.emplace_back(literal, u.port);
  } else {
    // getaddrinfo cannot be interrupted; the system resolver's own timeouts bound it.
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(u.host, std::to_string(u.port), use_nothrow);
    if (rec) co_return io_error(rec, "resolve " + u.host);
    for (const auto& r : results) endpoints.push_back(r.endpoint());
    if (endpoints.empty()) co_return make_error(errc::no_address, u.host);
  }
  if (steady::now() >= deadline) co_return make_error(errc::timeout, where);

  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_at(deadline);
  if (auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, use_nothrow); cec)
    co_return io_error(cec, "connect " + where);

  if (u.scheme == url_scheme::http) {
    auto r = co_await exchange(tcp_stream, u, opts);
    boost::system::error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return r;
  }

  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
  SSL* handle = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(handle);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (is_ip_literal(u.host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, u.host.c_str()) != 1) co_return make_error(errc::invalid_url, "host");
  } else {
    // SNI is for DNS names only (RFC 6066).
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    if (SSL_ctrl(handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(u.host.c_str())) != 1 ||
        X509_VERIFY_PARAM_set1_host(param, u.host.c_str(), 0) != 1)
      co_return make_error(errc::invalid_url, "host");
  }
  stream.set_verify_mode(ssl::verify_peer);
  if (auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_nothrow); hec)
    co_return io_error(hec, "TLS handshake " + where);
  auto r = co_await exchange(stream, u, opts);
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return r;
}

}  // namespace

ssl::context make_tls_client_context() {
  ssl::context ctx(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                  ec);
  ctx.set_default_verify_paths(ec);  // without a store every handshake fails verification: safe
  ctx.set_verify_mode(ssl::verify_peer, ec);
  return ctx;
}

net::awaitable<result<http_reply>> http_get(std::string url, ssl::context& tls, http_options opts) {
  const auto deadline = steady::now() + opts.timeout;
  std::vector<std::string> visited;
  for (int hops = 0;; ++hops) {
    auto u = parse_tracker_url(url);
    if (!u) co_return tl::unexpected(u.error());
    if (u->scheme == url_scheme::udp) co_return make_error(errc::unsupported_scheme, "udp over HTTP");
    auto r = co_await fetch_once(*u, tls, opts, deadline);
    if (!r) co_return r;
    if (r->status < 300 || r->status >= 400 || r->status == 304) {
      r->url = std::move(url);
      co_return r;
    }
    auto next = resolve_redirect(url, r->body);
    if (!next) co_return tl::unexpected(next.error());
    visited.push_back(std::move(url));
    if (std::find(visited.begin(), visited.end(), *next) != visited.end())
      co_return make_error(errc::redirect_loop, next->substr(0, 200));
    if (hops >= opts.max_redirects) co_return make_error(errc::too_many_redirects, next->substr(0, 200));
    url = std::move(*next);
  }
}

}  // namespace ccbt::tracker
