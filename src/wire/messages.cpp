#include "wire/messages.hpp"

#include <array>

namespace ccbt::wire {

std::string_view name(const message& m) noexcept {
  // In the order of the alternatives of `message`.
  static constexpr std::array<std::string_view, std::variant_size_v<message>> names = {
      "keep_alive", "choke",      "unchoke",   "interested",   "not_interested", "have",
      "bitfield",   "request",    "piece",     "cancel",       "port",           "suggest",
      "have_all",   "have_none",  "reject",    "allowed_fast", "extended",       "hash_request",
      "hashes",     "hash_reject", "unknown"};
  return names[m.index()];
}

std::string_view name(msg_id id) noexcept {
  switch (id) {
    case msg_id::choke: return "choke";
    case msg_id::unchoke: return "unchoke";
    case msg_id::interested: return "interested";
    case msg_id::not_interested: return "not_interested";
    case msg_id::have: return "have";
    case msg_id::bitfield: return "bitfield";
    case msg_id::request: return "request";
    case msg_id::piece: return "piece";
    case msg_id::cancel: return "cancel";
    case msg_id::port: return "port";
    case msg_id::suggest: return "suggest";
    case msg_id::have_all: return "have_all";
    case msg_id::have_none: return "have_none";
    case msg_id::reject: return "reject";
    case msg_id::allowed_fast: return "allowed_fast";
    case msg_id::extended: return "extended";
    case msg_id::hash_request: return "hash_request";
    case msg_id::hashes: return "hashes";
    case msg_id::hash_reject: return "hash_reject";
  }
  return "unknown";
}

}  // namespace ccbt::wire
