// A torrent's streaming setting as the API and daemon.db carry it: which file and which byte offset
// in it to fetch first (torrent_handle::set_stream), or none.
//
// Pure (no I/O): the JSON value {"file": 0, "offset": 1048576} | null, the daemon.db text
// "FILE:OFFSET" | "", the check against a torrent's file list, and the compact piece map the
// torrent status shows. The JSON parser rejects wrong types naming the field (400); check() rejects
// a file or offset the torrent does not have (422 invalid_stream).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <ccbt/metainfo.hpp>

#include "rpc/api_error.hpp"

namespace ccbt::rpc {

struct stream_setting {
  std::uint32_t file = 0;    // index into torrent_info::files() (as GET .../files shows it)
  std::uint64_t offset = 0;  // byte offset in that file
  friend bool operator==(const stream_setting&, const stream_setting&) = default;
};

// Largest offset the API takes (JSON numbers stay exact up to 2^53).
inline constexpr std::uint64_t max_stream_offset = std::uint64_t{1} << 53;

// `field` names the value in errors ("stream"). null -> nullopt.
[[nodiscard]] api_result<std::optional<stream_setting>> parse_stream_value(const nlohmann::json& v, std::string_view field);
[[nodiscard]] nlohmann::json stream_json(const std::optional<stream_setting>& s);

// daemon.db: "FILE:OFFSET", "" = none; text that does not parse reads as none.
[[nodiscard]] std::string stream_to_text(const std::optional<stream_setting>& s);
[[nodiscard]] std::optional<stream_setting> stream_from_text(std::string_view text);

// 422 invalid_stream when the torrent has no such file (or it is a pad file) or the offset is past
// its end (an offset equal to the size is accepted only for an empty file).
[[nodiscard]] api_result<void> check_stream(const metainfo::torrent_info& info, const stream_setting& s);

// The verified pieces as hex, 4 pieces per digit, piece 0 in the high bit of the first digit (the
// BitTorrent bitfield order); the last digit's unused low bits are 0.
[[nodiscard]] std::string pieces_hex(const std::vector<bool>& have);

}  // namespace ccbt::rpc
