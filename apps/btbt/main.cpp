// btbt — the full ccbt command line. Errors are one line "btbt: ..." on stderr and exit code 1.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"btbt: create torrents and control a ccbt daemon", "btbt"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("btbt 0.1.0"));

  std::vector<std::pair<CLI::App*, ccbt::btbt::command>> commands;
  auto add = [&](ccbt::btbt::command (*fn)(CLI::App&)) {
    const std::size_t before = app.get_subcommands({}).size();
    auto cmd = fn(app);
    commands.emplace_back(app.get_subcommands({}).at(before), std::move(cmd));
  };
  add(&ccbt::btbt::add_create);
  add(&ccbt::btbt::add_tracker);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "btbt: %s (see btbt --help)\n", e.what());
    return 1;
  }
  try {
    for (auto& [sub, fn] : commands)
      if (sub->parsed()) return fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "btbt: %s\n", e.what());
    return 1;
  }
  return 1;
}
