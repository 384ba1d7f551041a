// Bencode decoder: one pass over the input, an explicit stack (no recursion), a flat token array.
#include <ccbt/bencode.hpp>

#include <algorithm>
#include <cassert>
#include <limits>

namespace ccbt::bencode {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bencode"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::unexpected_end: return "input ends inside a value";
      case errc::invalid_character: return "invalid character where a value should start";
      case errc::leading_zero: return "number with a leading zero";
      case errc::negative_zero: return "negative zero integer";
      case errc::invalid_integer: return "malformed integer";
      case errc::integer_overflow: return "integer does not fit in 64 bits";
      case errc::invalid_string_length: return "malformed string length";
      case errc::string_too_long: return "string length runs past the end of the input";
      case errc::missing_end: return "list or dictionary is missing its closing 'e'";
      case errc::key_not_string: return "dictionary key is not a string";
      case errc::missing_value: return "dictionary key has no value";
      case errc::unsorted_keys: return "dictionary keys are not sorted";
      case errc::duplicate_key: return "duplicate dictionary key";
      case errc::trailing_data: return "trailing bytes after the value";
      case errc::depth_exceeded: return "nesting too deep";
      case errc::too_many_tokens: return "too many values";
      case errc::input_too_large: return "input too large";
    }
    return "unknown bencode error";
  }
};

constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

struct frame {
  std::uint32_t token;     // index of the list/dict token
  std::uint32_t count;     // elements so far (dict: keys + values)
  std::uint32_t last_key;  // dict: token index of the latest key, or npos
  bool dict;
};

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A key or byte for an error message: printable ASCII as is, anything else as \xNN, cut at 48.
void append_printable(std::string& out, std::string_view s) {
  constexpr std::size_t max_len = 48;
  constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size() && i < max_len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      out.push_back(static_cast<char>(b));
    } else {
      out += "\\x";
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 0xf]);
    }
  }
  if (s.size() > max_len) out += "...";
}

class decoder {
 public:
  decoder(std::string_view in, const limits& lim, std::vector<detail::token>& tokens)
      : in_(in), lim_(lim), tokens_(tokens) {}

  // Decodes one value starting at offset 0; returns the bytes consumed, or the first error.
  result<std::size_t> run() {
    if (!parse()) return tl::unexpected(std::move(err_));
    return pos_;
  }

 private:
  bool parse() {
    if (in_.size() > lim_.max_input || in_.size() >= npos) {
      return fail(errc::input_too_large, std::min<std::size_t>(lim_.max_input, npos - 1), false,
                  std::to_string(in_.size()) + " bytes, limit " + std::to_string(lim_.max_input));
    }
    const std::size_t n = in_.size();
    do {
      if (pos_ >= n) {
        if (stack_.empty()) return fail(errc::unexpected_end, pos_, true, {});
        const frame& f = stack_.back();
        if (f.dict && (f.count % 2) != 0) return fail(errc::missing_value, pos_, false, {});
        return fail(errc::missing_end, pos_, false,
                    std::string(f.dict ? "dictionary" : "list") + " opened at byte " +
                        std::to_string(tokens_[f.token].offset));
      }
      const char c = in_[pos_];
      bool key = false;
      if (!stack_.empty()) {
        frame& f = stack_.back();
        if (c == 'e') {
          if (f.dict && (f.count % 2) != 0) return fail(errc::missing_value, pos_, false, {});
          ++pos_;
          auto& t = tokens_[f.token];
          t.num = static_cast<std::int64_t>(pos_);
          t.next = static_cast<std::uint32_t>(tokens_.size());
          t.aux = f.dict ? f.count / 2 : f.count;
          stack_.pop_back();
          continue;
        }
        key = f.dict && (f.count % 2) == 0;
        if (key && !is_digit(c)) return fail(errc::key_not_string, pos_, true, describe(c));
      }
      if (tokens_.size() >= lim_.max_tokens)
        return fail(errc::too_many_tokens, pos_, true, "limit " + std::to_string(lim_.max_tokens));
      const auto index = static_cast<std::uint32_t>(tokens_.size());
      if (c == 'l' || c == 'd') {
        if (stack_.size() >= lim_.max_depth)
          return fail(errc::depth_exceeded, pos_, true, "limit " + std::to_string(lim_.max_depth));
        const bool dict = c == 'd';
        push(pos_, 0, dict ? type::dict : type::list, 0);
        if (!stack_.empty()) ++stack_.back().count;
        stack_.push_back({index, 0, npos, dict});
        ++pos_;
        continue;
      }
      if (c == 'i') {
        if (!parse_int()) return false;
      } else if (is_digit(c)) {
        if (!parse_string()) return false;
        if (key && !check_key(index)) return false;
      } else {
        return fail(errc::invalid_character, pos_, true, describe(c));
      }
      if (!stack_.empty()) ++stack_.back().count;
    } while (!stack_.empty());
    return true;
  }

