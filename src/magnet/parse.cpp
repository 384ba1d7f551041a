// Magnet link parser: one pass over the '&'-separated parameters, each decoded and validated as it
// comes, so the first error reported is the first one in the link.
#include <ccbt/magnet.hpp>

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "magnet/text.hpp"

namespace ccbt::magnet {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "magnet"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_magnet: return "not a magnet link (expected \"magnet:?\")";
      case errc::too_long: return "magnet link too long";
      case errc::bad_escape: return "bad percent-escape ('%' must be followed by two hex digits)";
      case errc::missing_xt: return "no info-hash (xt parameter) in the magnet link";
      case errc::unsupported_xt: return "unsupported xt scheme (expected urn:btih or urn:btmh)";
      case errc::bad_btih_length: return "btih info-hash must be 40 hex digits or 32 base32 characters";
      case errc::bad_hex: return "invalid hex digit in info-hash";
      case errc::bad_base32: return "invalid base32 character in info-hash";
      case errc::bad_multihash: return "btmh must be a SHA-256 multihash (1220 followed by 64 hex digits)";
      case errc::conflicting_btih: return "two different v1 (btih) info-hashes";
      case errc::conflicting_btmh: return "two different v2 (btmh) info-hashes";
      case errc::bad_peer_address: return "invalid peer address in x.pe";
      case errc::bad_peer_port: return "invalid or missing peer port in x.pe (1-65535)";
      case errc::bad_select_only: return "malformed select-only list (expected indices and ranges like 0,2,4-6)";
      case errc::reversed_range: return "select-only range ends before it starts";
      case errc::select_only_too_large: return "select-only list too large (index or entry count over the limit)";
    }
    return "unknown magnet error";
  }
};

enum class kind { xt, dn, tr, ws, pe, so, other };

// One "name=value" parameter as written in the link.
struct param {
  std::string_view raw;      // the whole parameter
  std::string_view name;     // as written, e.g. "xt.1"
  std::string_view value;    // still percent-encoded
  std::size_t value_offset;  // byte offset of value in the link
};

bool all_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Case-insensitive, with an optional numeric suffix stripped ("tr.1" is "tr", as libtorrent does).
kind classify(std::string_view name) noexcept {
  const auto dot = name.rfind('.');
  if (dot != std::string_view::npos && dot + 1 < name.size() && all_digits(name.substr(dot + 1)))
    name = name.substr(0, dot);
  using detail::iequals;
  if (iequals(name, "xt")) return kind::xt;
  if (iequals(name, "dn")) return kind::dn;
  if (iequals(name, "tr")) return kind::tr;
  if (iequals(name, "ws")) return kind::ws;
  if (iequals(name, "x.pe")) return kind::pe;
  if (iequals(name, "so")) return kind::so;
  return kind::other;
}

// Parses a select-only index: digits only; values above max_file_index are reported apart.
enum class index_status { ok, malformed, too_large };
index_status parse_index(std::string_view s, std::uint32_t& out) noexcept {
  if (s.empty() || !all_digits(s)) return index_status::malformed;
  std::uint64_t v = 0;
  for (const char c : s) {
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > max_file_index) return index_status::too_large;
  }
  out = static_cast<std::uint32_t>(v);
  return index_status::ok;
}

class parser {
 public:
  explicit parser(std::string_view uri) : uri_(uri) {}

