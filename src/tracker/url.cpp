#include "tracker/url.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>

namespace ccbt::tracker {
namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_unreserved(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::uint16_t default_port(url_scheme s) noexcept {
  switch (s) {
    case url_scheme::http: return 80;
    case url_scheme::https: return 443;
    case url_scheme::udp: break;
  }
  return 0;
}

std::string_view scheme_name(url_scheme s) noexcept {
  switch (s) {
    case url_scheme::http: return "http";
    case url_scheme::https: return "https";
    case url_scheme::udp: break;
  }
  return "udp";
}

std::string_view strip_fragment(std::string_view url) noexcept {
  const auto hash = url.find('#');
  return hash == std::string_view::npos ? url : url.substr(0, hash);
}

void append_param(std::string& out, std::string_view name, std::string_view value) {
  out += '&';
  out += name;
  out += '=';
  out += value;
}

}  // namespace

std::string tracker_url::authority() const {
  std::string out = ipv6_literal ? "[" + host + "]" : host;
  if (port != default_port(scheme)) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string tracker_url::to_string() const {
  std::string out(scheme_name(scheme));
  out += "://";
  out += authority();
  out += target;
  return out;
}

result<tracker_url> parse_tracker_url(std::string_view url) {
  if (url.size() > max_url_size) return make_error(errc::invalid_url, "longer than 4096 bytes");
  for (std::size_t i = 0; i < url.size(); ++i) {
    const auto b = static_cast<unsigned char>(url[i]);
    if (b <= 0x20 || b >= 0x7f) return make_error(errc::invalid_url, "control, space or non-ASCII byte", i);
  }
  url = strip_fragment(url);
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return make_error(errc::invalid_url, "scheme");
  std::string scheme;
  for (char c : url.substr(0, sep)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
      return make_error(errc::invalid_url, "scheme");
    scheme += lower(c);
  }
  tracker_url out;
  if (scheme == "http") {
    out.scheme = url_scheme::http;
  } else if (scheme == "https") {
    out.scheme = url_scheme::https;
  } else if (scheme == "udp") {
    out.scheme = url_scheme::udp;
  } else {
    return make_error(errc::unsupported_scheme, scheme);
  }

  const std::size_t auth_begin = sep + 3;
  std::size_t auth_end = url.find_first_of("/?", auth_begin);
  if (auth_end == std::string_view::npos) auth_end = url.size();
  const std::string_view auth = url.substr(auth_begin, auth_end - auth_begin);
  if (auth.find('@') != std::string_view::npos) return make_error(errc::invalid_url, "user info", auth_begin);

  std::string_view host, port;
  bool has_port = false;
  if (!auth.empty() && auth.front() == '[') {
    const auto close = auth.find(']');
    if (close == std::string_view::npos) return make_error(errc::invalid_url, "host", auth_begin);
    host = auth.substr(1, close - 1);
    const std::string h(host);
    std::array<unsigned char, 16> buf{};
    if (::inet_pton(AF_INET6, h.c_str(), buf.data()) != 1) return make_error(errc::invalid_url, "host", auth_begin);
    out.ipv6_literal = true;
    const auto rest = auth.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return make_error(errc::invalid_url, "port", auth_begin + close + 1);
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = auth.find(':');
    host = auth.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = auth.substr(colon + 1);
      has_port = true;
    }
    for (char c : host)
      if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_')
        return make_error(errc::invalid_url, "host", auth_begin);
  }
  if (host.empty()) return make_error(errc::invalid_url, "host", auth_begin);
  out.host = std::string(host);
  if (has_port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      return make_error(errc::invalid_url, "port", auth_begin);
    out.port = static_cast<std::uint16_t>(value);
  } else {
    out.port = default_port(out.scheme);
    if (out.port == 0) return make_error(errc::invalid_url, "port (udp URLs need one)", auth_begin);
  }
  const std::string_view target = url.substr(auth_end);
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

std::string percent_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char c : bytes) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += hex_digits[b >> 4];
      out += hex_digits[b & 0xf];
    }
  }
  return out;
}