  // Called after a key was parsed into tokens_[index]; the innermost frame is its dict.
  bool check_key(std::uint32_t index) {
    frame& f = stack_.back();
    if (lim_.strict && f.last_key != npos) {
      const auto prev = string_of(f.last_key);
      const auto cur = string_of(index);
      // string_view compares bytes as unsigned char, the order BEP 3 requires.
      if (cur <= prev) {
        std::string detail = "key '";
        append_printable(detail, cur);
        detail += cur == prev ? "' repeated" : "' after '";
        if (cur != prev) {
          append_printable(detail, prev);
          detail += '\'';
        }
        return fail(cur == prev ? errc::duplicate_key : errc::unsorted_keys, tokens_[index].offset, false,
                    std::move(detail));
      }
    }
    f.last_key = index;
    return true;
  }

  bool parse_int() {
    const std::size_t start = pos_;
    ++pos_;  // 'i'
    bool negative = false;
    if (pos_ < in_.size() && in_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    const std::size_t digits = pos_;
    std::uint64_t mag = 0;
    const std::uint64_t max_mag = negative ? std::uint64_t{1} << 63
                                           : static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const std::uint64_t max_div = max_mag / 10;  // hoisted: no division per digit
    const std::uint64_t max_mod = max_mag % 10;
    while (pos_ < in_.size() && is_digit(in_[pos_])) {
      const auto d = static_cast<std::uint64_t>(in_[pos_] - '0');
      if (mag > max_div || (mag == max_div && d > max_mod)) return fail(errc::integer_overflow, start, true, {});
      mag = mag * 10 + d;
      ++pos_;
    }
    if (pos_ >= in_.size()) return fail(errc::unexpected_end, pos_, true, "integer");
    if (in_[pos_] != 'e' || pos_ == digits) return fail(errc::invalid_integer, pos_, true, describe(in_[pos_]));
    if (in_[digits] == '0' && pos_ - digits > 1) return fail(errc::leading_zero, digits, true, {});
    if (negative && mag == 0) return fail(errc::negative_zero, start, true, {});
    ++pos_;  // 'e'
    const std::int64_t v = negative ? static_cast<std::int64_t>(~mag + 1) : static_cast<std::int64_t>(mag);
    push(start, pos_, type::integer, v);
    return true;
  }

  bool parse_string() {
    const std::size_t start = pos_;
    std::uint64_t len = 0;
    // Once the length exceeds the input it stops growing (no overflow), but the digits are still
    // read so that a missing ':' is reported before the length.
    bool huge = false;
    while (pos_ < in_.size() && is_digit(in_[pos_])) {
      if (!huge) {
        len = len * 10 + static_cast<std::uint64_t>(in_[pos_] - '0');
        huge = len > in_.size();
      }
      ++pos_;
    }
    if (pos_ >= in_.size()) return fail(errc::unexpected_end, pos_, true, "string length");
    if (in_[pos_] != ':') return fail(errc::invalid_string_length, pos_, true, describe(in_[pos_]));
    if (in_[start] == '0' && pos_ - start > 1) return fail(errc::leading_zero, start, true, {});
    ++pos_;  // ':'
    if (huge || len > in_.size() - pos_) {
      const std::string_view digits = in_.substr(start, pos_ - 1 - start);
      std::string detail = "length ";
      detail += digits.substr(0, 24);
      if (digits.size() > 24) detail += "...";
      detail += ", " + std::to_string(in_.size() - pos_) + " bytes left";
      return fail(errc::string_too_long, start, true, std::move(detail));
    }
    const std::size_t payload = pos_;
    pos_ += static_cast<std::size_t>(len);
    push(start, payload, type::string, static_cast<std::int64_t>(len));
    return true;
  }

  // Appends a token, writing its fields in place: building a temporary and copying it made the
  // copy's wide load wait on the narrow stores (a store-forwarding stall, ~40% of decode time).
  // next is preset to index + 1, right for scalars; a container's is set at its 'e'.
  void push(std::size_t offset, std::size_t aux, type kind, std::int64_t num) {
    const auto next = static_cast<std::uint32_t>(tokens_.size() + 1);
    detail::token& t = tokens_.emplace_back();
    t.offset = static_cast<std::uint32_t>(offset);
    t.next = next;
    t.aux = static_cast<std::uint32_t>(aux);
    t.kind = kind;
    t.num = num;
  }

  [[nodiscard]] std::string_view string_of(std::uint32_t i) const {
    const auto& t = tokens_[i];
    return in_.substr(t.aux, static_cast<std::size_t>(t.num));
  }

  [[nodiscard]] static std::string describe(char c) {
    std::string s = "byte '";
    append_printable(s, std::string_view(&c, 1));
    s += '\'';
    return s;
  }

  // Where the decoder is, as "info.files[3].length". child: the error is about the element being
  // parsed inside the innermost container (not about that container itself).
  [[nodiscard]] std::string path(bool child) const {
    std::string out;
    for (std::size_t i = 0; i < stack_.size(); ++i) {
      const frame& f = stack_[i];
      const bool top = i + 1 == stack_.size();
      if (!f.dict) {
        // Outer frames have already counted the open child container.
        if (!top || child) {
          out += '[';
          out += std::to_string(top ? f.count : f.count - 1);
          out += ']';
        }
      } else if ((!top || (child && (f.count % 2) != 0)) && f.last_key != npos) {
        if (!out.empty()) out += '.';
        append_printable(out, string_of(f.last_key));
      }
    }
    return out;
  }

  bool fail(errc e, std::size_t offset, bool child, std::string detail) {
    std::string context = path(child);
    if (!detail.empty()) {
      if (!context.empty()) context += ": ";
      context += detail;
    }
    err_ = error{make_error_code(e), offset, std::move(context)};
    return false;
  }

  std::string_view in_;
  const limits& lim_;
  std::vector<detail::token>& tokens_;
  std::vector<frame> stack_;
  std::size_t pos_ = 0;
  error err_;
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

result<std::pair<document, std::size_t>> decode_prefix(std::string_view input, const limits& lim) {
  auto t = std::make_unique<detail::tree>();
  // Small inputs (messages) get room for all their tokens at once instead of five reallocations;
  // large ones start at 64K tokens (1.5 MiB) and grow by doubling.
  t->tokens.reserve(std::min<std::size_t>(lim.max_tokens, std::min<std::size_t>(input.size() / 4 + 8, 1 << 16)));
  decoder d(input, lim, t->tokens);
  auto used = d.run();
  if (!used) return tl::unexpected(std::move(used.error()));
  t->input = input.substr(0, *used);
  // Growth by doubling leaves the array at least half full, and copying it to shrink it cost ~20%
  // of the decode time. Only the first reservation can overshoot (a torrent that is mostly one
  // 'pieces' string): then few tokens are copied.
  if (t->tokens.capacity() > 2 * t->tokens.size() + 64) t->tokens.shrink_to_fit();
  return std::pair<document, std::size_t>(document(std::move(t)), *used);
}

result<document> decode(std::string_view input, const limits& lim) {
  auto r = decode_prefix(input, lim);
  if (!r) return tl::unexpected(std::move(r.error()));
  if (r->second != input.size()) {
    return make_error(errc::trailing_data, std::to_string(input.size() - r->second) + " bytes", r->second);
  }
  return std::move(r->first);
}

// ---- node ----

const detail::token& node::tok() const noexcept {
  assert(tree_ != nullptr);
  return tree_->tokens[index_];
}

std::int64_t node::integer() const noexcept {
  assert(is_int());
  return tok().num;
}

std::string_view node::string() const noexcept {
  assert(is_string());
  const auto& t = tok();
  return tree_->input.substr(t.aux, static_cast<std::size_t>(t.num));
}

std::size_t node::size() const noexcept {
  const auto& t = tok();
  switch (t.kind) {
    case type::integer: return 0;
    case type::string: return static_cast<std::size_t>(t.num);
    case type::list:
    case type::dict: return t.aux;
  }
  return 0;
}

std::string_view node::raw() const noexcept {
  const auto& t = tok();
  return tree_->input.substr(t.offset, detail::end_of(t) - t.offset);
}

node node::at(std::size_t i) const noexcept {
  assert(is_list() && i < size());
  std::uint32_t idx = index_ + 1;
  for (std::size_t k = 0; k < i; ++k) idx = tree_->tokens[idx].next;
  return node(tree_, idx);
}

std::optional<node> node::find(std::string_view key) const noexcept {
  if (!is_dict()) return std::nullopt;
  const auto& toks = tree_->tokens;
  const std::uint32_t end = tok().next;
  std::uint32_t k = index_ + 1;
  while (k != end) {
    const auto& kt = toks[k];
    const std::uint32_t v = kt.next;
    if (static_cast<std::size_t>(kt.num) == key.size() && tree_->input.substr(kt.aux, key.size()) == key)
      return node(tree_, v);
    k = toks[v].next;
  }
  return std::nullopt;
}

std::optional<std::int64_t> node::find_int(std::string_view key) const noexcept {
  auto n = find(key);
  if (n && n->is_int()) return n->integer();
  return std::nullopt;
}

std::optional<std::string_view> node::find_string(std::string_view key) const noexcept {
  auto n = find(key);
  if (n && n->is_string()) return n->string();
  return std::nullopt;
}

std::optional<node> node::find_list(std::string_view key) const noexcept {
  auto n = find(key);
  if (n && n->is_list()) return n;
  return std::nullopt;
}

std::optional<node> node::find_dict(std::string_view key) const noexcept {
  auto n = find(key);
  if (n && n->is_dict()) return n;
  return std::nullopt;
}

node::list_range node::items() const noexcept {
  assert(is_list());
  return {{tree_, index_ + 1}, {tree_, tok().next}};
}

node::dict_range node::entries() const noexcept {
  assert(is_dict());
  return {{tree_, index_ + 1}, {tree_, tok().next}};
}

node::list_iterator& node::list_iterator::operator++() noexcept {
  index = doc->tokens[index].next;
  return *this;
}

std::pair<std::string_view, node> node::dict_iterator::operator*() const noexcept {
  const node key(doc, index);
  return {key.string(), node(doc, doc->tokens[index].next)};
}

node::dict_iterator& node::dict_iterator::operator++() noexcept {
  index = doc->tokens[doc->tokens[index].next].next;
  return *this;
}

}  // namespace ccbt::bencode
