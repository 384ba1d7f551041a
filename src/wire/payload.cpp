#include "wire/payload.hpp"

#include <utility>

namespace ccbt::wire::detail {

tl::unexpected<error> fail(errc e, std::string context, std::size_t offset) {
  return tl::unexpected(error{make_error_code(e), offset, std::move(context)});
}

result<bencode::document> decode_payload(std::string_view payload, const bencode::limits& lim, std::string_view what) {
  auto doc = bencode::decode(payload, lim);
  if (!doc) {
    error e = std::move(doc.error());
    e.context = e.context.empty() ? std::string(what) : std::string(what) + ": " + e.context;
    return tl::unexpected(std::move(e));
  }
  return doc;
}

}  // namespace ccbt::wire::detail
