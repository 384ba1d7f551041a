// The load pipeline: search path, file, environment, command line, then the rules between keys.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "config/keys.hpp"

extern char** environ;  // POSIX: the process environment

namespace ccbt::config {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "config"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::file_not_found: return "configuration file not found";
      case errc::read_failed: return "cannot read the configuration file";
      case errc::input_too_large: return "configuration file too large";
      case errc::syntax_error: return "TOML syntax error";
      case errc::wrong_type: return "value of the wrong type";
      case errc::out_of_range: return "value out of range";
      case errc::invalid_value: return "invalid value";
      case errc::inconsistent: return "settings contradict each other";
      case errc::unknown_key: return "unknown configuration key";
      case errc::bad_override: return "malformed override (expected section.key=value)";
      case errc::no_file: return "no configuration file to watch";
      case errc::watch_failed: return "cannot watch the configuration file";
    }
    return "unknown configuration error";
  }
};

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string uppercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string env_name(std::string_view key_name) {
  const auto dot = key_name.find('.');
  if (dot == std::string_view::npos) return {};
  return "CCBT_" + uppercase(key_name.substr(0, dot)) + "__" + uppercase(key_name.substr(dot + 1));
}

result<std::string> read_file(const std::filesystem::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) {
    const int e = errno;
    return make_error(e == ENOENT ? errc::file_not_found : errc::read_failed, p.string() + ": " + std::strerror(e));
  }
  std::string text;
  char buf[16384];
  bool failed = false;
  while (true) {
    const auto n = std::fread(buf, 1, sizeof buf, f);
    text.append(buf, n);
    if (text.size() > max_file_size) break;
    if (n < sizeof buf) {
      failed = std::ferror(f) != 0;
      break;
    }
  }
  const int e = errno;
  std::fclose(f);
  if (failed) return make_error(errc::read_failed, p.string() + ": " + std::strerror(e));
  if (text.size() > max_file_size)
    return make_error(errc::input_too_large, p.string() + " is larger than " + std::to_string(max_file_size) + " bytes");
  return text;
}

bool is_file(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

// Environment and --set on top of what the file gave, then the rules between keys.
result<loaded_config> finish(loaded_config c, const load_options& opts) {
  if (opts.use_environment) {
    if (auto r = apply_environment(c, opts.env ? *opts.env : process_environment()); !r) return tl::unexpected(r.error());
  }
  for (const auto& o : opts.overrides)
    if (auto r = apply_override(c, o); !r) return tl::unexpected(r.error());
  if (auto msg = detail::cross_check(c.values); !msg.empty()) {
    if (c.file) msg += detail::location(c.file->string(), 0, 0);
    return make_error(errc::inconsistent, std::move(msg));
  }
  return c;
}

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

value_source loaded_config::source_of(std::string_view key) const {
  const auto it = sources.find(key);
  return it == sources.end() ? value_source::default_value : it->second;
}

search_paths search_paths::from_environment(std::optional<std::filesystem::path> explicit_path) {
  search_paths p;
  p.explicit_path = std::move(explicit_path);
  std::error_code ec;
  p.working_dir = std::filesystem::current_path(ec);
  if (ec) p.working_dir = ".";
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) p.xdg_config_home = x;
  if (const char* h = std::getenv("HOME"); h && *h) p.home = h;
  return p;
}

std::vector<std::filesystem::path> candidates(const search_paths& p) {
  if (p.explicit_path) return {*p.explicit_path};
  std::vector<std::filesystem::path> out;
  out.push_back(p.working_dir / "ccbt.toml");
  // The XDG base directory spec ignores a relative $XDG_CONFIG_HOME.
  if (p.xdg_config_home && p.xdg_config_home->is_absolute()) out.push_back(*p.xdg_config_home / "ccbt" / "ccbt.toml");
  else if (p.home) out.push_back(*p.home / ".config" / "ccbt" / "ccbt.toml");
  if (p.home) out.push_back(*p.home / ".ccbt.toml");
  return out;
}

result<std::optional<std::filesystem::path>> find_file(const search_paths& p) {
  if (p.explicit_path) {
    std::error_code ec;
    if (!std::filesystem::exists(*p.explicit_path, ec))
      return make_error(errc::file_not_found, p.explicit_path->string() + " (given with --config)");
    return std::optional<std::filesystem::path>(*p.explicit_path);
  }
  for (const auto& c : candidates(p))
    if (is_file(c)) return std::optional<std::filesystem::path>(c);
  return std::optional<std::filesystem::path>();
}

