#include <ccbt/error.hpp>

namespace ccbt {

std::string error::message() const {
  std::string out = code.category().name();
  out += ": ";
  out += code.message();
  if (offset) {
    out += " at byte ";
    out += std::to_string(*offset);
  }
  if (!context.empty()) {
    out += " (";
    out += context;
    out += ')';
  }
  return out;
}

}  // namespace ccbt
