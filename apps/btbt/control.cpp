// The btbt commands that control a running daemon through its API (docs/cli.md, docs/api.md):
// add, list, status, pause, resume, recheck, remove, files, peers, config.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <ccbt/magnet.hpp>
#include <ccbt/rpc_client.hpp>
#include <ccbt/settings.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common/format.hpp"
#include "daemon_client.hpp"

namespace ccbt::btbt {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_torrent_file = std::size_t{8} << 20;

std::string read_torrent_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::string data;
  data.resize(max_torrent_file + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (data.size() > max_torrent_file) throw std::runtime_error(path + ": larger than 8 MiB, not a .torrent file");
  return data;
}

// "0,2,5-7" -> {0, 2, 5, 6, 7}
std::vector<std::size_t> parse_index_list(const std::string& text) {
  std::vector<std::size_t> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = text.find(',', pos);
    const auto part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const auto dash = part.find('-');
    try {
      std::size_t used = 0;
      if (dash == std::string::npos) {
        out.push_back(std::stoul(part, &used));
        if (used != part.size()) throw std::invalid_argument(part);
      } else {
        const auto a = std::stoul(part.substr(0, dash));
        const auto b = std::stoul(part.substr(dash + 1), &used);
        if (used != part.size() - dash - 1 || b < a || b - a > 100000) throw std::invalid_argument(part);
        for (auto i = a; i <= b; ++i) out.push_back(i);
      }
    } catch (const std::logic_error&) {
      throw std::runtime_error("--files: \"" + part + "\" is not a file index or range (e.g. 0,2,5-7)");
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

// "IDX=P" -> (IDX, P)
std::pair<std::size_t, int> parse_priority(const std::string& text) {
  const auto eq = text.find('=');
  try {
    if (eq == std::string::npos) throw std::invalid_argument(text);
    std::size_t u1 = 0, u2 = 0;
    const auto idx = std::stoul(text.substr(0, eq), &u1);
    const auto p = std::stoi(text.substr(eq + 1), &u2);
    if (u1 != eq || u2 != text.size() - eq - 1 || p < 0 || p > 7) throw std::invalid_argument(text);
    return {idx, p};
  } catch (const std::logic_error&) {
    throw std::runtime_error("--priority: expected FILE_INDEX=PRIORITY with a priority 0..7, got \"" + text + "\"");
  }
}

std::string strategy_arg(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  if (!ccbt::parse_piece_strategy(s))
    throw std::runtime_error("--strategy: rarest-first, sequential or round-robin, not \"" + s + "\"");
  return s;
}

void print_json(const json& j) { std::printf("%s\n", j.dump(2).c_str()); }

std::string percent(double p) { return fmt::format("{:.1f}%", p * 100.0); }

void print_torrent(const json& t) {
  std::printf("%-11s %s\n", "name:", t["name"].get<std::string>().c_str());
  std::printf("%-11s %s\n", "id:", t["id"].get<std::string>().c_str());
  std::printf("%-11s %zu\n", "index:", t["index"].get<std::size_t>());
  std::printf("%-11s %s\n", "state:", t["state"].get<std::string>().c_str());
  std::printf("%-11s %s (%s of %s)\n", "progress:", percent(t["progress"].get<double>()).c_str(),
              apps::format_size(t["total_wanted_done"].get<std::uint64_t>()).c_str(),
              apps::format_size(t["total_wanted"].get<std::uint64_t>()).c_str());
  std::printf("%-11s %u / %u\n", "pieces:", t["pieces_done"].get<unsigned>(), t["num_pieces"].get<unsigned>());
  std::printf("%-11s down %s, up %s\n", "rates:", apps::format_rate(t["download_rate"].get<double>()).c_str(),
              apps::format_rate(t["upload_rate"].get<double>()).c_str());
  std::printf("%-11s %d (%d seeds)\n", "peers:", t["num_peers"].get<int>(), t["num_seeds"].get<int>());
  std::printf("%-11s %s\n", "save path:", t["save_path"].get<std::string>().c_str());
  if (t.contains("strategy")) std::printf("%-11s %s\n", "strategy:", t["strategy"].get<std::string>().c_str());
  if (t.contains("stream")) std::printf("%-11s %s\n", "streaming:", stream_text(t["stream"]).c_str());
  if (!t["error"].get<std::string>().empty()) std::printf("%-11s %s\n", "error:", t["error"].get<std::string>().c_str());
}

void print_list(const json& list) {
  std::printf("%3s  %-10s %-11s %7s %11s %11s %5s %9s  %s\n", "#", "ID", "STATE", "DONE", "DOWN", "UP", "PEERS", "SIZE", "NAME");
  for (const auto& t : list) {
    std::printf("%3zu  %-10s %-11s %7s %11s %11s %5d %9s  %s\n", t["index"].get<std::size_t>(),
                t["id"].get<std::string>().substr(0, 10).c_str(), t["state"].get<std::string>().c_str(),
                percent(t["progress"].get<double>()).c_str(), apps::format_rate(t["download_rate"].get<double>()).c_str(),
                apps::format_rate(t["upload_rate"].get<double>()).c_str(), t["num_peers"].get<int>(),
                apps::format_size(t["total_wanted"].get<std::uint64_t>()).c_str(), t["name"].get<std::string>().c_str());
  }
}

void print_files(const json& files) {
  std::printf("%4s %4s %7s %9s  %s\n", "#", "PRIO", "DONE", "SIZE", "PATH");
  for (const auto& f : files)
    std::printf("%4zu %4d %7s %9s  %s\n", f["index"].get<std::size_t>(), f["priority"].get<int>(),
                percent(f["progress"].get<double>()).c_str(), apps::format_size(f["size"].get<std::uint64_t>()).c_str(),
                f["path"].get<std::string>().c_str());
}

void print_peers(const json& peers) {
  std::printf("%-22s %-20s %6s %11s %11s %s\n", "PEER", "CLIENT", "HAVE", "DOWN", "UP", "FLAGS");
  for (const auto& p : peers) {
    std::string flags;
    if (p["incoming"].get<bool>()) flags += 'I';
    if (p["seed"].get<bool>()) flags += 'S';
    if (!p["peer_choked"].get<bool>()) flags += 'd';  // they let us download
    if (!p["choked"].get<bool>()) flags += 'u';       // we let them download
    if (p["snubbed"].get<bool>()) flags += 's';
    // As qBittorrent: E = RC4-encrypted connection, e = encrypted handshake, plaintext payload.
    const auto enc = p.value("encryption", std::string("none"));
    if (enc == "rc4") flags += 'E';
    if (enc == "handshake") flags += 'e';
    std::printf("%-22s %-20s %6s %11s %11s %s\n", p["endpoint"].get<std::string>().c_str(),
                p["client"].get<std::string>().substr(0, 20).c_str(), percent(p["progress"].get<double>()).c_str(),
                apps::format_rate(p["download_rate"].get<double>()).c_str(),
                apps::format_rate(p["upload_rate"].get<double>()).c_str(), flags.c_str());
  }
}

// "2MiB", "2MiB/s", "500000", "0" (unlimited) -> bytes per second.
std::uint64_t rate_arg(const std::string& name, const std::string& text) {
  std::string t = text;
  if (t.size() > 2 && t.substr(t.size() - 2) == "/s") t.resize(t.size() - 2);
  auto v = apps::parse_size(t);
  if (!v) throw std::runtime_error(name + ": expected a rate such as 2MiB or 0, not \"" + text + "\"");
  return *v;
}

// `btbt limits --global`: the session's rate limits, through the same settings as `btbt config set`
// (kept in daemon.db; "none" goes back to the configuration file's value).
int global_limits(const std::string& torrent, const std::string& download, const std::string& upload, bool per_torrent_only,
                  bool as_json) {
  if (!torrent.empty()) throw std::runtime_error("limits: --global takes no torrent");
  if (per_torrent_only) throw std::runtime_error("limits: --max-peers and --slots are per torrent (see btbt config set)");
  auto set = [](const char* key, const char* name, const std::string& text) {
    const std::string path = std::string("/api/v1/config/") + key;
    if (text == "none") (void)api("DELETE", path);
    else (void)api("PUT", path, json{{"value", rate_arg(name, text)}});
  };
  if (!download.empty()) set("limits.download_rate", "--download", download);
  if (!upload.empty()) set("limits.upload_rate", "--upload", upload);
  const auto d = api("GET", "/api/v1/config/limits.download_rate");
  const auto u = api("GET", "/api/v1/config/limits.upload_rate");
  if (as_json) {
    print_json(json{{"download_rate", d}, {"upload_rate", u}});
    return 0;
  }
  std::printf("download:  %s\n", d["value"].get<std::string>().c_str());
  std::printf("upload:    %s\n", u["value"].get<std::string>().c_str());
  return 0;
}

}  // namespace

command add_add(CLI::App& app) {
  struct opts {
    std::string source;
    std::string out;
    bool paused = false;
    std::string files;
    std::vector<std::string> priorities;
    std::string strategy;
    std::vector<std::string> peers;
    bool sequential = false;
    std::string down_limit, up_limit;
    std::string stream;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("add", "Add a torrent to the daemon");
  cmd->add_option("torrent", o->source, "the .torrent file or a magnet link")->required();
  cmd->add_option("-o,--out", o->out, "download directory (default: the current directory)");
  cmd->add_flag("--paused", o->paused, "add it paused");
  cmd->add_option("--files", o->files, "download only these files (indices as in `btbt files`: 0,2,5-7)");
  cmd->add_option("--priority", o->priorities, "FILE_INDEX=PRIORITY (0 skip .. 7 highest; repeatable)");
  cmd->add_option("--strategy", o->strategy, "rarest-first, sequential or round-robin");
  cmd->add_option("--peer", o->peers, "connect to this peer, HOST:PORT (repeatable)");
  cmd->add_flag("--sequential", o->sequential, "download the pieces in order (--strategy sequential)");
  cmd->add_option("--down-limit", o->down_limit, "this torrent's download rate, e.g. 2MiB (per second; 0 = unlimited)");
  cmd->add_option("--up-limit", o->up_limit, "this torrent's upload rate, e.g. 500KiB (per second; 0 = unlimited)");
  cmd->add_option("--stream", o->stream, "FILE[:OFFSET]: fetch this file position first, in order (as `btbt stream`)");
  cmd->add_flag("--json", o->json, "print the added torrent as JSON");
  return [o]() -> int {
    if (o->sequential && !o->strategy.empty() && strategy_arg(o->strategy) != "sequential")
      throw std::runtime_error("--sequential contradicts --strategy " + o->strategy);
    json body;
    if (magnet::is_magnet_uri(o->source)) body["magnet"] = o->source;  // the daemon checks it
    else body["torrent"] = rpc::base64_encode(read_torrent_file(o->source));
    body["save_path"] = std::filesystem::absolute(o->out.empty() ? std::filesystem::current_path() : std::filesystem::path(o->out)).lexically_normal().string();
    if (o->paused) body["paused"] = true;
    if (!o->strategy.empty()) body["strategy"] = strategy_arg(o->strategy);
    if (o->sequential) body["strategy"] = "sequential";
    if (!o->down_limit.empty()) body["download_rate_limit"] = rate_arg("--down-limit", o->down_limit);
    if (!o->up_limit.empty()) body["upload_rate_limit"] = rate_arg("--up-limit", o->up_limit);
    if (!o->peers.empty()) body["peers"] = o->peers;
    if (!o->stream.empty()) body["stream"] = stream_arg("--stream", o->stream);
    if (!o->files.empty() || !o->priorities.empty()) {
      std::vector<int> prio;
      auto set = [&](std::size_t i, int p) {
        if (i > 1'000'000) throw std::runtime_error("file index " + std::to_string(i) + " is too large");
        if (prio.size() <= i) prio.resize(i + 1, o->files.empty() ? 4 : 0);
        prio[i] = p;
      };
      if (!o->files.empty())
        for (auto i : parse_index_list(o->files)) set(i, 4);
      for (const auto& s : o->priorities) {
        auto [i, p] = parse_priority(s);
        set(i, p);
      }
      body["file_priorities"] = prio;
    }
    auto t = api("POST", "/api/v1/torrents", body);
    if (o->json) print_json(t);
    else std::printf("added #%zu %s %s\n", t["index"].get<std::size_t>(), t["id"].get<std::string>().c_str(), t["name"].get<std::string>().c_str());
    return 0;
  };
}

command add_list(CLI::App& app) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("list", "List the daemon's torrents");
  cmd->add_flag("--json", *as_json, "JSON output");
  return [as_json]() -> int {
    auto j = api("GET", "/api/v1/torrents");
    if (*as_json) print_json(j);
    else print_list(j["torrents"]);
    return 0;
  };
}

command add_status(CLI::App& app) {
  struct opts {
    std::string torrent;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("status", "Show one torrent (by list index or info-hash prefix)");
  cmd->add_option("torrent", o->torrent, "list index or info-hash prefix")->required();
  cmd->add_flag("--json", o->json, "JSON output");
  return [o]() -> int {
    auto j = api("GET", torrent_path(resolve_torrent(o->torrent)));
    if (o->json) print_json(j);
    else print_torrent(j);
    return 0;
  };
}

// pause / resume / recheck: POST /api/v1/torrents/{id}/<action> for each torrent named.
command add_action(CLI::App& app, const char* name, const char* help) {
  auto torrents = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("torrent", *torrents, "list index or info-hash prefix (several allowed)")->required();
  const std::string action = name;
  return [torrents, action]() -> int {
    std::vector<std::string> ids;
    for (const auto& t : *torrents) ids.push_back(resolve_torrent(t));
    for (const auto& id : ids) {
      auto j = api("POST", torrent_path(id, action));
      std::printf("%s: %s (%s)\n", action.c_str(), j["name"].get<std::string>().c_str(), j["state"].get<std::string>().c_str());
    }
    return 0;
  };
}

command add_pause(CLI::App& app) { return add_action(app, "pause", "Pause torrents"); }
command add_resume(CLI::App& app) { return add_action(app, "resume", "Resume paused torrents"); }
command add_recheck(CLI::App& app) { return add_action(app, "recheck", "Verify torrents' data on disk again"); }

command add_remove(CLI::App& app) {
  struct opts {
    std::vector<std::string> torrents;
    bool delete_data = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("remove", "Remove torrents from the daemon");
  cmd->add_option("torrent", o->torrents, "list index or info-hash prefix (several allowed)")->required();
  cmd->add_flag("--delete-data", o->delete_data, "also delete the downloaded files");
  return [o]() -> int {
    std::vector<std::string> ids;
    for (const auto& t : o->torrents) ids.push_back(resolve_torrent(t));
    for (const auto& id : ids) {
      auto j = api("DELETE", torrent_path(id) + (o->delete_data ? "?delete_data=true" : ""));
      std::printf("removed %s%s\n", j["name"].get<std::string>().c_str(), o->delete_data ? " and its data" : "");
    }
    return 0;
  };
}

command add_files(CLI::App& app) {
  struct opts {
    std::string torrent;
    std::vector<std::string> priorities;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("files", "List a torrent's files, or set their priorities");
  cmd->add_option("torrent", o->torrent, "list index or info-hash prefix")->required();
  cmd->add_option("--priority", o->priorities, "FILE_INDEX=PRIORITY (0 skip .. 7 highest; repeatable)");
  cmd->add_flag("--json", o->json, "JSON output");
  return [o]() -> int {
    const auto id = resolve_torrent(o->torrent);
    json j;
    if (o->priorities.empty()) {
      j = api("GET", torrent_path(id, "files"));
    } else {
      json pr = json::object();
      for (const auto& s : o->priorities) {
        auto [i, p] = parse_priority(s);
        pr[std::to_string(i)] = p;
      }
      j = api("POST", torrent_path(id, "files"), json{{"priorities", pr}});
    }
    if (o->json) print_json(j);
    else print_files(j["files"]);
    return 0;
  };
}

command add_peers(CLI::App& app) {
  struct opts {
    std::string torrent;
    std::vector<std::string> add;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("peers", "List a torrent's connected peers, or give it peers");
  cmd->add_option("torrent", o->torrent, "list index or info-hash prefix")->required();
  cmd->add_option("--add", o->add, "connect to HOST:PORT (repeatable)");
  cmd->add_flag("--json", o->json, "JSON output");
  return [o]() -> int {
    const auto id = resolve_torrent(o->torrent);
    if (!o->add.empty()) {
      auto r = api("POST", torrent_path(id, "peers"), json{{"peers", o->add}});
      std::printf("connecting to %zu peer(s)\n", r["added"].get<std::size_t>());
      return 0;
    }
    auto j = api("GET", torrent_path(id, "peers"));
    if (o->json) print_json(j);
    else print_peers(j["peers"]);
    return 0;
  };
}

command add_config(CLI::App& app) {
  struct opts {
    std::string key;
    std::string value;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("config", "Show or change the running daemon's configuration");
  cmd->require_subcommand(1);
  auto* show = cmd->add_subcommand("show", "Every key with its value (changed keys marked *)");
  show->add_flag("--json", o->json, "JSON output");
  auto* get = cmd->add_subcommand("get", "One key's value");
  get->add_option("key", o->key, "section.key")->required();
  auto* set = cmd->add_subcommand("set", "Change a setting in the daemon (kept across restarts)");
  set->add_option("key", o->key, "section.key")->required();
  set->add_option("value", o->value, "the value, as for --set (\"16 MiB\", true, rarest_first, a,b)")->required();
  auto* unset = cmd->add_subcommand("unset", "Drop a setting made with `config set`");
  unset->add_option("key", o->key, "section.key")->required();
  auto* reload = cmd->add_subcommand("reload", "Read the daemon's configuration file now");
  reload->add_flag("--json", o->json, "JSON output");
  return [o, show, get, set, unset, reload]() -> int {
    if (reload->parsed()) {
      auto j = api("POST", "/api/v1/config/reload");
      if (o->json) {
        print_json(j);
        return 0;
      }
      std::printf("reloaded %s\n", j["file"].get<std::string>().c_str());
      for (const auto& k : j["applied"]) std::printf("applied %s\n", k.get<std::string>().c_str());
      for (const auto& k : j["restart"]) std::printf("%s changed: applies at the next daemon start\n", k.get<std::string>().c_str());
      for (const auto& w : j["warnings"]) std::printf("warning: %s\n", w.get<std::string>().c_str());
      return 0;
    }
    if (set->parsed() || unset->parsed()) {
      auto j = set->parsed() ? api("PUT", "/api/v1/config/" + o->key, json{{"value", o->value}})
                             : api("DELETE", "/api/v1/config/" + o->key);
      const bool restart = j["applies"] == "restart";
      std::printf("%s = %s%s\n", j["key"].get<std::string>().c_str(), j["value"].get<std::string>().c_str(),
                  restart ? " (applies at the next daemon start)" : "");
      return 0;
    }
    if (show->parsed()) {
      auto j = api("GET", "/api/v1/config");
      if (o->json) {
        print_json(j);
        return 0;
      }
      if (j["file"].is_string()) std::printf("# file: %s\n", j["file"].get<std::string>().c_str());
      for (const auto& k : j["keys"]) {
        const bool changed = k["value"] != k["default"];
        std::string note;
        if (k["override"].is_string()) note += "  # set with `btbt config set`";
        if (k["pending_restart"].get<bool>()) note += "  # changed; applies at the next start";
        std::printf("%s%s = %s%s\n", changed ? "*" : " ", k["key"].get<std::string>().c_str(),
                    k["value"].get<std::string>().c_str(), note.c_str());
      }
      return 0;
    }
    if (get->parsed()) {
      auto j = api("GET", "/api/v1/config/" + o->key);
      std::printf("%s\n", j["value"].get<std::string>().c_str());
      return 0;
    }
    return 1;
  };
}

}  // namespace ccbt::btbt

namespace ccbt::btbt {
namespace {

// "%"-encodes a query value.
std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

void print_trackers(const nlohmann::json& trackers) {
  std::printf("%4s %-13s %6s %6s %8s  %s\n", "TIER", "STATE", "SEEDS", "PEERS", "NEXT", "URL");
  for (const auto& t : trackers) {
    auto num = [](const nlohmann::json& v) { return v.is_null() ? std::string("-") : std::to_string(v.get<std::int64_t>()); };
    std::printf("%4d %-13s %6s %6s %8s  %s\n", t["tier"].get<int>(), t["state"].get<std::string>().c_str(),
                num(t["seeds"]).c_str(), num(t["leechers"]).c_str(),
                t["next_announce_s"].is_null() ? "-" : apps::format_duration(t["next_announce_s"].get<double>()).c_str(),
                t["url"].get<std::string>().c_str());
    if (!t["last_error"].get<std::string>().empty())
      std::printf("%4s %s\n", "", ("error: " + t["last_error"].get<std::string>()).c_str());
  }
}

}  // namespace

command add_trackers(CLI::App& app) {
  struct opts {
    std::string torrent;
    std::vector<std::string> add;
    int tier = 0;
    std::vector<std::string> remove;
    bool announce = false;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("trackers", "List a torrent's trackers; add, remove, announce now");
  cmd->add_option("torrent", o->torrent, "list index or info-hash prefix")->required();
  cmd->add_option("--add", o->add, "add this tracker URL (repeatable; kept across restarts)");
  cmd->add_option("--tier", o->tier, "tier for --add (default 0)");
  cmd->add_option("--remove", o->remove, "remove this tracker URL (repeatable; kept across restarts)");
  cmd->add_flag("--announce", o->announce, "announce now (as far as each tracker's min interval allows)");
  cmd->add_flag("--json", o->json, "JSON output");
  return [o]() -> int {
    const auto id = resolve_torrent(o->torrent);
    nlohmann::json j;
    for (const auto& url : o->add) j = api("POST", torrent_path(id, "trackers"), nlohmann::json{{"url", url}, {"tier", o->tier}});
    for (const auto& url : o->remove) j = api("DELETE", torrent_path(id, "trackers") + "?url=" + url_encode(url));
    if (o->announce) j = api("POST", torrent_path(id, "reannounce"));
    if (j.is_null()) j = api("GET", torrent_path(id, "trackers"));
    if (o->json) std::printf("%s\n", j.dump(2).c_str());
    else print_trackers(j["trackers"]);
    return 0;
  };
}

command add_limits(CLI::App& app) {
  struct opts {
    std::string torrent;
    std::string download, upload, max_peers, slots;
    bool global = false;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("limits", "Show or set a torrent's own limits (\"none\": follow the session)");
  cmd->add_option("torrent", o->torrent, "list index or info-hash prefix");
  cmd->add_flag("--global", o->global, "the session's limits (limits.download_rate / upload_rate) instead");
  cmd->add_option("--download", o->download, "download rate, e.g. 2MiB (per second; 0 = unlimited; none)");
  cmd->add_option("--upload", o->upload, "upload rate, e.g. 500KiB (per second; 0 = unlimited; none)");
  cmd->add_option("--max-peers", o->max_peers, "peer connections of this torrent (none)");
  cmd->add_option("--slots", o->slots, "upload slots of this torrent (none)");
  cmd->add_flag("--json", o->json, "JSON output");
  return [o]() -> int {
    if (o->global) return global_limits(o->torrent, o->download, o->upload, !o->max_peers.empty() || !o->slots.empty(), o->json);
    if (o->torrent.empty()) throw std::runtime_error("limits: give a torrent, or --global for the session's limits");
    const auto id = resolve_torrent(o->torrent);
    nlohmann::json body = nlohmann::json::object();
    auto rate = [](const std::string& name, const std::string& text) -> nlohmann::json {
      if (text == "none") return nullptr;
      return rate_arg(name, text);
    };
    auto count = [](const std::string& name, const std::string& text) -> nlohmann::json {
      if (text == "none") return nullptr;
      try {
        std::size_t used = 0;
        const int v = std::stoi(text, &used);
        if (used == text.size()) return v;
      } catch (const std::logic_error&) {
      }
      throw std::runtime_error(name + ": expected a number or none, not \"" + text + "\"");
    };
    if (!o->download.empty()) body["download_rate_limit"] = rate("--download", o->download);
    if (!o->upload.empty()) body["upload_rate_limit"] = rate("--upload", o->upload);
    if (!o->max_peers.empty()) body["max_connections"] = count("--max-peers", o->max_peers);
    if (!o->slots.empty()) body["unchoke_slots"] = count("--slots", o->slots);
    auto j = body.empty() ? api("GET", torrent_path(id)) : api("POST", torrent_path(id, "options"), body);
    const auto& ov = j["overrides"];
    if (o->json) {
      std::printf("%s\n", ov.dump(2).c_str());
      return 0;
    }
    auto show_rate = [](const nlohmann::json& v) {
      if (v.is_null()) return std::string("session");
      return v.get<std::int64_t>() == 0 ? std::string("unlimited") : apps::format_rate(v.get<double>());
    };
    auto show_count = [](const nlohmann::json& v) { return v.is_null() ? std::string("session") : std::to_string(v.get<int>()); };
    std::printf("download:  %s\n", show_rate(ov["download_rate_limit"]).c_str());
    std::printf("upload:    %s\n", show_rate(ov["upload_rate_limit"]).c_str());
    std::printf("max peers: %s\n", show_count(ov["max_connections"]).c_str());
    std::printf("slots:     %s\n", show_count(ov["unchoke_slots"]).c_str());
    return 0;
  };
}

}  // namespace ccbt::btbt
