#include <ccbt/error.hpp>

namespace ccbt {
namespace {

// Contexts can carry bytes from the input (a key or a path from a torrent): control characters are
// escaped so a message is always one printable line.
void append_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string error::message() const {
  std::string out = code.category().name();
  out += ": ";
  append_escaped(out, code.message());
  if (offset) {
    out += " at byte ";
    out += std::to_string(*offset);
  }
  if (!context.empty()) {
    out += " (";
    append_escaped(out, context);
    out += ')';
  }
  return out;
}

}  // namespace ccbt
