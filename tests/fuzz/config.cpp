// libFuzzer target for the configuration loader (ccbt::config::parse and the --set parser).
// Any input either fails with a message or loads settings that validate(), render to TOML and parse
// back to the same settings (and the same text), with every warning carrying a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <ccbt/config.hpp>

namespace cfg = ccbt::config;

namespace {

void round_trip(const ccbt::settings& s) {
  const auto text = cfg::to_toml(s);
  const auto again = cfg::parse(text, "rendered.toml");
  if (!again || !cfg::diff(s, again->values).empty() || !again->warnings.empty()) std::abort();
  if (cfg::to_toml(again->values) != text) std::abort();
  if (cfg::parse(cfg::to_toml(s, {false, true}))->values.max_connections != s.max_connections) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto c = cfg::parse(input, "fuzz.toml");
  if (!c) {
    if (c.error().message().empty()) std::abort();
  } else {
    if (!cfg::validate(c->values)) std::abort();
    for (const auto& w : c->warnings)
      if (w.message.empty() || w.key.empty()) std::abort();
    round_trip(c->values);
  }

  // The same bytes as a command-line override (the first line) and as an environment value.
  const auto line = input.substr(0, input.find('\n'));
  cfg::loaded_config o;
  if (auto r = cfg::apply_override(o, line); r) {
    if (o.sources.size() != 1) std::abort();
    // A value that passed the override's checks passes validate(), but for the rules between keys.
    const auto v = cfg::validate(o.values);
    if (v) round_trip(o.values);
    else if (v.error().code != cfg::errc::inconsistent) std::abort();
  } else if (r.error().message().empty()) {
    std::abort();
  }
  const auto eq = line.find('=');
  if (eq != std::string_view::npos) {
    cfg::loaded_config e;
    (void)cfg::apply_environment(e, {{std::string(line.substr(0, eq)), std::string(line.substr(eq + 1))}});
  }
  return 0;
}
