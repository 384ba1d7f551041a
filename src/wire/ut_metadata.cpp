#include "wire/ut_metadata.hpp"

#include <ccbt/bencode.hpp>

#include "wire/errors.hpp"

namespace ccbt::wire {
namespace {

tl::unexpected<error> fail(errc e, std::string context, std::size_t offset) {
  return tl::unexpected(error{make_error_code(e), offset, "ut_metadata: " + std::move(context)});
}

std::string header(std::int64_t type, std::uint32_t piece, std::optional<std::uint64_t> total) {
  // Canonical key order: msg_type, piece, total_size.
  std::string out = "d8:msg_typei" + std::to_string(type) + "e5:piecei" + std::to_string(piece) + "e";
  if (total) out += "10:total_sizei" + std::to_string(*total) + "e";
  out += "e";
  return out;
}

}  // namespace

result<ut_metadata_message> decode_ut_metadata(std::string_view payload, std::optional<std::uint64_t> known_size,
                                               const ut_metadata_limits& limits) {
  bencode::limits lim;
  lim.max_depth = 4;
  lim.max_tokens = limits.max_tokens;
  auto doc = bencode::decode_prefix(payload, lim);
  if (!doc) {
    error e = std::move(doc.error());
    e.context = e.context.empty() ? "ut_metadata" : "ut_metadata: " + e.context;
    return tl::unexpected(std::move(e));
  }
  const bencode::node root = doc->first.root();
  const std::size_t used = doc->second;
  if (!root.is_dict()) return fail(errc::ut_metadata_bad_message, "not a dictionary", 0);

  const auto type = root.find("msg_type");
  if (!type || !type->is_int()) return fail(errc::ut_metadata_bad_message, "msg_type missing or not an integer", type ? type->offset() : 0);
  ut_metadata_message m;
  m.raw_type = type->integer();
  if (m.raw_type < 0 || m.raw_type > 2) {
    m.type = metadata_msg::unknown;  // BEP 9: unknown types are ignored
    return m;
  }
  m.type = static_cast<metadata_msg>(m.raw_type);

  const auto piece = root.find("piece");
  if (!piece || !piece->is_int()) return fail(errc::ut_metadata_bad_message, "piece missing or not an integer", piece ? piece->offset() : 0);
  const std::uint64_t bound = known_size.value_or(limits.max_metadata_size);
  const std::uint32_t pieces = metadata_piece_count(bound);
  if (piece->integer() < 0 || static_cast<std::uint64_t>(piece->integer()) >= pieces)
    return fail(errc::ut_metadata_bad_piece,
                "piece " + std::to_string(piece->integer()) + ", metadata has " + std::to_string(pieces) + " pieces",
                piece->offset());
  m.piece = static_cast<std::uint32_t>(piece->integer());

  if (m.type != metadata_msg::data) {
    if (used != payload.size())
      return fail(errc::ut_metadata_trailing_data,
                  std::to_string(payload.size() - used) + " bytes after the dictionary", used);
    return m;
  }

  const auto total = root.find("total_size");
  if (!total || !total->is_int()) return fail(errc::ut_metadata_bad_message, "data: total_size missing or not an integer", total ? total->offset() : 0);
  const std::int64_t ts = total->integer();
  if (ts <= 0 || static_cast<std::uint64_t>(ts) > limits.max_metadata_size)
    return fail(errc::ut_metadata_bad_size,
                "total_size " + std::to_string(ts) + ", limit " + std::to_string(limits.max_metadata_size),
                total->offset());
  if (known_size && static_cast<std::uint64_t>(ts) != *known_size)
    return fail(errc::ut_metadata_bad_size,
                "total_size " + std::to_string(ts) + " differs from metadata_size " + std::to_string(*known_size),
                total->offset());
  m.total_size = static_cast<std::uint64_t>(ts);
  if (m.piece >= metadata_piece_count(m.total_size))
    return fail(errc::ut_metadata_bad_piece,
                "piece " + std::to_string(m.piece) + ", total_size " + std::to_string(ts) + " has " +
                    std::to_string(metadata_piece_count(m.total_size)) + " pieces",
                piece->offset());
  const std::uint32_t expect = metadata_piece_length(m.total_size, m.piece);
  if (payload.size() - used != expect)
    return fail(errc::ut_metadata_bad_size,
                "data for piece " + std::to_string(m.piece) + ": " + std::to_string(payload.size() - used) +
                    " bytes, expected " + std::to_string(expect),
                used);
  m.payload = payload.substr(used);
  return m;
}

std::string encode_ut_metadata_request(std::uint32_t piece) { return header(0, piece, std::nullopt); }
std::string encode_ut_metadata_reject(std::uint32_t piece) { return header(2, piece, std::nullopt); }
std::string encode_ut_metadata_data(std::uint32_t piece, std::uint64_t total_size, std::string_view piece_bytes) {
  std::string out = header(1, piece, total_size);
  out.append(piece_bytes);
  return out;
}

}  // namespace ccbt::wire
