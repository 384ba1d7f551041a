// The API's HTTP server. See http_server.hpp.
#include "rpc/http_server.hpp"

#include <atomic>
#include <thread>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/crypto.h>

#include <ccbt/daemon.hpp>

#include "net/asio.hpp"

namespace ccbt::rpc {
namespace {

namespace asio = net::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::tcp;
using net::use_nothrow;

constexpr std::uint32_t header_limit = 16 * 1024;

bool token_matches(std::string_view header, const std::string& token) {
  constexpr std::string_view prefix = "Bearer ";
  if (header.size() != prefix.size() + token.size() || header.substr(0, prefix.size()) != prefix) return false;
  return CRYPTO_memcmp(header.data() + prefix.size(), token.data(), token.size()) == 0;
}

}  // namespace

struct http_server::impl {
  server_options opts;
  request_handler handler;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::atomic<bool> stopped{false};
  int active = 0;     // connections being served (network thread only)
  int rejecting = 0;  // connections being answered 503
  std::uint16_t bound_port = 0;

  http::response<http::string_body> make_response(unsigned version, const http_reply& r, bool keep_alive) {
    http::response<http::string_body> res;
    res.version(version == 10 ? 10 : 11);
    res.result(static_cast<unsigned>(r.status));
    res.set(http::field::server, "ccbt");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    return res;
  }

  http_reply call_handler(std::string_view method, std::string_view target, std::string_view body) {
    try {
      return handler(method, target, body);
    } catch (const std::exception& e) {
      return error_reply({500, "internal_error", e.what()});
    }
  }

  net::awaitable<void> serve(tcp::socket socket) {
    ++active;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (!stopped) {
      stream.expires_after(opts.timeout);
      http::request_parser<http::string_body> parser;
      parser.header_limit(header_limit);
      parser.body_limit(opts.max_body);
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_nothrow);
      std::optional<http_reply> early;
      if (hec == http::error::header_limit) early = error_reply({431, "header_too_large", "request header larger than 16 KiB"});
      else if (hec == http::error::body_limit) early = error_reply({413, "payload_too_large", "request body larger than " + std::to_string(opts.max_body) + " bytes"});
      else if (hec) break;  // closed, timed out or not HTTP: nothing sensible to answer
      if (!early && !token_matches(parser.get()[http::field::authorization], opts.token))
        early = error_reply({401, "unauthorized", "missing or wrong API token (send \"Authorization: Bearer <token>\", "
                                                  "the token is in <state_dir>/api.token)"});
      if (!early && !parser.is_done()) {
        // curl sends "Expect: 100-continue" before a large body and waits for this (or a second).
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> cont{http::status::continue_, 11};
          auto [cec, cn] = co_await http::async_write(stream, cont, use_nothrow);
          if (cec) break;
        }
        auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_nothrow);
        if (bec == http::error::body_limit) early = error_reply({413, "payload_too_large", "request body larger than " + std::to_string(opts.max_body) + " bytes"});
        else if (bec) break;
      }
      const unsigned version = hec ? 11 : parser.get().version();
      if (early) {
        // The rest of the request is not read: answer and close.
        auto res = make_response(version, *early, false);
        (void)co_await http::async_write(stream, res, use_nothrow);
        break;
      }
      auto req = parser.release();
      const bool keep = req.keep_alive();
      auto reply = call_handler(std::string_view(req.method_string()), std::string_view(req.target()), req.body());
      auto res = make_response(version, reply, keep);
      auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
      if (wec || !keep) break;
    }
    --active;
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
  }

  net::awaitable<void> reject(tcp::socket socket) {
    ++rejecting;
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(5));
    auto res = make_response(11, error_reply({503, "too_many_connections",
                                               "the daemon serves " + std::to_string(opts.max_connections) +
                                                   " API connections at once; try again"}), false);
    auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    // Drain what the client sent (so closing does not reset the connection before it reads the 503).
    if (!wec) {
      std::array<char, 4096> sink{};
      for (int i = 0; i < 16; ++i) {
        auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), use_nothrow);
        if (rec) break;
      }
    }
    stream.socket().close(ignored);
    --rejecting;
  }

  net::awaitable<void> accept_loop() {
    while (!stopped && acceptor.is_open()) {
      auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || stopped) break;
        asio::steady_timer t(ioc, std::chrono::milliseconds(50));  // e.g. EMFILE: do not spin
        (void)co_await t.async_wait(use_nothrow);
        continue;
      }
      if (active >= opts.max_connections) {
        if (rejecting < opts.max_connections) asio::co_spawn(ioc, reject(std::move(socket)), asio::detached);
        continue;  // beyond that the socket just closes
      }
      asio::co_spawn(ioc, serve(std::move(socket)), asio::detached);
    }
  }
};

http_server::http_server(std::shared_ptr<impl> p) : impl_(std::move(p)) {}
http_server::~http_server() { stop(); }

result<std::unique_ptr<http_server>> http_server::start(server_options opts, request_handler handler) {
  auto p = std::make_shared<impl>();
  p->opts = std::move(opts);
  p->handler = std::move(handler);
  const auto where = p->opts.bind_address + " port " + std::to_string(p->opts.port);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(p->opts.bind_address, ec);
  if (ec) return make_error(errc::listen_failed, "API bind address \"" + p->opts.bind_address + "\" is not an IP address");
  const tcp::endpoint ep(address, p->opts.port);
  p->acceptor.open(ep.protocol(), ec);
  if (!ec) p->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) p->acceptor.bind(ep, ec);
  if (!ec) p->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(errc::listen_failed, "API on " + where + ": " + ec.message());
  p->bound_port = p->acceptor.local_endpoint().port();
  asio::co_spawn(p->ioc, p->accept_loop(), asio::detached);
  p->thread = std::thread([raw = p.get()] { raw->ioc.run(); });
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

void http_server::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  asio::post(impl_->ioc, [p = impl_.get()] {
    boost::system::error_code ignored;
    p->acceptor.close(ignored);
    p->ioc.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t http_server::port() const noexcept { return impl_->bound_port; }

std::string http_server::endpoint() const {
  auto host = impl_->opts.bind_address;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(impl_->bound_port);
}

}  // namespace ccbt::rpc