result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return make_error(errc::invalid_request, "bad escape", i);
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return make_error(errc::invalid_request, "bad escape", i);
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string announce_url(std::string_view tracker, const announce_request& req) {
  std::string out(strip_fragment(tracker));
  const bool has_query = out.find('?') != std::string::npos;
  std::string params;
  append_param(params, "info_hash", percent_encode(req.info_hash.view()));
  append_param(params, "peer_id", percent_encode(req.pid.view()));
  append_param(params, "port", std::to_string(req.port));
  append_param(params, "uploaded", std::to_string(req.uploaded));
  append_param(params, "downloaded", std::to_string(req.downloaded));
  append_param(params, "left", std::to_string(req.left));
  char key[9];
  for (int i = 0; i < 8; ++i) key[i] = hex_digits[(req.key >> (28 - 4 * i)) & 0xf];
  key[8] = '\0';
  append_param(params, "key", key);
  if (req.ev != event::none) append_param(params, "event", to_string(req.ev));
  if (req.num_want && *req.num_want >= 0) append_param(params, "numwant", std::to_string(*req.num_want));
  append_param(params, "compact", "1");
  if (!req.tracker_id.empty()) append_param(params, "trackerid", percent_encode(req.tracker_id));
  // params starts with '&'; the first separator is '?' unless the URL already has a query.
  if (!has_query) {
    params[0] = '?';
  } else if (!out.empty() && (out.back() == '?' || out.back() == '&')) {
    params.erase(0, 1);
  }
  out += params;
  return out;
}

result<std::string> scrape_url(std::string_view announce) {
  announce = strip_fragment(announce);
  auto parsed = parse_tracker_url(announce);
  if (!parsed) return tl::unexpected(parsed.error());
  if (parsed->scheme == url_scheme::udp) return std::string(announce);
  // BEP 48 literally: the text after the last '/' of the whole URL (so a '/' in the query means
  // "no scrape") must start with "announce".
  const auto slash = announce.rfind('/');
  if (slash == std::string_view::npos || slash < announce.find("://") + 3)
    return make_error(errc::no_scrape_url, std::string(announce));
  if (announce.substr(slash + 1, 8) != "announce") return make_error(errc::no_scrape_url, std::string(announce));
  std::string out(announce.substr(0, slash + 1));
  out += "scrape";
  out += announce.substr(slash + 1 + 8);
  return out;
}

std::string scrape_request_url(std::string_view scrape, std::span<const sha1_hash> hashes) {
  std::string out(strip_fragment(scrape));
  char sep = out.find('?') == std::string::npos ? '?' : '&';
  if (!out.empty() && (out.back() == '?' || out.back() == '&')) sep = '\0';
  for (const auto& h : hashes) {
    if (sep != '\0') out += sep;
    out += "info_hash=";
    out += percent_encode(h.view());
    sep = '&';
  }
  return out;
}

result<std::string> resolve_redirect(std::string_view base, std::string_view location) {
  if (location.empty()) return make_error(errc::invalid_redirect, "empty Location");
  auto b = parse_tracker_url(base);
  if (!b) return tl::unexpected(b.error());
  std::string out;
  if (location.find("://") != std::string_view::npos &&
      location.find("://") < location.find_first_of("/?")) {
    out = std::string(location);
  } else if (location.substr(0, 2) == "//") {
    out = std::string(scheme_name(b->scheme)) + ":" + std::string(location);
  } else if (location.front() == '/') {
    out = std::string(scheme_name(b->scheme)) + "://" + b->authority() + std::string(location);
  } else {
    std::string dir = b->target.substr(0, b->target.find('?'));
    dir.erase(dir.rfind('/') + 1);
    out = std::string(scheme_name(b->scheme)) + "://" + b->authority() + dir + std::string(location);
  }
  auto parsed = parse_tracker_url(out);
  if (!parsed) return make_error(errc::invalid_redirect, std::string(location.substr(0, 200)));
  if (parsed->scheme == url_scheme::udp) return make_error(errc::invalid_redirect, "redirect to udp");
  return std::string(strip_fragment(out));
}

}  // namespace ccbt::tracker
