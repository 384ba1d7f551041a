// A torrent's streaming setting in JSON and in daemon.db. See stream_setting.hpp.
#include "rpc/stream_setting.hpp"

#include <charconv>

namespace ccbt::rpc {

api_result<std::optional<stream_setting>> parse_stream_value(const nlohmann::json& v, std::string_view field) {
  const std::string f(field);
  if (v.is_null()) return std::optional<stream_setting>{};
  if (!v.is_object())
    return tl::unexpected(bad_request("\"" + f + "\" must be {\"file\": INDEX, \"offset\": BYTES} or null"));
  stream_setting s;
  bool have_file = false;
  for (const auto& [k, val] : v.items()) {
    if (k == "file") {
      if (!val.is_number_unsigned() || val.get<std::uint64_t>() > 0xffffffffu)
        return tl::unexpected(bad_request("\"" + f + ".file\" must be a file index (a non-negative integer)"));
      s.file = static_cast<std::uint32_t>(val.get<std::uint64_t>());
      have_file = true;
    } else if (k == "offset") {
      if (!val.is_number_unsigned() || val.get<std::uint64_t>() > max_stream_offset)
        return tl::unexpected(bad_request("\"" + f + ".offset\" must be a byte offset (an integer in 0..2^53)"));
      s.offset = val.get<std::uint64_t>();
    } else {
      return tl::unexpected(bad_request("unknown field \"" + f + "." + k + "\" (known: file, offset)"));
    }
  }
  if (!have_file) return tl::unexpected(bad_request("\"" + f + ".file\" is required"));
  return std::optional<stream_setting>(s);
}

nlohmann::json stream_json(const std::optional<stream_setting>& s) {
  if (!s) return nullptr;
  return nlohmann::json{{"file", s->file}, {"offset", s->offset}};
}

std::string stream_to_text(const std::optional<stream_setting>& s) {
  if (!s) return {};
  return std::to_string(s->file) + ":" + std::to_string(s->offset);
}

std::optional<stream_setting> stream_from_text(std::string_view text) {
  const auto colon = text.find(':');
  if (text.empty() || colon == std::string_view::npos) return std::nullopt;
  stream_setting s;
  auto whole = [](std::string_view t, auto& out) {
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return !t.empty() && ec == std::errc{} && ptr == t.data() + t.size();
  };
  if (!whole(text.substr(0, colon), s.file) || !whole(text.substr(colon + 1), s.offset)) return std::nullopt;
  if (s.offset > max_stream_offset) return std::nullopt;
  return s;
}

api_result<void> check_stream(const metainfo::torrent_info& info, const stream_setting& s) {
  const auto n = info.num_files();
  if (s.file >= n || info.files()[s.file].pad())
    return tl::unexpected(api_error{422, "invalid_stream", "\"stream.file\": the torrent has no file " + std::to_string(s.file) +
                                                               " (files 0.." + std::to_string(n - 1) + ")"});
  const auto size = info.files()[s.file].size;
  if (s.offset >= size && !(s.offset == 0 && size == 0))
    return tl::unexpected(api_error{422, "invalid_stream", "\"stream.offset\": " + std::to_string(s.offset) +
                                                               " is past the end of file " + std::to_string(s.file) +
                                                               " (" + std::to_string(size) + " bytes)"});
  return {};
}

std::string pieces_hex(const std::vector<bool>& have) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve((have.size() + 3) / 4);
  for (std::size_t i = 0; i < have.size(); i += 4) {
    unsigned d = 0;
    for (std::size_t k = 0; k < 4; ++k)
      if (i + k < have.size() && have[i + k]) d |= 8u >> k;
    out.push_back(digits[d]);
  }
  return out;
}

}  // namespace ccbt::rpc