environment process_environment() {
  environment out;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    if (entry.substr(0, 5) != "CCBT_") continue;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

result<void> apply_environment(loaded_config& c, const environment& env) {
  for (const auto& [var, text] : env) {
    if (var.size() <= 5 || var.compare(0, 5, "CCBT_") != 0) continue;
    const std::string_view rest = std::string_view(var).substr(5);
    const auto sep = rest.find("__");
    if (sep == std::string_view::npos) continue;  // CCBT_* variables that are not configuration keys
    const auto section = lowercase(rest.substr(0, sep));
    const auto key = lowercase(rest.substr(sep + 2));
    const std::string name = section + "." + key;
    const auto* d = detail::find(section, key);
    if (!d) {
      diagnostic w;
      w.key = var;
      w.suggestion = closest_key(name);
      w.message = "unknown key " + name + " in environment variable " + var;
      if (!w.suggestion.empty()) w.message += "; did you mean " + env_name(w.suggestion) + " (" + w.suggestion + ")?";
      c.warnings.push_back(std::move(w));
      continue;
    }
    detail::value v;
    auto p = detail::from_text(*d, text, v);
    if (!p) p = detail::check(*d, v);
    if (p) return make_error(p->code, name + ": " + p->text + " in environment variable " + var);
    detail::write(c.values, *d, v);
    c.sources[name] = value_source::environment;
  }
  return {};
}

result<void> apply_override(loaded_config& c, std::string_view assignment) {
  const auto eq = assignment.find('=');
  const std::string shown = "--set " + std::string(assignment.substr(0, 200));
  if (eq == std::string_view::npos || assignment.substr(0, eq).find('.') == std::string_view::npos)
    return make_error(errc::bad_override, shown);
  std::string name(assignment.substr(0, eq));
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(0, 1);
  const auto* k = find_key(name);
  if (!k) {
    std::string msg = name + " in " + shown;
    if (auto s = closest_key(name); !s.empty()) msg += "; did you mean " + s + "?";
    return make_error(errc::unknown_key, std::move(msg));
  }
  const auto& d = detail::of(*k);
  detail::value v;
  auto p = detail::from_text(d, assignment.substr(eq + 1), v);
  if (!p) p = detail::check(d, v);
  if (p) return make_error(p->code, name + ": " + p->text + " in " + shown);
  detail::write(c.values, d, v);
  c.sources[std::move(name)] = value_source::command_line;
  return {};
}

result<loaded_config> load_file(const std::filesystem::path& file, const load_options& opts) {
  auto text = read_file(file);
  if (!text) return tl::unexpected(text.error());
  auto c = detail::parse_layer(*text, file.string(), settings{});
  if (!c) return c;
  c->file = file;
  return finish(std::move(*c), opts);
}

result<loaded_config> load(const load_options& opts) {
  auto search = opts.search ? *opts.search : search_paths::from_environment(opts.config_path);
  if (opts.config_path) search.explicit_path = opts.config_path;
  auto found = find_file(search);
  if (!found) return tl::unexpected(found.error());
  if (*found) return load_file(**found, opts);
  return finish(loaded_config{}, opts);
}

result<void> validate(const settings& s) {
  for (const auto& d : detail::descriptors()) {
    auto v = detail::read(s, d);
    if (auto p = detail::check(d, v)) return make_error(p->code, d.info.name() + ": " + p->text);
  }
  if (auto msg = detail::cross_check(s); !msg.empty()) return make_error(errc::inconsistent, std::move(msg));
  return {};
}

settings_diff diff(const settings& before, const settings& after) {
  settings_diff out;
  for (const auto& d : detail::descriptors()) {
    if (detail::read(before, d) == detail::read(after, d)) continue;
    (d.info.mode == apply_mode::live ? out.live : out.restart).push_back(d.info.name());
  }
  return out;
}

settings merge_live(const settings& running, const settings& loaded) {
  settings out = running;
  for (const auto& d : detail::descriptors())
    if (d.info.mode == apply_mode::live) detail::write(out, d, detail::read(loaded, d));
  return out;
}

}  // namespace ccbt::config
