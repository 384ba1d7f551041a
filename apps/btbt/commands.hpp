// btbt subcommands: each registers itself on the CLI11 app and returns the callback main() runs
// when that subcommand was chosen. A callback returns the process exit code.
#pragma once

#include <functional>

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace ccbt::btbt {

using command = std::function<int()>;

// `btbt create PATH -o OUT ...`
command add_create(CLI::App& app);
// `btbt tracker [--http-port P] [--udp-port Q] ...`
command add_tracker(CLI::App& app);
// `btbt daemon start [--foreground] | stop | status`
command add_daemon(CLI::App& app);
// Commands that talk to a running daemon (control.cpp).
command add_add(CLI::App& app);
command add_list(CLI::App& app);
command add_status(CLI::App& app);
command add_pause(CLI::App& app);
command add_resume(CLI::App& app);
command add_recheck(CLI::App& app);
command add_remove(CLI::App& app);
command add_files(CLI::App& app);
command add_peers(CLI::App& app);
command add_config(CLI::App& app);
command add_trackers(CLI::App& app);
command add_limits(CLI::App& app);
// `btbt stream <torrent> FILE[:OFFSET] | --off` (stream.cpp), and its helpers for add and status.
command add_stream(CLI::App& app);
nlohmann::json stream_arg(const std::string& flag, const std::string& text);  // -> {"file", "offset"}
std::string stream_text(const nlohmann::json& stream);                        // "file 0 from byte ..." / "off"

}  // namespace ccbt::btbt
