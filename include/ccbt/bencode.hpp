// Bencode (BEP 3): a zero-copy decoder with limits, and a canonical encoder.
//
// decode() tokenises the whole input once into a flat token array; node is a cheap view into that
// array (no allocation per value, strings are string_views into the input). The input buffer must
// outlive the document and every node taken from it. Nodes point at the document's heap-held token
// tree, not at the document object, so they stay valid when the document is moved.
//
// Invariants: decode() never reads past the input, never recurses (an explicit stack bounded by
// limits::max_depth), allocates O(min(limits::max_tokens, input size)), and reports the first error
// with its byte offset and the path to it ("info.files[3].length"). A node's raw() is exactly the
// bytes it was decoded from, so the info dictionary is hashed as it appeared in the file, whatever
// its key order. to_value(), encode() and value's destructor recurse once per nesting level, which
// decode() bounds by limits::max_depth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
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
  unexpected_end = 1,   // input ended inside a value (or is empty)
  invalid_character,    // a byte that cannot start a value (also a stray top-level 'e')
  leading_zero,         // i03e or 03:abc (offset: the leading '0')
  negative_zero,        // i-0e (offset: the 'i')
  invalid_integer,      // empty integer, stray sign, non-digit (offset: the offending byte)
  integer_overflow,     // does not fit in int64 (offset: the 'i')
  invalid_string_length,// string length prefix not followed by ':' (offset: that byte)
  string_too_long,      // string length runs past the end of the input (offset: the length)
  missing_end,          // list or dict without its closing 'e' (offset: end of input)
  key_not_string,       // a dict key that is not a string (offset: the key's first byte)
  missing_value,        // a dict key without a value (offset: the 'e' or end of input)
  unsorted_keys,        // strict mode: dict keys not in ascending raw-byte order (offset: the key)
  duplicate_key,        // strict mode: a key twice in one dict (offset: the second key)
  trailing_data,        // bytes after the top-level value (offset: the first such byte)
  depth_exceeded,       // nesting deeper than limits::max_depth (offset: the 'l' or 'd')
  too_many_tokens,      // more values than limits::max_tokens (offset: the value that is one too many)
  input_too_large,      // input larger than limits::max_input (offset: the limit)
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

enum class type : std::uint8_t { integer, string, list, dict };

struct limits {
  // Nested lists/dicts allowed (the top-level container counts as 1; scalars do not count).
  std::size_t max_depth = 100;
  // Values (integers, strings, lists, dicts; a dict key counts as one) in one document.
  std::size_t max_tokens = 4'000'000;
  // Bytes of input. For decode_prefix() this applies to the whole buffer passed in.
  std::size_t max_input = std::size_t{64} << 20;  // 64 MiB
  // Strict: dict keys must be sorted and unique (canonical bencoding). Non-strict decoding still
  // accepts them, as real torrents in the wild sometimes carry unsorted keys; lookups and
  // to_value() then take the first of duplicate keys.
  bool strict = false;
};

namespace detail {
// One decoded value, 24 bytes. What num and aux hold depends on the kind:
//   integer:   num = the integer,      aux = one past its 'e'
//   string:    num = payload length,   aux = payload offset
//   list/dict: num = one past its 'e', aux = element count (dict: pairs)
struct token {
  std::uint32_t offset;  // byte offset of the value's first byte
  std::uint32_t next;    // index of the next sibling token (one past this subtree)
  std::uint32_t aux;
  type kind;
  std::int64_t num;
};
// One past the value's last byte.
[[nodiscard]] constexpr std::size_t end_of(const token& t) noexcept {
  switch (t.kind) {
    case type::integer: return t.aux;
    case type::string: return t.aux + static_cast<std::size_t>(t.num);
    case type::list:
    case type::dict: break;
  }
  return static_cast<std::size_t>(t.num);
}
// What a document owns, on the heap so that nodes survive moves of the document.
struct tree {
  std::string_view input;
  std::vector<token> tokens;
};
}  // namespace detail

class document;

// A view of one decoded value. Default-constructed nodes are invalid (valid() is false) and must
// not be queried.
class node {
 public:
  node() = default;

  [[nodiscard]] type kind() const noexcept { return tok().kind; }
  [[nodiscard]] bool is_int() const noexcept { return kind() == type::integer; }
  [[nodiscard]] bool is_string() const noexcept { return kind() == type::string; }
  [[nodiscard]] bool is_list() const noexcept { return kind() == type::list; }
  [[nodiscard]] bool is_dict() const noexcept { return kind() == type::dict; }
  [[nodiscard]] bool valid() const noexcept { return tree_ != nullptr; }

