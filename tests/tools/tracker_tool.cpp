// ccbt_tracker_tool — drives ccbt's tracker code from the interop tests, one JSON object per line.
//
//   ccbt_tracker_tool serve [--bind A] [--http-port P] [--udp-port Q] [--interval S]
//                           [--max-peers N] [--whitelist HEX]...
//       runs the embedded tracker (ccbt::tracker_server) until SIGINT/SIGTERM; prints
//       {"event":"listening",...} once it accepts requests and {"event":"stopped",...stats} at exit.
//   ccbt_tracker_tool announce --url U --info-hash HEX --peer-id ID20 --port N [--event E]
//                              [--left N] [--numwant N] [--timeout-ms T] [--udp-timeout-ms T]
//                              [--ca-file PEM]
//   ccbt_tracker_tool scrape --url U --info-hash HEX... [--timeout-ms T] [--udp-timeout-ms T]
//       one request with ccbt's tracker client; prints {"event":"announce"|"scrape","ok":...};
//       exit status 0 on success, 1 on a tracker error, 2 on bad arguments.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ccbt/tracker_server.hpp>

#include "tracker/client.hpp"

namespace {

using json = nlohmann::json;
namespace t = ccbt::tracker;

void emit(const json& j) {
  std::cout << j.dump() << std::endl;  // flushed: the test reads line by line
}

json error_json(const char* what, const ccbt::error& e) {
  return {{"event", what},
          {"ok", false},
          {"error", e.message()},
          {"category", e.code.category().name()},
          {"code", e.code.value()}};
}

int serve(const ccbt::tracker_server_options& opts) {
  ccbt::tracker_server server(opts);
  if (auto r = server.start(); !r) {
    emit({{"event", "error"}, {"error", r.error().message()}});
    return 1;
  }
  const int sig = server.wait_for_signal([&] {
    emit({{"event", "listening"},
          {"http_port", server.http_port()},
          {"udp_port", server.udp_port()},
          {"http_url", server.http_announce_url()},
          {"udp_url", server.udp_announce_url()}});
  });
  const auto st = server.stats();
  server.stop();
  emit({{"event", "stopped"},
        {"signal", sig},
        {"torrents", st.torrents},
        {"peers", st.peers},
        {"seeds", st.seeds},
        {"announces", st.announces},
        {"scrapes", st.scrapes},
        {"rejected", st.rejected}});
  return 0;
}

template <class T>
std::optional<T> run(ccbt::net::awaitable<T> aw, std::chrono::milliseconds limit) {
  ccbt::net::asio::io_context io;
  std::optional<T> out;
  ccbt::net::asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T v) {
    if (e) std::rethrow_exception(e);
    out = std::move(v);
  });
  io.run_for(limit);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ccbt tracker test tool"};
  app.require_subcommand(1);

  ccbt::tracker_server_options sopts;
  std::vector<std::string> whitelist;
  auto* s = app.add_subcommand("serve", "run the embedded tracker");
  s->add_option("--bind", sopts.bind_address);
  s->add_option("--http-port", sopts.http_port, "-1: off, 0: any");
  s->add_option("--udp-port", sopts.udp_port, "-1: off, 0: any");
  std::int64_t interval = 1800;
  s->add_option("--interval", interval);
  s->add_option("--max-peers", sopts.max_peers_per_torrent);
  s->add_option("--whitelist", whitelist, "info-hash (hex)");

  std::string url, peer, event_name, ca_file;
  std::vector<std::string> hashes;
  std::uint16_t port = 0;
  std::uint64_t left = 0;
  std::optional<std::int32_t> numwant;
  std::int64_t timeout_ms = 10000, udp_timeout_ms = 2000;
  auto* a = app.add_subcommand("announce", "one announce with ccbt's client");
  a->add_option("--url", url)->required();
  a->add_option("--info-hash", hashes)->required();
  a->add_option("--peer-id", peer)->required();
  a->add_option("--port", port)->required();
  a->add_option("--event", event_name)->check(CLI::IsMember({"", "started", "completed", "stopped"}));
  a->add_option("--left", left);
  a->add_option("--numwant", numwant);
  a->add_option("--ca-file", ca_file);
  auto* sc = app.add_subcommand("scrape", "one scrape with ccbt's client");
  sc->add_option("--url", url)->required();
  sc->add_option("--info-hash", hashes)->required();
  for (auto* sub : {a, sc}) {
    sub->add_option("--timeout-ms", timeout_ms);
    sub->add_option("--udp-timeout-ms", udp_timeout_ms, "BEP 15 base timeout");
  }
  CLI11_PARSE(app, argc, argv);

  if (s->parsed()) {
    sopts.announce_interval = std::chrono::seconds(interval);
    for (const auto& h : whitelist) {
      auto parsed = ccbt::sha1_hash::from_hex(h);
      if (!parsed) {
        std::cerr << "bad info-hash " << h << "\n";
        return 2;
      }
      sopts.whitelist.push_back(*parsed);
    }
    return serve(sopts);
  }

  std::vector<ccbt::sha1_hash> ih;
  for (const auto& h : hashes) {
    auto parsed = ccbt::sha1_hash::from_hex(h);
    if (!parsed) {
      std::cerr << "bad info-hash " << h << "\n";
      return 2;
    }
    ih.push_back(*parsed);
  }
  t::client_options copts;
  copts.http.timeout = std::chrono::milliseconds(timeout_ms);
  copts.udp.base_timeout = std::chrono::milliseconds(udp_timeout_ms);
  copts.udp.max_retransmits = 2;
  t::client c(copts);
  if (!ca_file.empty()) {
    if (auto r = c.add_trust_anchors_file(ca_file); !r) {
      emit(error_json("announce", r.error()));
      return 2;
    }
  }
  const auto limit = std::chrono::milliseconds(timeout_ms) + 7 * std::chrono::milliseconds(udp_timeout_ms);

  if (a->parsed()) {
    auto pid = t::peer_id::from_bytes(peer);
    if (!pid) {
      std::cerr << "--peer-id must be 20 bytes\n";
      return 2;
    }
    t::announce_request req;
    req.info_hash = ih.front();
    req.pid = *pid;
    req.port = port;
    req.left = left;
    req.num_want = numwant;
    req.key = 0x5eed;
    if (event_name == "started") req.ev = t::event::started;
    if (event_name == "completed") req.ev = t::event::completed;
    if (event_name == "stopped") req.ev = t::event::stopped;
    auto r = run(c.announce(url, req), limit);
    if (!r) {
      emit({{"event", "announce"}, {"ok", false}, {"error", "no answer in time"}});
      return 1;
    }
    if (!*r) {
      emit(error_json("announce", r->error()));
      return 1;
    }
    const auto& resp = **r;
    json peers = json::array();
    for (const auto& p : resp.peers) peers.push_back(p.address.to_string());
    emit({{"event", "announce"},
          {"ok", true},
          {"interval", resp.interval ? resp.interval->count() : -1},
          {"min_interval", resp.min_interval ? resp.min_interval->count() : -1},
          {"complete", resp.complete.value_or(-1)},
          {"incomplete", resp.incomplete.value_or(-1)},
          {"warning", resp.warning},
          {"peers", peers}});
    return 0;
  }

  auto r = run(c.scrape(url, ih), limit);
  if (!r) {
    emit({{"event", "scrape"}, {"ok", false}, {"error", "no answer in time"}});
    return 1;
  }
  if (!*r) {
    emit(error_json("scrape", r->error()));
    return 1;
  }
  json files = json::array();
  for (const auto& f : (*r)->files)
    files.push_back({{"info_hash", f.info_hash.to_hex()},
                     {"complete", f.complete},
                     {"downloaded", f.downloaded},
                     {"incomplete", f.incomplete}});
  emit({{"event", "scrape"}, {"ok", true}, {"files", files}});
  return 0;
}
