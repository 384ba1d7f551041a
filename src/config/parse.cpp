// ccbt.toml -> settings through toml++ (the only file that sees toml++ types).
#include <toml++/toml.h>

#include <algorithm>
#include <utility>

#include "config/keys.hpp"

namespace ccbt::config {
namespace detail {
namespace {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// A TOML node as a value, or what it is when no key type can take it.
std::optional<value> to_value(const toml::node& n, std::string& what) {
  if (const auto* b = n.as_boolean()) return value{b->get()};
  if (const auto* i = n.as_integer()) return value{i->get()};
  if (const auto* s = n.as_string()) return value{s->get()};
  if (const auto* a = n.as_array()) {
    std::vector<std::string> items;
    items.reserve(a->size());
    for (const auto& e : *a) {
      const auto* s = e.as_string();
      if (!s) {
        what = "an array containing " + type_name(e);
        return std::nullopt;
      }
      items.push_back(s->get());
    }
    return value{std::move(items)};
  }
  what = type_name(n);
  return std::nullopt;
}

void warn_unknown(loaded_config& out, std::string name, std::string_view source, const toml::source_region& where) {
  diagnostic d;
  d.suggestion = closest_key(name);
  d.line = where.begin.line;
  d.column = where.begin.column;
  d.message = "unknown key " + name + location(source, d.line, d.column);
  if (!d.suggestion.empty()) d.message += "; did you mean " + d.suggestion + "?";
  d.key = std::move(name);
  out.warnings.push_back(std::move(d));
}

tl::unexpected<error> bad_value(errc code, const std::string& name, const std::string& text, std::string_view source,
                                const toml::source_region& where) {
  return make_error(code, name + ": " + text + location(source, where.begin.line, where.begin.column));
}

}  // namespace

std::string location(std::string_view source, std::uint32_t line, std::uint32_t column) {
  std::string out = " at ";
  out += source;
  if (line) {
    out += " line " + std::to_string(line);
    if (column) out += ", column " + std::to_string(column);
  }
  return out;
}

result<loaded_config> parse_layer(std::string_view text, std::string_view source_name, const settings& base) {
  if (text.size() > max_file_size)
    return make_error(errc::input_too_large, std::string(source_name) + " is larger than " + std::to_string(max_file_size) + " bytes");
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return make_error(errc::syntax_error, std::string(e.description()) + location(source_name, b.line, b.column));
  }

  // toml++ tables are sorted by key: visit the entries in document order, so warnings and the
  // first error come in the order the user reads the file.
  struct entry {
    std::string name;
    std::string_view section, key;
    const toml::source_region* where;
    const toml::node* node;  // null: a top-level key that is not a section
  };
  std::vector<entry> entries;
  for (const auto& [section_key, section_node] : root) {
    const auto* table = section_node.as_table();
    if (!table) {
      entries.push_back({std::string(section_key.str()), {}, {}, &section_key.source(), nullptr});
      continue;
    }
    for (const auto& [key, node] : *table)
      entries.push_back({std::string(section_key.str()) + "." + std::string(key.str()), section_key.str(), key.str(),
                         &key.source(), &node});
  }
  std::stable_sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) {
    return std::pair(a.where->begin.line, a.where->begin.column) < std::pair(b.where->begin.line, b.where->begin.column);
  });

  loaded_config out;
  out.values = base;
  for (auto& e : entries) {
    const auto* d = e.node ? find(e.section, e.key) : nullptr;
    if (!d) {
      warn_unknown(out, std::move(e.name), source_name, *e.where);
      continue;
    }
    std::string what;
    auto v = to_value(*e.node, what);
    if (!v) return bad_value(errc::wrong_type, e.name, "expected " + expected_value(d->info) + ", got " + what, source_name, e.node->source());
    if (auto p = check(*d, *v)) return bad_value(p->code, e.name, p->text, source_name, e.node->source());
    write(out.values, *d, *v);
    out.sources[std::move(e.name)] = value_source::file;
  }
  return out;
}

}  // namespace detail

result<loaded_config> parse(std::string_view text, std::string_view source_name, const settings& base) {
  auto c = detail::parse_layer(text, source_name, base);
  if (!c) return c;
  if (auto msg = detail::cross_check(c->values); !msg.empty())
    return make_error(errc::inconsistent, msg + detail::location(source_name, 0, 0));
  return c;
}

}  // namespace ccbt::config
