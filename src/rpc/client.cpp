// ccbt::rpc_client: one HTTP/1.1 request per connection, on a private io_context, bounded in time.
#include <ccbt/rpc_client.hpp>

#include <charconv>
#include <fstream>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <ccbt/daemon.hpp>

#include "net/asio.hpp"
#include "rpc/state_dir.hpp"

namespace ccbt {
namespace {

namespace asio = net::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::tcp;
using net::use_nothrow;

constexpr std::size_t max_response = std::size_t{256} << 20;

}  // namespace

rpc_client::rpc_client(std::string host, std::uint16_t port, std::string token)
    : host_(std::move(host)), port_(port), token_(std::move(token)) {}

result<rpc_client> rpc_client::from_state_dir(const std::filesystem::path& dir) {
  if (!rpc::running_daemon_pid(dir))
    return make_error(rpc::errc::not_running, dir.string() + "; start one with `btbt daemon start`");
  std::ifstream in(dir / "api.endpoint");
  std::string endpoint;
  if (!(in >> endpoint)) return make_error(rpc::errc::not_running, (dir / "api.endpoint").string() + " is missing: the daemon is still starting or failed");
  const auto colon = endpoint.rfind(':');
  unsigned port = 0;
  const auto p = colon == std::string::npos ? std::string_view{} : std::string_view(endpoint).substr(colon + 1);
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535)
    return make_error(rpc::errc::protocol_error, (dir / "api.endpoint").string() + ": expected HOST:PORT, got \"" + endpoint + "\"");
  auto host = endpoint.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto token = rpc::read_token(dir);
  if (!token) return tl::unexpected(token.error());
  return rpc_client(std::move(host), static_cast<std::uint16_t>(port), std::move(*token));
}

result<rpc_response> rpc_client::call(std::string_view method, std::string_view target, std::string_view json_body,
                                      std::chrono::milliseconds timeout) const {
  asio::io_context ioc;
  result<rpc_response> out = make_error(rpc::errc::timeout, std::string(method) + " " + std::string(target));
  auto run = [&]() -> net::awaitable<void> {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host_, ec);
    const auto where = host_ + ":" + std::to_string(port_);
    if (ec) {
      out = make_error(rpc::errc::connect_failed, where + ": not an IP address");
      co_return;
    }
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    auto [cec] = co_await stream.async_connect(tcp::endpoint(address, port_), use_nothrow);
    if (cec) {
      out = make_error(cec == beast::error::timeout ? rpc::errc::timeout : rpc::errc::connect_failed,
                       where + ": " + cec.message());
      co_return;
    }
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, where);
    req.set(http::field::authorization, "Bearer " + token_);
    req.set(http::field::user_agent, "ccbt-rpc-client");
    if (!json_body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::string(json_body);
    }
    req.keep_alive(false);
    req.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, req, use_nothrow);
    // A write error may still leave an answer to read (the daemon refuses a body before reading it).
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_response);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (rec) {
      const auto& e = wec ? wec : rec;
      out = make_error(e == beast::error::timeout ? rpc::errc::timeout : rpc::errc::protocol_error,
                       std::string(method) + " " + std::string(target) + ": " + e.message());
      co_return;
    }
    out = rpc_response{static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
  };
  asio::co_spawn(ioc, run(), asio::detached);
  ioc.run();
  return out;
}

}  // namespace ccbt
