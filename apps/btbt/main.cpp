// btbt — the full ccbt command line. Errors are one line "btbt: ..." on stderr and exit code 1.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "daemon_client.hpp"

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
  ccbt::btbt::add_global_options(app);  // first: subcommands inherit fallthrough
  add(&ccbt::btbt::add_create);
  add(&ccbt::btbt::add_tracker);
  add(&ccbt::btbt::add_daemon);
  add(&ccbt::btbt::add_add);
  add(&ccbt::btbt::add_list);
  add(&ccbt::btbt::add_status);
  add(&ccbt::btbt::add_pause);
  add(&ccbt::btbt::add_resume);
  add(&ccbt::btbt::add_recheck);
  add(&ccbt::btbt::add_remove);
  add(&ccbt::btbt::add_files);
  add(&ccbt::btbt::add_peers);
  add(&ccbt::btbt::add_config);
  add(&ccbt::btbt::add_trackers);
  add(&ccbt::btbt::add_limits);
  add(&ccbt::btbt::add_stream);

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
