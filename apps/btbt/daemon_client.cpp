// Shared plumbing of the daemon-control commands. See daemon_client.hpp.
#include "daemon_client.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <ccbt/config.hpp>
#include <ccbt/daemon.hpp>
#include <ccbt/rpc_client.hpp>

namespace ccbt::btbt {

global_options& globals() {
  static global_options g;
  return g;
}

void add_global_options(CLI::App& app) {
  auto& g = globals();
  app.add_option("--state-dir", g.state_dir, "daemon state directory (default: daemon.state_dir, else $XDG_STATE_HOME/ccbt)");
  app.add_option("--config", g.config, "configuration file (default: search for ccbt.toml)");
  app.add_option("--set", g.set, "override one setting, section.key=value (repeatable)");
  app.fallthrough();
}

loaded_settings load_settings() {
  auto& g = globals();
  config::load_options lo;
  if (!g.config.empty()) lo.config_path = g.config;
  lo.overrides = g.set;
  auto loaded = config::load(lo);
  if (!loaded) throw std::runtime_error("configuration: " + loaded.error().message());
  for (const auto& w : loaded->warnings) std::fprintf(stderr, "btbt: warning: %s\n", w.message.c_str());
  return {loaded->values, loaded->file};
}

std::filesystem::path state_dir() {
  if (!globals().state_dir.empty()) return std::filesystem::absolute(globals().state_dir);
  return std::filesystem::absolute(rpc::state_dir_of(load_settings().values));
}

nlohmann::json api(std::string_view method, std::string_view target, const nlohmann::json& body) {
  auto client = rpc_client::from_state_dir(state_dir());
  if (!client) throw std::runtime_error(client.error().message());
  const std::string text = body.is_null() ? std::string() : body.dump();
  auto r = client->call(method, target, text);
  if (!r) throw std::runtime_error(r.error().message());
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status / 100 != 2) {
    if (j.is_object() && j.contains("error") && j["error"].is_object())
      throw std::runtime_error(j["error"].value("message", std::string("error")) + " (HTTP " + std::to_string(r->status) + ")");
    throw std::runtime_error("the daemon answered HTTP " + std::to_string(r->status));
  }
  if (j.is_discarded()) throw std::runtime_error("the daemon's answer is not JSON");
  return j;
}

std::string torrent_path(const std::string& id, std::string_view sub) {
  std::string p = "/api/v1/torrents/" + id;
  if (!sub.empty()) {
    p += '/';
    p += sub;
  }
  return p;
}

std::string resolve_torrent(std::string_view name) {
  const auto list = api("GET", "/api/v1/torrents")["torrents"];
  const bool digits = !name.empty() && name.size() <= 6 &&
                      std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    const auto index = std::stoul(std::string(name));
    if (index < list.size()) return list[index]["id"].get<std::string>();
    if (name.size() < 4) throw std::runtime_error("no torrent #" + std::string(name) + " (the list has " + std::to_string(list.size()) + ")");
  }
  std::string prefix(name);
  std::transform(prefix.begin(), prefix.end(), prefix.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (prefix.size() < 4 || prefix.size() > 40 || prefix.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw std::runtime_error("\"" + std::string(name) + "\" is neither a list index nor an info-hash prefix (4 to 40 hex digits)");
  std::vector<std::string> matches;
  for (const auto& t : list) {
    const auto id = t["id"].get<std::string>();
    if (id.compare(0, prefix.size(), prefix) == 0) matches.push_back(id);
  }
  if (matches.empty()) throw std::runtime_error("no torrent whose info-hash starts with " + prefix);
  if (matches.size() > 1) throw std::runtime_error("\"" + prefix + "\" matches " + std::to_string(matches.size()) + " torrents; give more digits");
  return matches.front();
}

}  // namespace ccbt::btbt
