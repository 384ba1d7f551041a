// libFuzzer target for the bencode decoder and encoder.
//
// For every input: decode leniently and strictly, and as a prefix. On success, walk the whole tree
// checking each node against its raw bytes, deep-copy it with to_value(), encode it canonically,
// and check that decoding the canonical bytes gives the same value again. Any broken property
// aborts, which libFuzzer reports as a crash.
#include <ccbt/bencode.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include "fuzz_check.hpp"

namespace {

namespace b = ccbt::bencode;

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// Checks one node and its subtree; returns the number of values in it (keys included).
std::size_t walk(b::node n, std::string_view input) {
  FUZZ_CHECK(n.valid());
  const std::string_view raw = n.raw();
  FUZZ_CHECK(!raw.empty());
  FUZZ_CHECK(inside(raw, input));
  FUZZ_CHECK(n.offset() == static_cast<std::size_t>(raw.data() - input.data()));
  switch (n.kind()) {
    case b::type::integer: {
      FUZZ_CHECK(raw == "i" + std::to_string(n.integer()) + "e");
      FUZZ_CHECK(n.size() == 0);
      return 1;
    }
    case b::type::string: {
      const std::string_view s = n.string();
      FUZZ_CHECK(n.size() == s.size());
      FUZZ_CHECK(raw == std::to_string(s.size()) + ":" + std::string(s));
      FUZZ_CHECK(s.data() + s.size() == raw.data() + raw.size());
      return 1;
    }
    case b::type::list: {
      FUZZ_CHECK(raw.front() == 'l' && raw.back() == 'e');
      std::size_t count = 0;
      std::size_t values = 1;
      for (b::node e : n.items()) {
        FUZZ_CHECK(inside(e.raw(), raw));
        if (count < 4) FUZZ_CHECK(n.at(count) == e);
        values += walk(e, input);
        ++count;
      }
      FUZZ_CHECK(count == n.size());
      return values;
    }
    case b::type::dict: {
      FUZZ_CHECK(raw.front() == 'd' && raw.back() == 'e');
      std::size_t count = 0;
      std::size_t values = 1;
      for (auto [k, v] : n.entries()) {
        FUZZ_CHECK(inside(k, raw));
        FUZZ_CHECK(inside(v.raw(), raw));
        // find() returns the first value under a key: this one, or an earlier duplicate's.
        const auto found = n.find(k);
        FUZZ_CHECK(found.has_value());
        FUZZ_CHECK(found->offset() <= v.offset());
        FUZZ_CHECK(found->kind() != b::type::integer || n.find_int(k) == found->integer());
        values += 1 + walk(v, input);
        ++count;
      }
      FUZZ_CHECK(count == n.size());
      return values;
    }
  }
  FUZZ_CHECK(false);
  return 0;
}

void check_error(const ccbt::error& e, std::size_t size, const b::limits& lim) {
  FUZZ_CHECK(e.code.category() == b::category());
  FUZZ_CHECK(e.offset.has_value());
  FUZZ_CHECK(*e.offset <= size);
  if (!lim.strict) {
    FUZZ_CHECK(e.code != b::errc::unsorted_keys);
    FUZZ_CHECK(e.code != b::errc::duplicate_key);
  }
  FUZZ_CHECK(!e.message().empty());
}

// Canonical re-encoding round trip for a decoded document.
void round_trip(const b::document& doc, bool was_strict_ok) {
  const b::value v = b::to_value(doc.root());
  const std::string canonical = b::encode(v);
  // Canonical input (which strict mode accepts) is reproduced byte for byte.
  if (was_strict_ok) FUZZ_CHECK(canonical == doc.input());
  b::limits strict;
  strict.strict = true;
  auto again = b::decode(canonical, strict);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(b::to_value(again->root()) == v);
  FUZZ_CHECK(b::encode(b::to_value(again->root())) == canonical);
  FUZZ_CHECK(again->root().raw() == canonical);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  b::limits lenient;
  b::limits strict;
  strict.strict = true;

  auto l = b::decode(in, lenient);
  auto s = b::decode(in, strict);
  if (!l) check_error(l.error(), size, lenient);
  if (!s) check_error(s.error(), size, strict);
  // Strict accepts a subset of what lenient accepts; where both fail, strict fails no later.
  if (s) FUZZ_CHECK(l.has_value());
  if (!l) {
    FUZZ_CHECK(!s && *s.error().offset <= *l.error().offset);
    // Unless strict mode stopped at a key-order error first, both report the same error.
    if (s.error().code != b::errc::unsorted_keys && s.error().code != b::errc::duplicate_key)
      FUZZ_CHECK(s.error().code == l.error().code && s.error().offset == l.error().offset);
  }

  if (l) {
    FUZZ_CHECK(l->input().size() == size);
    FUZZ_CHECK(walk(l->root(), l->input()) == l->token_count());
    round_trip(*l, s.has_value());
  }
  if (s) FUZZ_CHECK(s->token_count() == l->token_count());

  // A prefix decode stops where the first value ends, and agrees with decode() on that prefix.
  auto p = b::decode_prefix(in, lenient);
  if (l) FUZZ_CHECK(p.has_value() && p->second == size);
  if (p) {
    FUZZ_CHECK(p->second > 0 && p->second <= size);
    FUZZ_CHECK(p->first.input() == in.substr(0, p->second));
    auto whole = b::decode(in.substr(0, p->second), lenient);
    FUZZ_CHECK(whole.has_value());
    FUZZ_CHECK(whole->token_count() == p->first.token_count());
    if (!l) FUZZ_CHECK(l.error().code == b::errc::trailing_data && *l.error().offset == p->second);
  } else {
    check_error(p.error(), size, lenient);
    FUZZ_CHECK(!l);
  }
  return 0;
}
