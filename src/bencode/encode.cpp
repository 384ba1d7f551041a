// Bencode encoder: canonical output (BEP 3), and deep copies of decoded nodes into owning values.
#include <ccbt/bencode.hpp>

#include <charconv>

namespace ccbt::bencode {
namespace {

void put_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void put_string(std::string& out, std::string_view s) {
  put_int(out, static_cast<std::int64_t>(s.size()));
  out.push_back(':');
  out.append(s);
}

}  // namespace

void encode_to(std::string& out, const value& v) {
  switch (v.kind()) {
    case type::integer:
      out.push_back('i');
      put_int(out, v.as_int());
      out.push_back('e');
      break;
    case type::string:
      put_string(out, v.as_string());
      break;
    case type::list:
      out.push_back('l');
      for (const auto& e : v.as_list()) encode_to(out, e);
      out.push_back('e');
      break;
    case type::dict:
      out.push_back('d');
      for (const auto& [k, e] : v.as_dict()) {
        put_string(out, k);
        encode_to(out, e);
      }
      out.push_back('e');
      break;
  }
}

std::string encode(const value& v) {
  std::string out;
  encode_to(out, v);
  return out;
}

value to_value(node n) {
  switch (n.kind()) {
    case type::integer: return value(n.integer());
    case type::string: return value(n.string());
    case type::list: {
      list l;
      l.reserve(n.size());
      for (auto e : n.items()) l.push_back(to_value(e));
      return value(std::move(l));
    }
    case type::dict: {
      dict d;
      // Keys usually arrive sorted, so hinting at the end makes each insert O(1); a key already
      // present (a duplicate in a lenient document) is not replaced: the first one wins.
      for (auto [k, e] : n.entries()) d.emplace_hint(d.end(), std::string(k), to_value(e));
      return value(std::move(d));
    }
  }
  return value();
}

}  // namespace ccbt::bencode
