// Bencode decoder: one pass over the input, an explicit stack (no recursion), a flat token array.
#include <ccbt/bencode.hpp>

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

struct frame {
  std::uint32_t token;      // index of the list/dict token
  std::uint32_t count;      // elements so far (dict: keys + values)
  std::uint32_t last_key;   // dict: token index of the previous key (strict mode), or npos
};
constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

class decoder {
 public:
  decoder(std::string_view in, const limits& lim, std::vector<detail::token>& tokens)
      : in_(in), lim_(lim), tokens_(tokens) {}

  // Decodes one value starting at pos_ = 0; on success returns bytes consumed.
  result<std::size_t> run() {
    if (in_.size() > lim_.max_input || in_.size() >= npos)
      return make_error(errc::input_too_large, std::to_string(in_.size()) + " bytes", 0);
    std::vector<frame> stack;
    do {
      if (pos_ >= in_.size()) {
        if (!stack.empty()) return make_error(errc::missing_end, {}, pos_);
        return make_error(errc::unexpected_end, {}, pos_);
      }
      const char c = in_[pos_];
      if (c == 'e') {
        if (stack.empty()) return make_error(errc::invalid_character, "unexpected 'e'", pos_);
        frame& f = stack.back();
        auto& t = tokens_[f.token];
        if (t.kind == type::dict && (f.count % 2) != 0) return make_error(errc::missing_value, {}, pos_);
        ++pos_;
        t.end = static_cast<std::uint32_t>(pos_);
        t.next = static_cast<std::uint32_t>(tokens_.size());
        t.count = t.kind == type::dict ? f.count / 2 : f.count;
        stack.pop_back();
        continue;
      }
      // A value starts here: check its position in the enclosing container.
      if (!stack.empty()) {
        frame& f = stack.back();
        const bool is_key = tokens_[f.token].kind == type::dict && (f.count % 2) == 0;
        if (is_key) {
          if (!is_digit(c)) return make_error(errc::key_not_string, {}, pos_);
        }
      }
      if (tokens_.size() >= lim_.max_tokens) return make_error(errc::too_many_tokens, {}, pos_);
      const auto index = static_cast<std::uint32_t>(tokens_.size());
      if (c == 'l' || c == 'd') {
        if (stack.size() >= lim_.max_depth) return make_error(errc::depth_exceeded, {}, pos_);
        tokens_.push_back({static_cast<std::uint32_t>(pos_), 0, 0, 0, 0, c == 'l' ? type::list : type::dict});
        if (!stack.empty()) ++stack.back().count;
        stack.push_back({index, 0, npos});
        ++pos_;
        continue;
      }
      if (c == 'i') {
        auto r = parse_int();
        if (!r) return tl::unexpected(r.error());
      } else if (is_digit(c)) {
        auto r = parse_string();
        if (!r) return tl::unexpected(r.error());
        if (!stack.empty() && lim_.strict) {
          frame& f = stack.back();
          if (tokens_[f.token].kind == type::dict && (f.count % 2) == 0) {
            if (f.last_key != npos) {
              const auto prev = string_of(f.last_key);
              const auto cur = string_of(index);
              if (cur == prev) return make_error(errc::duplicate_key, std::string(cur), tokens_[index].offset);
              if (cur < prev) return make_error(errc::unsorted_keys, std::string(cur), tokens_[index].offset);
            }
            f.last_key = index;
          }
        }
      } else {
        return make_error(errc::invalid_character, {}, pos_);
      }
      if (!stack.empty()) ++stack.back().count;
    } while (!stack.empty());
    return pos_;
  }

 private:
  std::string_view string_of(std::uint32_t i) const {
    const auto& t = tokens_[i];
    return in_.substr(t.count, static_cast<std::size_t>(t.integer));
  }

