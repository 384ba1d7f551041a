#include "tracker/client.hpp"

#include <cstring>

#include "tracker/http_parse.hpp"
#include "tracker/udp_packet.hpp"
#include "tracker/url.hpp"

namespace ccbt::tracker {
namespace {

// A non-200 reply: its bencoded failure reason if it has one, else the status.
tl::unexpected<error> status_error(const http_reply& reply, const parse_limits& limits) {
  auto parsed = parse_announce_response(reply.body, limits);
  if (!parsed && parsed.error().code == errc::tracker_failure) return tl::unexpected(parsed.error());
  return make_error(errc::http_status, "HTTP " + std::to_string(reply.status));
}

}  // namespace

client::client(client_options opts) : opts_(std::move(opts)), tls_(make_tls_client_context()) {}

result<void> client::add_trust_anchors_file(const std::string& pem_file) {
  boost::system::error_code ec;
  tls_.load_verify_file(pem_file, ec);
  if (ec) return tl::unexpected<error>(error{std::error_code(ec), std::nullopt, pem_file});
  return {};
}

result<void> client::add_trust_anchors_pem(std::string_view pem) {
  boost::system::error_code ec;
  tls_.add_certificate_authority(net::asio::buffer(pem.data(), pem.size()), ec);
  if (ec) return tl::unexpected<error>(error{std::error_code(ec), std::nullopt, "PEM trust anchor"});
  return {};
}

net::awaitable<result<announce_response>> client::announce(std::string url, announce_request req) {
  auto u = parse_tracker_url(url);
  if (!u) co_return tl::unexpected(u.error());
  if (u->scheme == url_scheme::udp) co_return co_await udp_announce(*u, req, udp_cache_, opts_.udp, opts_.limits);
  auto reply = co_await http_get(announce_url(url, req), tls_, opts_.http);
  if (!reply) co_return tl::unexpected(reply.error());
  if (reply->status != 200) co_return status_error(*reply, opts_.limits);
  co_return parse_announce_response(reply->body, opts_.limits);
}

net::awaitable<result<scrape_response>> client::scrape(std::string announce_url, std::vector<sha1_hash> hashes) {
  if (hashes.size() > udp::max_scrape_hashes) hashes.resize(udp::max_scrape_hashes);
  auto u = parse_tracker_url(announce_url);
  if (!u) co_return tl::unexpected(u.error());
  if (u->scheme == url_scheme::udp) co_return co_await udp_scrape(*u, std::move(hashes), udp_cache_, opts_.udp);
  auto base = scrape_url(announce_url);
  if (!base) co_return tl::unexpected(base.error());
  auto reply = co_await http_get(scrape_request_url(*base, hashes), tls_, opts_.http);
  if (!reply) co_return tl::unexpected(reply.error());
  if (reply->status != 200) co_return status_error(*reply, opts_.limits);
  co_return parse_scrape_response(reply->body, opts_.limits);
}

net::tcp::endpoint to_endpoint(const peer_address& a) {
  if (a.v6) {
    net::asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), a.ip.data(), 16);
    return {net::asio::ip::address_v6(b), a.port};
  }
  net::asio::ip::address_v4::bytes_type b;
  std::memcpy(b.data(), a.ip.data(), 4);
  return {net::asio::ip::address_v4(b), a.port};
}

}  // namespace ccbt::tracker
