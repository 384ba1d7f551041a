// Bencode (BEP 3): a zero-copy decoder with limits, and a canonical encoder.
//
// decode() tokenises the whole input once into a flat token array; node is a cheap view into that
// array (no allocation per value, strings are string_views into the input). The input buffer must
// outlive the document and every node taken from it.
//
// Invariants: decode() never reads past the input, never recurses (an explicit stack bounded by
// limits::max_depth), allocates at most O(limits::max_tokens), and reports the first error with its
// byte offset. A node's raw() is exactly the bytes it was decoded from, so the info dictionary is
// hashed as it appeared in the file, whatever its key order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include <ccbt/error.hpp>

namespace ccbt::bencode {

enum class errc {
  unexpected_end = 1,   // input ended inside a value
  invalid_character,    // a byte that cannot start a value
  leading_zero,         // i03e or 03:abc
  negative_zero,        // i-0e
  invalid_integer,      // empty integer, stray sign, non-digit
  integer_overflow,     // does not fit in int64
  invalid_string_length,// string length prefix malformed (no ':', non-digit)
  string_too_long,      // string length runs past the end of the input
  missing_end,          // list or dict without its closing 'e'
  key_not_string,       // a dict key that is not a string
  missing_value,        // a dict key without a value
  unsorted_keys,        // strict mode: dict keys not in ascending raw-byte order
  duplicate_key,        // strict mode: a key twice in one dict
  trailing_data,        // bytes after the top-level value
  depth_exceeded,       // nesting deeper than limits::max_depth
  too_many_tokens,      // more values than limits::max_tokens
  input_too_large,      // input larger than limits::max_input
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

enum class type : std::uint8_t { integer, string, list, dict };

struct limits {
  std::size_t max_depth = 100;
  std::size_t max_tokens = 4'000'000;
  std::size_t max_input = std::size_t{64} << 20;  // 64 MiB
  // Strict: dict keys must be sorted and unique (canonical bencoding). Non-strict decoding still
  // accepts them, as real torrents in the wild sometimes carry unsorted keys.
  bool strict = false;
};

namespace detail {
struct token {
  std::uint32_t offset;   // byte offset of the value's first byte
  std::uint32_t end;      // one past the value's last byte
  std::uint32_t next;     // index of the next sibling token (one past this subtree)
  std::uint32_t count;    // list/dict: number of elements (dict: pairs); string: payload offset
  std::int64_t integer;   // integer value; string: payload length
  type kind;
};
}  // namespace detail

class document;

class node {
 public:
  node() = default;

  [[nodiscard]] type kind() const noexcept { return tok().kind; }
  [[nodiscard]] bool is_int() const noexcept { return kind() == type::integer; }
  [[nodiscard]] bool is_string() const noexcept { return kind() == type::string; }
  [[nodiscard]] bool is_list() const noexcept { return kind() == type::list; }
  [[nodiscard]] bool is_dict() const noexcept { return kind() == type::dict; }
  [[nodiscard]] bool valid() const noexcept { return doc_ != nullptr; }

  // Preconditions: the matching is_*() is true (checked with assert).
  [[nodiscard]] std::int64_t integer() const noexcept;
  [[nodiscard]] std::string_view string() const noexcept;
  // list: element count; dict: pair count.
  [[nodiscard]] std::size_t size() const noexcept;

  // The exact encoded bytes of this value, and where they start in the input.
  [[nodiscard]] std::string_view raw() const noexcept;
  [[nodiscard]] std::size_t offset() const noexcept { return tok().offset; }

  // list access: i-th element, O(i).
  [[nodiscard]] node at(std::size_t i) const noexcept;

  // dict access: linear scan over the keys (dicts in torrents are small). nullopt if absent.
  [[nodiscard]] std::optional<node> find(std::string_view key) const noexcept;
  // Typed lookups: nullopt if absent *or* of another type.
  [[nodiscard]] std::optional<std::int64_t> find_int(std::string_view key) const noexcept;
  [[nodiscard]] std::optional<std::string_view> find_string(std::string_view key) const noexcept;
  [[nodiscard]] std::optional<node> find_list(std::string_view key) const noexcept;
  [[nodiscard]] std::optional<node> find_dict(std::string_view key) const noexcept;

  // Iteration. For a list, each item is a node. For a dict, each item is a key/value pair.
  struct list_iterator;
  struct dict_iterator;
  struct list_range;
  struct dict_range;
  [[nodiscard]] list_range items() const noexcept;   // precondition: is_list()
  [[nodiscard]] dict_range entries() const noexcept; // precondition: is_dict()

 private:
  friend class document;
  node(const document* doc, std::uint32_t index) noexcept : doc_(doc), index_(index) {}
  [[nodiscard]] const detail::token& tok() const noexcept;

