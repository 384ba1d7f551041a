// `info`: describe a .torrent file or a magnet link, as text or JSON (docs/cli.md, "ccbt info").
//
// Shared by `ccbt info` (and later `btbt info`): nothing here depends on the program it runs in
// except the name used in error messages. Bad input never throws out of run_info(): it prints one
// line "<program>: <input>: <message>" on `err` and returns 1.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <ccbt/magnet.hpp>
#include <ccbt/metainfo.hpp>

namespace ccbt::apps {

// The JSON documents of docs/cli.md.
[[nodiscard]] nlohmann::json torrent_json(const metainfo::torrent_info& ti);
[[nodiscard]] nlohmann::json magnet_json(const magnet::magnet_link& link);

// Human-readable descriptions (several lines, each ending in '\n').
[[nodiscard]] std::string torrent_text(const metainfo::torrent_info& ti);
[[nodiscard]] std::string magnet_text(const magnet::magnet_link& link);

// Loads `input` (a magnet link, or else the path of a .torrent file) and prints it to `out`.
// Returns the process exit code: 0, or 1 after printing one error line to `err`.
int run_info(std::string_view program, const std::string& input, bool json, std::FILE* out, std::FILE* err);

}  // namespace ccbt::apps