  result<magnet_link> run() {
    if (uri_.size() > max_uri_size)
      return make_error(errc::too_long, std::to_string(uri_.size()) + " bytes", max_uri_size);
    if (!is_magnet_uri(uri_)) return make_error(errc::not_magnet, {}, 0);
    if (uri_.size() < 8 || uri_[7] != '?') return make_error(errc::not_magnet, {}, 7);

    std::size_t pos = 8;
    while (pos <= uri_.size()) {
      auto end = uri_.find('&', pos);
      if (end == std::string_view::npos) end = uri_.size();
      if (end > pos) {
        const std::string_view raw = uri_.substr(pos, end - pos);
        const auto eq = raw.find('=');
        param p{raw, raw.substr(0, eq), {}, end};
        if (eq != std::string_view::npos) {
          p.value = raw.substr(eq + 1);
          p.value_offset = pos + eq + 1;
        }
        if (auto r = handle(p); !r) return tl::unexpected(std::move(r.error()));
      }
      pos = end + 1;
    }

    if (!link_.hashes.v1 && !link_.hashes.v2) {
      if (unsupported_) return tl::unexpected(std::move(*unsupported_));
      return make_error(errc::missing_xt);
    }
    link_.select_only = normalize(std::move(link_.select_only));
    return std::move(link_);
  }

 private:
  using status = result<void>;

  // An error about parameter p at index `at` of its decoded value. Decoded and raw positions agree
  // only when decoding changed nothing; otherwise the value's first byte is the best we can say.
  tl::unexpected<error> fail(errc e, const param& p, const std::string& decoded, std::size_t at) const {
    const std::size_t offset = decoded == p.value ? p.value_offset + at : p.value_offset;
    return make_error(e, std::string(p.name), offset);
  }

  result<std::string> decode(const param& p) const {
    std::size_t bad_at = 0;
    auto v = detail::percent_decode(p.value, bad_at);
    if (!v) return make_error(errc::bad_escape, std::string(p.name), p.value_offset + bad_at);
    return std::move(*v);
  }

  status handle(const param& p) {
    const kind k = classify(p.name);
    if (k == kind::other) {
      link_.extra.emplace_back(p.raw);
      return {};
    }
    auto v = decode(p);
    if (!v) return tl::unexpected(std::move(v.error()));
    switch (k) {
      case kind::xt: return on_xt(p, *v);
      case kind::dn: link_.name = std::move(*v); return {};
      case kind::tr: add_unique(link_.trackers, trackers_seen_, std::move(*v)); return {};
      case kind::ws: add_unique(link_.web_seeds, web_seeds_seen_, std::move(*v)); return {};
      case kind::pe: return on_peer(p, *v);
      case kind::so: return on_select_only(p, *v);
      case kind::other: break;
    }
    return {};
  }

  static void add_unique(std::vector<std::string>& list, std::unordered_set<std::string>& seen, std::string v) {
    if (v.empty() || !seen.insert(v).second) return;
    list.push_back(std::move(v));
  }

  status on_xt(const param& p, const std::string& v) {
    constexpr std::size_t prefix = 9;  // "urn:btih:" / "urn:btmh:"
    const std::string_view sv = v;
    if (sv.size() >= prefix && detail::iequals(sv.substr(0, prefix), "urn:btih:")) {
      const std::string_view h = sv.substr(prefix);
      std::optional<sha1_hash> hash;
      if (h.size() == 40) {
        if (const auto bad = detail::first_non_hex(h); bad != h.size())
          return fail(errc::bad_hex, p, v, prefix + bad);
        hash = sha1_hash::from_hex(h);
      } else if (h.size() == 32) {
        std::size_t bad = 0;
        hash = detail::base32_decode_160(h, bad);
        if (!hash) return fail(errc::bad_base32, p, v, prefix + bad);
      } else {
        return fail(errc::bad_btih_length, p, v, prefix);
      }
      if (link_.hashes.v1 && *link_.hashes.v1 != *hash) return fail(errc::conflicting_btih, p, v, 0);
      link_.hashes.v1 = hash;
      return {};
    }
    if (sv.size() >= prefix && detail::iequals(sv.substr(0, prefix), "urn:btmh:")) {
      // multihash: <varint code 0x12 = sha2-256><varint length 0x20 = 32 bytes><digest>
      const std::string_view mh = sv.substr(prefix);
      if (mh.size() != 4 + 64 || mh.substr(0, 4) != "1220") return fail(errc::bad_multihash, p, v, prefix);
      const std::string_view h = mh.substr(4);
      if (const auto bad = detail::first_non_hex(h); bad != h.size())
        return fail(errc::bad_hex, p, v, prefix + 4 + bad);
      const auto hash = sha256_hash::from_hex(h);
      if (link_.hashes.v2 && *link_.hashes.v2 != *hash) return fail(errc::conflicting_btmh, p, v, 0);
      link_.hashes.v2 = hash;
      return {};
    }
    // Other URNs (urn:sha1:, urn:ed2k:, ...) appear beside btih in multi-network links: skip them,
    // and report the first one only if no usable hash turns up.
    if (!unsupported_) unsupported_ = fail(errc::unsupported_xt, p, v, 0).value();
    return {};
  }

