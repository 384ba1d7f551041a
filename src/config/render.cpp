// settings -> TOML (`btbt config show`, ccbt.toml.example) and the key tables of the reference docs.
#include "config/keys.hpp"

namespace ccbt::config {
namespace {

std::string human_size(std::int64_t n) {
  static constexpr std::pair<std::int64_t, std::string_view> units[] = {
      {std::int64_t{1} << 40, "TiB"}, {std::int64_t{1} << 30, "GiB"}, {std::int64_t{1} << 20, "MiB"}, {std::int64_t{1} << 10, "KiB"}};
  if (n > 0)
    for (const auto& [mult, name] : units)
      if (n % mult == 0) return std::to_string(n / mult) + " " + std::string(name);
  return std::to_string(n);
}

std::string type_text(const key_info& k) {
  switch (k.type) {
    case value_type::boolean: return "boolean";
    case value_type::integer: return k.unit.empty() ? "integer" : "integer (" + std::string(k.unit) + ")";
    case value_type::size: return "size (" + std::string(k.unit) + ")";
    case value_type::string: return "string";
    case value_type::string_list: return "array of strings";
    case value_type::choice: return "choice";
  }
  return "value";
}

std::string range_text(const key_info& k, std::string_view tick) {
  const auto range = [](std::int64_t lo, std::int64_t hi) { return std::to_string(lo) + ".." + std::to_string(hi); };
  switch (k.type) {
    case value_type::boolean: return "true, false";
    case value_type::integer: return range(k.min, k.max);
    case value_type::size: return human_size(k.min) + " .. " + human_size(k.max);
    case value_type::string: return range(k.min, k.max) + " characters";
    case value_type::string_list: return range(k.min, k.max) + " entries";
    case value_type::choice: {
      std::string out;
      for (std::size_t i = 0; i < k.choices.size(); ++i) {
        if (i) out += ", ";
        out += std::string(tick) + std::string(k.choices[i]) + std::string(tick);
      }
      return out;
    }
  }
  return {};
}

std::string mode_text(const key_info& k) { return k.mode == apply_mode::live ? "live" : "restart"; }

std::string escape_cell(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '|') out += "\\|";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

std::string to_toml(const settings& s, const render_options& opts) {
  static const settings defaults{};
  std::string out;
  if (opts.comments) {
    out +=
        "# ccbt configuration (ccbt.toml). Reference: docs/configuration.md.\n"
        "# Looked for in: --config FILE, ./ccbt.toml, $XDG_CONFIG_HOME/ccbt/ccbt.toml (default\n"
        "# ~/.config/ccbt/ccbt.toml), ~/.ccbt.toml. Any key can be overridden with CCBT_SECTION__KEY=value\n"
        "# in the environment or --set section.key=value on the command line. Keys marked \"live\" apply\n"
        "# to a running daemon when this file is saved; \"restart\" keys at its next start.\n";
  }
  for (const auto section : sections()) {
    std::string body;
    for (const auto& k : keys()) {
      if (k.section != section) continue;
      const auto v = value_to_toml(s, k);
      if (opts.only_changed && v == value_to_toml(defaults, k)) continue;
      if (opts.comments) {
        if (!body.empty()) body += '\n';
        body += "# " + std::string(k.description) + "\n";
        const auto range = k.type == value_type::choice ? "one of " + range_text(k, "") : range_text(k, "");
        body += "# " + type_text(k) + ", " + range + "; default " + value_to_toml(defaults, k) + "; " + mode_text(k) + ".\n";
      }
      body += std::string(k.key) + " = " + v + "\n";
    }
    if (body.empty()) continue;
    if (!out.empty()) out += '\n';
    out += "[" + std::string(section) + "]\n" + body;
  }
  return out;
}

std::string reference_markdown() {
  static const settings defaults{};
  std::string out;
  for (const auto section : sections()) {
    if (!out.empty()) out += '\n';
    out += "### [" + std::string(section) + "]\n\n";
    out += "| key | type | default | range / values | applies | description |\n";
    out += "|---|---|---|---|---|---|\n";
    for (const auto& k : keys()) {
      if (k.section != section) continue;
      out += "| `" + k.name() + "` | " + type_text(k) + " | `" + escape_cell(value_to_toml(defaults, k)) + "` | " +
             escape_cell(range_text(k, "`")) + " | " + mode_text(k) + " | " + escape_cell(k.description) + " |\n";
    }
  }
  return out;
}

}  // namespace ccbt::config
