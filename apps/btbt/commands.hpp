// btbt subcommands: each registers itself on the CLI11 app and returns the callback main() runs
// when that subcommand was chosen. A callback returns the process exit code.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace ccbt::btbt {

using command = std::function<int()>;

// `btbt create PATH -o OUT ...`
command add_create(CLI::App& app);
// `btbt tracker [--http-port P] [--udp-port Q] ...`
command add_tracker(CLI::App& app);

}  // namespace ccbt::btbt