  // Preconditions: the matching is_*() is true (checked with assert).
  [[nodiscard]] std::int64_t integer() const noexcept;
  [[nodiscard]] std::string_view string() const noexcept;
  // list: element count; dict: pair count; string: byte length; integer: 0.
  [[nodiscard]] std::size_t size() const noexcept;

  // The exact encoded bytes of this value, and where they start in the input.
  [[nodiscard]] std::string_view raw() const noexcept;
  [[nodiscard]] std::size_t offset() const noexcept { return tok().offset; }

  // list access: i-th element, O(i). Precondition: is_list() && i < size().
  [[nodiscard]] node at(std::size_t i) const noexcept;

  // dict access: linear scan over the keys (dicts in torrents are small); the first match wins.
  // nullopt if absent or if this node is not a dict.
  [[nodiscard]] std::optional<node> find(std::string_view key) const noexcept;
  // Typed lookups: nullopt if absent *or* of another type.
  [[nodiscard]] std::optional<std::int64_t> find_int(std::string_view key) const noexcept;
  [[nodiscard]] std::optional<std::string_view> find_string(std::string_view key) const noexcept;
  [[nodiscard]] std::optional<node> find_list(std::string_view key) const noexcept;
  [[nodiscard]] std::optional<node> find_dict(std::string_view key) const noexcept;

  // Iteration. For a list, each item is a node. For a dict, each item is a key/value pair, in
  // input order.
  struct list_iterator;
  struct dict_iterator;
  struct list_range;
  struct dict_range;
  [[nodiscard]] list_range items() const noexcept;   // precondition: is_list()
  [[nodiscard]] dict_range entries() const noexcept; // precondition: is_dict()

  // Same value of the same document.
  friend bool operator==(const node& a, const node& b) noexcept {
    return a.tree_ == b.tree_ && a.index_ == b.index_;
  }

 private:
  friend class document;
  node(const detail::tree* t, std::uint32_t index) noexcept : tree_(t), index_(index) {}
  [[nodiscard]] const detail::token& tok() const noexcept;

  const detail::tree* tree_ = nullptr;
  std::uint32_t index_ = 0;
};

struct node::list_iterator {
  using value_type = node;
  using difference_type = std::ptrdiff_t;
  const detail::tree* doc;
  std::uint32_t index;
  node operator*() const noexcept { return node(doc, index); }
  list_iterator& operator++() noexcept;
  list_iterator operator++(int) noexcept {
    auto old = *this;
    ++*this;
    return old;
  }
  bool operator==(const list_iterator& o) const noexcept { return index == o.index; }
};
struct node::list_range {
  list_iterator b, e;
  [[nodiscard]] list_iterator begin() const noexcept { return b; }
  [[nodiscard]] list_iterator end() const noexcept { return e; }
};
struct node::dict_iterator {
  using value_type = std::pair<std::string_view, node>;
  using difference_type = std::ptrdiff_t;
  const detail::tree* doc;
  std::uint32_t index;  // token index of the key
  std::pair<std::string_view, node> operator*() const noexcept;
  dict_iterator& operator++() noexcept;
  dict_iterator operator++(int) noexcept {
    auto old = *this;
    ++*this;
    return old;
  }
  bool operator==(const dict_iterator& o) const noexcept { return index == o.index; }
};
struct node::dict_range {
  dict_iterator b, e;
  [[nodiscard]] dict_iterator begin() const noexcept { return b; }
  [[nodiscard]] dict_iterator end() const noexcept { return e; }
};

// A decoded input: owns the token array, borrows the input bytes. Movable; nodes taken from a
// document stay valid while the tokens live (the token tree is held on the heap, so moving the
// document does not invalidate them; destroying it does). A default-constructed or moved-from
// document is empty: its root() is an invalid node.
class document {
 public:
  document() = default;

  [[nodiscard]] node root() const noexcept { return tree_ ? node(tree_.get(), 0) : node(); }
  // The bytes of the decoded value (for decode_prefix: without the trailing payload).
  [[nodiscard]] std::string_view input() const noexcept { return tree_ ? tree_->input : std::string_view(); }
  [[nodiscard]] std::size_t token_count() const noexcept { return tree_ ? tree_->tokens.size() : 0; }

  document(document&&) noexcept = default;
  document& operator=(document&&) noexcept = default;
  document(const document&) = delete;
  document& operator=(const document&) = delete;
  ~document() = default;

 private:
  friend result<std::pair<document, std::size_t>> decode_prefix(std::string_view input,
                                                                 const limits& lim);
  explicit document(std::unique_ptr<detail::tree> t) noexcept : tree_(std::move(t)) {}

  std::unique_ptr<detail::tree> tree_;
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
