// libFuzzer target for the HTTP tracker side: announce and scrape response parsing (client),
// announce/scrape query parsing (embedded tracker), tracker URLs and percent-coding.
//
// The first byte selects the parser; the rest is its input. Properties checked beyond "no crash,
// no leak, no UB": the parsers respect their limits, and what one side encodes the other side
// parses back to the same values.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tracker/http_parse.hpp"
#include "tracker/server_query.hpp"
#include "tracker/url.hpp"
#include "fuzz_check.hpp"

namespace {

namespace t = ccbt::tracker;

void announce_response(std::string_view in) {
  t::parse_limits lim;
  lim.max_peers = 50;
  lim.max_message = 64;
  auto r = t::parse_announce_response(in, lim);
  if (!r) {
    FUZZ_CHECK(r.error().code.category() == t::category());
    return;
  }
  FUZZ_CHECK(r->peers.size() <= lim.max_peers);
  FUZZ_CHECK(r->warning.size() <= lim.max_message);
  for (const auto& p : r->peers) FUZZ_CHECK(p.address.port != 0);
  // What the embedded tracker would write for these values parses back the same.
  t::server::announce_reply reply;
  reply.interval = r->interval ? static_cast<std::uint32_t>(r->interval->count()) : 1;
  reply.complete = r->complete.value_or(0);
  reply.incomplete = r->incomplete.value_or(0);
  reply.peers = r->peers;
  for (bool compact : {true, false}) {
    auto again = t::parse_announce_response(t::server::encode_announce_reply(reply, compact, false), lim);
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->peers.size() == r->peers.size());
    // compact lists IPv4 before IPv6, so compare as multisets of addresses
    std::size_t v4 = 0, v6 = 0;
    for (const auto& p : r->peers) (p.address.v6 ? v6 : v4)++;
    for (const auto& p : again->peers) (p.address.v6 ? v6 : v4)--;
    FUZZ_CHECK(v4 == 0 && v6 == 0);
    FUZZ_CHECK(again->complete == reply.complete);
  }
}

void scrape_response(std::string_view in) {
  t::parse_limits lim;
  lim.max_scrape_files = 20;
  auto r = t::parse_scrape_response(in, lim);
  if (!r) return;
  FUZZ_CHECK(r->files.size() <= lim.max_scrape_files);
  auto again = t::parse_scrape_response(t::server::encode_scrape_reply(r->files), lim);
  FUZZ_CHECK(again);
  FUZZ_CHECK(again->files.size() <= r->files.size());  // duplicate keys collapse
}

void announce_query(std::string_view in) {
  auto q = t::server::parse_announce_query(in);
  if (!q) {
    FUZZ_CHECK(q.error().code.category() == t::category());
    return;
  }
  // The client's URL for the same request parses back to it.
  const std::string url = t::announce_url("http://h/announce", q->request);
  const auto parts = t::server::split_target(std::string_view(url).substr(url.find('/', 7)));
  FUZZ_CHECK(parts.path == "/announce");
  auto again = t::server::parse_announce_query(parts.query);
  FUZZ_CHECK(again);
  FUZZ_CHECK(again->request.info_hash == q->request.info_hash);
  FUZZ_CHECK(again->request.pid == q->request.pid);
  FUZZ_CHECK(again->request.port == q->request.port);
  FUZZ_CHECK(again->request.left == q->request.left);
  FUZZ_CHECK(again->request.uploaded == q->request.uploaded);
  FUZZ_CHECK(again->request.downloaded == q->request.downloaded);
  FUZZ_CHECK(again->request.ev == q->request.ev);
  FUZZ_CHECK(again->request.num_want == q->request.num_want);
  auto hashes = t::server::parse_scrape_query(in, 8);
  if (hashes) FUZZ_CHECK(!hashes->empty() && hashes->size() <= 8);
}

void urls(std::string_view in) {
  auto u = t::parse_tracker_url(in);
  if (u) {
    FUZZ_CHECK(!u->host.empty() && u->port != 0 && !u->target.empty() && u->target.front() == '/');
    auto again = t::parse_tracker_url(u->to_string());
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->host == u->host && again->port == u->port && again->target == u->target &&
               again->scheme == u->scheme);
    auto s = t::scrape_url(in);
    if (s) FUZZ_CHECK(t::parse_tracker_url(*s));
  }
  const auto split = in.find('\n');
  if (split != std::string_view::npos) {
    auto r = t::resolve_redirect(in.substr(0, split), in.substr(split + 1));
    if (r) FUZZ_CHECK(t::parse_tracker_url(*r));
  }
  auto decoded = t::percent_decode(in);
  if (decoded) {
    auto round = t::percent_decode(t::percent_encode(*decoded));
    FUZZ_CHECK(round && *round == *decoded);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: announce_response(in); break;
    case 1: scrape_response(in); break;
    case 2: announce_query(in); break;
    default: urls(in); break;
  }
  return 0;
}
