// What every btbt command that talks to the daemon shares: the global options (--state-dir,
// --config, --set), loading the configuration, calling the API and naming torrents by list index
// or info-hash prefix.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <ccbt/settings.hpp>
#include <nlohmann/json.hpp>

namespace ccbt::btbt {

struct global_options {
  std::string state_dir;            // --state-dir
  std::string config;               // --config
  std::vector<std::string> set;     // --set section.key=value
};
global_options& globals();
// Registers --state-dir, --config and --set on the top-level app (accepted after the subcommand too).
void add_global_options(CLI::App& app);

struct loaded_settings {
  settings values;
  std::optional<std::filesystem::path> file;
};
// Defaults <- ccbt.toml <- environment <- --set; throws std::runtime_error on a bad configuration.
loaded_settings load_settings();
// --state-dir, else daemon.state_dir of the configuration, else the XDG default.
std::filesystem::path state_dir();

// Calls the daemon; returns the JSON body of a 2xx answer, throws std::runtime_error with the
// API's error message otherwise ("no torrent with id ...").
nlohmann::json api(std::string_view method, std::string_view target, const nlohmann::json& body = nullptr);

// A torrent named on the command line: its list index ("0", "12") or a unique prefix of its id
// (hex, at least 4 digits). Returns the full id; throws when none or several match.
std::string resolve_torrent(std::string_view name);
std::string torrent_path(const std::string& id, std::string_view sub = {});

}  // namespace ccbt::btbt
