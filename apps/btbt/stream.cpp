// `btbt stream <torrent> FILE[:OFFSET] | --off`: the torrent's streaming setting through the daemon
// (POST /api/v1/torrents/{id}/options {"stream": ...}); FILE[:OFFSET] as `ccbt --stream` reads it.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common/format.hpp"
#include "daemon_client.hpp"

namespace ccbt::btbt {

nlohmann::json stream_arg(const std::string& flag, const std::string& text) {
  const auto s = apps::parse_stream_spec(text);
  if (!s) throw std::runtime_error(flag + ": expected FILE[:OFFSET] (a file index, a byte offset such as 4MiB), not \"" + text + "\"");
  return nlohmann::json{{"file", s->file}, {"offset", s->offset}};
}

std::string stream_text(const nlohmann::json& s) {
  if (s.is_null()) return "off";
  return "file " + std::to_string(s["file"].get<std::uint64_t>()) + " from byte " +
         std::to_string(s["offset"].get<std::uint64_t>()) + " (" + apps::format_size(s["offset"].get<std::uint64_t>()) + ")";
}

command add_stream(CLI::App& app) {
  struct opts {
    std::string torrent;
    std::string spec;
    bool off = false;
    bool json = false;
  };
  auto o = std::make_shared<opts>();
  auto* cmd = app.add_subcommand("stream", "Fetch a file position of a torrent first, in order (or stop with --off)");
  cmd->add_option("torrent", o->torrent, "list index or info-hash prefix")->required();
  cmd->add_option("position", o->spec, "FILE[:OFFSET]: file index (as in `btbt files`) and byte offset, e.g. 0:512MiB");
  cmd->add_flag("--off", o->off, "stop streaming (back to the torrent's strategy)");
  cmd->add_flag("--json", o->json, "print the torrent's status as JSON");
  return [o]() -> int {
    if (o->off == !o->spec.empty()) throw std::runtime_error("stream: give either FILE[:OFFSET] or --off");
    const auto id = resolve_torrent(o->torrent);
    nlohmann::json body;
    body["stream"] = o->off ? nlohmann::json(nullptr) : stream_arg("stream", o->spec);
    const auto j = api("POST", torrent_path(id, "options"), body);
    if (o->json) std::printf("%s\n", j.dump(2).c_str());
    else std::printf("%s: streaming %s\n", j["name"].get<std::string>().c_str(), stream_text(j["stream"]).c_str());
    return 0;
  };
}

}  // namespace ccbt::btbt
