#include "wire/extension_handshake.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include <ccbt/bencode.hpp>

#include "wire/errors.hpp"
#include "wire/payload.hpp"

namespace ccbt::wire {
using detail::fail;
namespace {

// A name from the wire, made safe for a log line.
std::string printable(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (const char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  if (s.size() > 64) out += "...";
  return out;
}

// Cuts s to at most n bytes without splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace

std::optional<ip_bytes> ip_bytes::from(std::string_view raw) noexcept {
  if (raw.size() != 4 && raw.size() != 16) return std::nullopt;
  ip_bytes ip;
  ip.size = static_cast<std::uint8_t>(raw.size());
  std::memcpy(ip.bytes.data(), raw.data(), raw.size());
  return ip;
}

std::optional<std::uint8_t> extension_handshake::id_of(std::string_view name) const {
  const auto it = m.find(name);
  if (it == m.end() || it->second == 0) return std::nullopt;
  return it->second;
}

result<extension_handshake> decode_extension_handshake(std::string_view payload,
                                                       const extension_handshake_limits& limits) {
  bencode::limits lim;
  lim.max_depth = limits.max_depth;
  lim.max_tokens = limits.max_tokens;
  auto doc = detail::decode_payload(payload, lim, "extension handshake");
  if (!doc) return tl::unexpected(std::move(doc.error()));
  const bencode::node root = doc->root();
  if (!root.is_dict()) return fail(errc::ext_handshake_not_dict, "extension handshake", 0);

  extension_handshake h;
  if (const auto m = root.find("m")) {
    if (!m->is_dict()) return fail(errc::ext_handshake_bad_m, "m is not a dictionary", m->offset());
    if (m->size() > limits.max_extensions)
      return fail(errc::ext_handshake_too_many_extensions,
                  "m has " + std::to_string(m->size()) + " entries, limit " +
                      std::to_string(limits.max_extensions),
                  m->offset());
    for (const auto& [key, value] : m->entries()) {
      if (key.empty() || key.size() > limits.max_name_length)
        return fail(errc::ext_handshake_bad_name,
                    "m: name of " + std::to_string(key.size()) + " bytes \"" + printable(key) + "\"",
                    value.offset());
      if (!value.is_int() || value.integer() < 0 || value.integer() > 255)
        return fail(errc::ext_handshake_bad_m, "m." + printable(key) + " is not an id in 0..255",
                    value.offset());
      h.m.emplace(std::string(key), static_cast<std::uint8_t>(value.integer()));  // first one wins
    }
  }
  if (const auto p = root.find_int("p"); p && *p >= 1 && *p <= 65535)
    h.listen_port = static_cast<std::uint16_t>(*p);
  if (const auto v = root.find_string("v")) h.client = std::string(cut_utf8(*v, limits.max_client_length));
  if (const auto q = root.find_int("reqq"); q && *q >= 1)
    h.reqq = static_cast<std::uint32_t>(std::min<std::int64_t>(*q, limits.max_reqq));
  if (const auto ip = root.find_string("yourip")) h.yourip = ip_bytes::from(*ip);
  if (const auto ip = root.find_string("ipv4"); ip && ip->size() == 4) h.ipv4 = ip_bytes::from(*ip);
  if (const auto ip = root.find_string("ipv6"); ip && ip->size() == 16) h.ipv6 = ip_bytes::from(*ip);
  if (const auto node = root.find("metadata_size"); node && node->is_int()) {
    const std::int64_t size = node->integer();
    if (size > 0 && static_cast<std::uint64_t>(size) > limits.max_metadata_size)
      return fail(errc::ext_handshake_bad_metadata_size,
                  "metadata_size " + std::to_string(size) + ", limit " +
                      std::to_string(limits.max_metadata_size),
                  node->offset());
    if (size > 0) h.metadata_size = static_cast<std::uint64_t>(size);  // 0 / negative: ignored
  }
  if (const auto u = root.find_int("upload_only")) h.upload_only = *u != 0;
  if (const auto c = root.find_int("complete_ago"); c && *c >= 0)
    h.complete_ago = static_cast<std::uint32_t>(
        std::min<std::int64_t>(*c, std::numeric_limits<std::uint32_t>::max()));
  return h;
}

std::string encode_extension_handshake(const extension_handshake& h) {
  bencode::dict m;
  for (const auto& [name, id] : h.m) m.emplace(name, bencode::value(std::int64_t{id}));
  bencode::dict d;
  d.emplace("m", bencode::value(std::move(m)));
  auto raw = [](const ip_bytes& ip) {
    return bencode::value(std::string(reinterpret_cast<const char*>(ip.bytes.data()), ip.size));
  };
  if (h.listen_port) d.emplace("p", bencode::value(std::int64_t{*h.listen_port}));
  if (h.client) d.emplace("v", bencode::value(*h.client));
  if (h.reqq) d.emplace("reqq", bencode::value(std::int64_t{*h.reqq}));
  if (h.yourip) d.emplace("yourip", raw(*h.yourip));
  if (h.ipv4) d.emplace("ipv4", raw(*h.ipv4));
  if (h.ipv6) d.emplace("ipv6", raw(*h.ipv6));
  if (h.metadata_size) d.emplace("metadata_size", bencode::value(static_cast<std::int64_t>(*h.metadata_size)));
  if (h.upload_only) d.emplace("upload_only", bencode::value(std::int64_t{*h.upload_only ? 1 : 0}));
  if (h.complete_ago) d.emplace("complete_ago", bencode::value(std::int64_t{*h.complete_ago}));
  return bencode::encode(bencode::value(std::move(d)));
}

}  // namespace ccbt::wire