  status on_peer(const param& p, const std::string& v) {
    std::string_view host;
    std::size_t port_at = 0;
    if (!v.empty() && v.front() == '[') {
      const auto close = v.find(']');
      if (close == std::string::npos) return fail(errc::bad_peer_address, p, v, 0);
      host = std::string_view(v).substr(1, close - 1);
      if (!detail::is_ipv6(host)) return fail(errc::bad_peer_address, p, v, 1);
      if (close + 1 >= v.size() || v[close + 1] != ':') return fail(errc::bad_peer_port, p, v, close + 1);
      port_at = close + 2;
    } else {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) return fail(errc::bad_peer_port, p, v, v.size());
      host = std::string_view(v).substr(0, colon);
      // An unbracketed IPv6 address is ambiguous ("::1:80"): BEP 9 peers use [addr]:port.
      if (host.find(':') != std::string_view::npos || !(detail::is_ipv4(host) || detail::is_hostname(host)))
        return fail(errc::bad_peer_address, p, v, 0);
      port_at = colon + 1;
    }
    const auto port = detail::parse_port(std::string_view(v).substr(port_at));
    if (!port) return fail(errc::bad_peer_port, p, v, port_at);
    peer_endpoint e{std::string(host), *port};
    std::string key = e.host;
    key += ' ';
    key += std::to_string(e.port);
    if (peers_seen_.insert(std::move(key)).second) link_.peers.push_back(std::move(e));
    return {};
  }

  status on_select_only(const param& p, const std::string& v) {
    std::size_t i = 0;
    while (i <= v.size()) {
      auto j = v.find(',', i);
      if (j == std::string::npos) j = v.size();
      const std::string_view token = std::string_view(v).substr(i, j - i);
      if (!token.empty()) {  // "0,,2" and a trailing comma are tolerated, as in libtorrent
        if (++select_entries_ > max_select_entries) return fail(errc::select_only_too_large, p, v, i);
        const auto dash = token.find('-');
        const std::string_view a = token.substr(0, dash);
        const std::string_view b = dash == std::string_view::npos ? a : token.substr(dash + 1);
        file_range r;
        const auto sa = parse_index(a, r.first);
        const auto sb = parse_index(b, r.last);
        if (sa == index_status::malformed || sb == index_status::malformed)
          return fail(errc::bad_select_only, p, v, i);
        if (sa == index_status::too_large || sb == index_status::too_large)
          return fail(errc::select_only_too_large, p, v, i);
        if (r.first > r.last) return fail(errc::reversed_range, p, v, i);
        link_.select_only.push_back(r);
      }
      i = j + 1;
    }
    return {};
  }

  std::string_view uri_;
  magnet_link link_;
  std::optional<error> unsupported_;
  std::unordered_set<std::string> trackers_seen_;
  std::unordered_set<std::string> web_seeds_seen_;
  std::unordered_set<std::string> peers_seen_;
  std::size_t select_entries_ = 0;
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

bool is_magnet_uri(std::string_view text) noexcept {
  return text.size() >= 7 && detail::iequals(text.substr(0, 7), "magnet:");
}

result<magnet_link> parse(std::string_view uri) { return parser(uri).run(); }

}  // namespace ccbt::magnet
