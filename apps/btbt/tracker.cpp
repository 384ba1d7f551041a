// `btbt tracker`: run ccbt's embedded HTTP + UDP tracker (announce and scrape) until Ctrl-C.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <ccbt/tracker_server.hpp>

#include "commands.hpp"

namespace ccbt::btbt {

command add_tracker(CLI::App& app) {
  struct opts {
    tracker_server_options server;
    int interval = 1800;
    std::vector<std::string> whitelist;
  };
  auto o = std::make_shared<opts>();
  o->server.http_port = 6969;
  o->server.udp_port = 6969;
  auto* cmd = app.add_subcommand("tracker", "Run a small HTTP + UDP BitTorrent tracker (announce and scrape)");
  cmd->add_option("--bind", o->server.bind_address, "address to serve on (default 127.0.0.1; 0.0.0.0 or :: for all)");
  cmd->add_option("--http-port", o->server.http_port, "HTTP tracker port (default 6969; 0 = any free port, -1 = off)");
  cmd->add_option("--udp-port", o->server.udp_port, "UDP tracker port (default 6969; 0 = any free port, -1 = off)");
  cmd->add_option("--interval", o->interval, "announce interval in seconds (default 1800)");
  cmd->add_option("--max-peers", o->server.max_peers_per_torrent, "peers kept per torrent (default 2000)");
  cmd->add_option("--whitelist", o->whitelist, "serve only these info-hashes (40 hex digits; repeatable)");
  return [o]() -> int {
    o->server.announce_interval = std::chrono::seconds(o->interval);
    for (const auto& hex : o->whitelist) {
      auto h = sha1_hash::from_hex(hex);
      if (!h) {
        std::fprintf(stderr, "btbt: --whitelist %s: expected 40 hex digits\n", hex.c_str());
        return 1;
      }
      o->server.whitelist.push_back(*h);
    }
    tracker_server server(o->server);
    if (auto r = server.start(); !r) {
      std::fprintf(stderr, "btbt: tracker: %s\n", r.error().message().c_str());
      return 1;
    }
    server.wait_for_signal([&] {
      if (server.http_port() != 0) std::printf("http announce: %s\n", server.http_announce_url().c_str());
      if (server.udp_port() != 0) std::printf("udp announce:  %s\n", server.udp_announce_url().c_str());
      std::fflush(stdout);
    });
    server.stop();
    const auto st = server.stats();
    std::fprintf(stderr, "btbt: tracker stopped: %llu announces, %llu scrapes, %llu torrents\n",
                 static_cast<unsigned long long>(st.announces), static_cast<unsigned long long>(st.scrapes),
                 static_cast<unsigned long long>(st.torrents));
    return 0;
  };
}

}  // namespace ccbt::btbt