  result<void> parse_int() {
    const std::size_t start = pos_;
    ++pos_;  // 'i'
    bool negative = false;
    if (pos_ < in_.size() && in_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    const std::size_t digits = pos_;
    std::uint64_t mag = 0;
    const std::uint64_t max_mag =
        negative ? std::uint64_t{1} << 63 : static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    while (pos_ < in_.size() && is_digit(in_[pos_])) {
      const auto d = static_cast<std::uint64_t>(in_[pos_] - '0');
      if (mag > (max_mag - d) / 10) return make_error(errc::integer_overflow, {}, start);
      mag = mag * 10 + d;
      ++pos_;
    }
    if (pos_ >= in_.size()) return make_error(errc::unexpected_end, "integer", pos_);
    if (in_[pos_] != 'e' || pos_ == digits) return make_error(errc::invalid_integer, {}, pos_);
    if (in_[digits] == '0' && pos_ - digits > 1) return make_error(errc::leading_zero, {}, digits);
    if (negative && mag == 0) return make_error(errc::negative_zero, {}, start);
    ++pos_;  // 'e'
    std::int64_t v = negative ? static_cast<std::int64_t>(~mag + 1) : static_cast<std::int64_t>(mag);
    tokens_.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(pos_),
                       static_cast<std::uint32_t>(tokens_.size() + 1), 0, v, type::integer});
    return {};
  }

  result<void> parse_string() {
    const std::size_t start = pos_;
    std::uint64_t len = 0;
    while (pos_ < in_.size() && is_digit(in_[pos_])) {
      len = len * 10 + static_cast<std::uint64_t>(in_[pos_] - '0');
      if (len > in_.size()) return make_error(errc::string_too_long, {}, start);
      ++pos_;
    }
    if (pos_ >= in_.size()) return make_error(errc::unexpected_end, "string length", pos_);
    if (in_[pos_] != ':') return make_error(errc::invalid_string_length, {}, pos_);
    if (in_[start] == '0' && pos_ - start > 1) return make_error(errc::leading_zero, {}, start);
    ++pos_;  // ':'
    if (len > in_.size() - pos_) return make_error(errc::string_too_long, std::to_string(len) + " bytes", start);
    const std::size_t payload = pos_;
    pos_ += static_cast<std::size_t>(len);
    tokens_.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(pos_),
                       static_cast<std::uint32_t>(tokens_.size() + 1), static_cast<std::uint32_t>(payload),
                       static_cast<std::int64_t>(len), type::string});
    return {};
  }

  std::string_view in_;
  const limits& lim_;
  std::vector<detail::token>& tokens_;
  std::size_t pos_ = 0;
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

result<std::pair<document, std::size_t>> decode_prefix(std::string_view input, const limits& lim) {
  document doc;
  doc.input_ = input;
  decoder d(input, lim, doc.tokens_);
  auto used = d.run();
  if (!used) return tl::unexpected(used.error());
  doc.input_ = input.substr(0, *used);
  doc.tokens_.shrink_to_fit();
  return std::pair<document, std::size_t>(std::move(doc), *used);
}

result<document> decode(std::string_view input, const limits& lim) {
  auto r = decode_prefix(input, lim);
  if (!r) return tl::unexpected(r.error());
  if (r->second != input.size())
    return make_error(errc::trailing_data, std::to_string(input.size() - r->second) + " bytes", r->second);
  return std::move(r->first);
}

// ---- node ----

const detail::token& node::tok() const noexcept {
  assert(doc_ != nullptr);
  return doc_->tokens_[index_];
}

std::int64_t node::integer() const noexcept {
  assert(is_int());
  return tok().integer;
}

std::string_view node::string() const noexcept {
  assert(is_string());
  const auto& t = tok();
  return doc_->input_.substr(t.count, static_cast<std::size_t>(t.integer));
}

std::size_t node::size() const noexcept {
  assert(is_list() || is_dict());
  return tok().count;
}

std::string_view node::raw() const noexcept {
  const auto& t = tok();
  return doc_->input_.substr(t.offset, t.end - t.offset);
}

node node::at(std::size_t i) const noexcept {
  assert(is_list() && i < size());
  std::uint32_t idx = index_ + 1;
  for (std::size_t k = 0; k < i; ++k) idx = doc_->tokens_[idx].next;
  return node(doc_, idx);
}

std::optional<node> node::find(std::string_view key) const noexcept {
  if (!is_dict()) return std::nullopt;
  for (auto [k, v] : entries())
    if (k == key) return v;
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
  return {{doc_, index_ + 1}, {doc_, tok().next}};
}

node::dict_range node::entries() const noexcept {
  assert(is_dict());
  return {{doc_, index_ + 1}, {doc_, tok().next}};
}

node::list_iterator& node::list_iterator::operator++() noexcept {
  index = doc->tokens_[index].next;
  return *this;
}

std::pair<std::string_view, node> node::dict_iterator::operator*() const noexcept {
  const node key(doc, index);
  return {key.string(), node(doc, doc->tokens_[index].next)};
}

node::dict_iterator& node::dict_iterator::operator++() noexcept {
  index = doc->tokens_[doc->tokens_[index].next].next;
  return *this;
}

}  // namespace ccbt::bencode