  const document* doc_ = nullptr;
  std::uint32_t index_ = 0;
};

struct node::list_iterator {
  const document* doc;
  std::uint32_t index;
  node operator*() const noexcept { return node(doc, index); }
  list_iterator& operator++() noexcept;
  bool operator==(const list_iterator& o) const noexcept { return index == o.index; }
};
struct node::list_range {
  list_iterator b, e;
  [[nodiscard]] list_iterator begin() const noexcept { return b; }
  [[nodiscard]] list_iterator end() const noexcept { return e; }
};
struct node::dict_iterator {
  const document* doc;
  std::uint32_t index;  // token index of the key
  std::pair<std::string_view, node> operator*() const noexcept;
  dict_iterator& operator++() noexcept;
  bool operator==(const dict_iterator& o) const noexcept { return index == o.index; }
};
struct node::dict_range {
  dict_iterator b, e;
  [[nodiscard]] dict_iterator begin() const noexcept { return b; }
  [[nodiscard]] dict_iterator end() const noexcept { return e; }
};

// A decoded input: owns the token array, borrows the input bytes. Movable; nodes taken from a
// document stay valid while the document lives (the token array is never reallocated after decode).
class document {
 public:
  [[nodiscard]] node root() const noexcept { return node(this, 0); }
  [[nodiscard]] std::string_view input() const noexcept { return input_; }
  [[nodiscard]] std::size_t token_count() const noexcept { return tokens_.size(); }

  document(document&&) noexcept = default;
  document& operator=(document&&) noexcept = default;
  document(const document&) = delete;
  document& operator=(const document&) = delete;

 private:
  friend class node;
  friend struct node::list_iterator;
  friend struct node::dict_iterator;
  friend result<std::pair<document, std::size_t>> decode_prefix(std::string_view input,
                                                                 const limits& lim);
  document() = default;

  std::string_view input_;
  std::vector<detail::token> tokens_;
};

// Decodes exactly one value spanning the whole input.
[[nodiscard]] result<document> decode(std::string_view input, const limits& lim = {});

// Decodes one value at the start of the input and reports how many bytes it used (for messages
// whose bencoded header is followed by binary payload, e.g. BEP 9 ut_metadata data messages).
[[nodiscard]] result<std::pair<document, std::size_t>> decode_prefix(std::string_view input,
                                                                     const limits& lim = {});

// ---- Encoder -------------------------------------------------------------------------------

class value;
using list = std::vector<value>;
// std::less<> on std::string compares bytes as unsigned char: the order bencoding requires.
using dict = std::map<std::string, value, std::less<>>;

// An owning bencode value for building documents (torrent creation, messages).
class value {
 public:
  value() : v_(std::int64_t{0}) {}
  value(std::int64_t i) : v_(i) {}                       // NOLINT(google-explicit-constructor)
  value(int i) : v_(std::int64_t{i}) {}                  // NOLINT
  value(std::string s) : v_(std::move(s)) {}             // NOLINT
  value(std::string_view s) : v_(std::string(s)) {}      // NOLINT
  value(const char* s) : v_(std::string(s)) {}           // NOLINT
  value(list l) : v_(std::move(l)) {}                    // NOLINT
  value(dict d) : v_(std::move(d)) {}                    // NOLINT

  [[nodiscard]] type kind() const noexcept { return static_cast<type>(v_.index()); }
  [[nodiscard]] std::int64_t& as_int() { return std::get<std::int64_t>(v_); }
  [[nodiscard]] std::string& as_string() { return std::get<std::string>(v_); }
  [[nodiscard]] list& as_list() { return std::get<list>(v_); }
  [[nodiscard]] dict& as_dict() { return std::get<dict>(v_); }
  [[nodiscard]] const std::int64_t& as_int() const { return std::get<std::int64_t>(v_); }
  [[nodiscard]] const std::string& as_string() const { return std::get<std::string>(v_); }
  [[nodiscard]] const list& as_list() const { return std::get<list>(v_); }
  [[nodiscard]] const dict& as_dict() const { return std::get<dict>(v_); }

  friend bool operator==(const value&, const value&) = default;

 private:
  std::variant<std::int64_t, std::string, list, dict> v_;  // order matches enum type
};

// Canonical bencoding (dict keys sorted by raw bytes, as std::map keeps them).
[[nodiscard]] std::string encode(const value& v);
void encode_to(std::string& out, const value& v);

// A deep copy of a decoded node (keys of a non-canonical dict are re-sorted; duplicates: first wins).
[[nodiscard]] value to_value(node n);

}  // namespace ccbt::bencode

template <>
struct std::is_error_code_enum<ccbt::bencode::errc> : std::true_type {};
