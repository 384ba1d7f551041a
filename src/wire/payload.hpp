// Shared by the BEP 10 extension codecs (extension handshake, ut_pex): a payload that is one bencoded
// value, decoded within limits, whose errors name the message they come from.
#pragma once

#include <string>
#include <string_view>

#include <ccbt/bencode.hpp>
#include <ccbt/error.hpp>

#include "wire/errors.hpp"

namespace ccbt::wire::detail {

// A protocol error `e` at `offset` (in the payload), described by `context`.
[[nodiscard]] tl::unexpected<error> fail(errc e, std::string context, std::size_t offset);

// bencode::decode(payload, lim); a decoding error's context starts with `what` ("ut_pex: ...").
[[nodiscard]] result<bencode::document> decode_payload(std::string_view payload, const bencode::limits& lim,
                                                       std::string_view what);

}  // namespace ccbt::wire::detail
