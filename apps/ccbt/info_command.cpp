// `info` output: text and JSON for torrents and magnet links.
#include "info_command.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "common/format.hpp"

namespace ccbt::apps {
namespace {

using nlohmann::json;

json hex_or_null(const std::optional<sha1_hash>& h) { return h ? json(h->to_hex()) : json(nullptr); }
json hex_or_null(const std::optional<sha256_hash>& h) { return h ? json(h->to_hex()) : json(nullptr); }
json string_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string format_date(std::int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
  char buf[64];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) return std::to_string(t);
  return buf;
}

struct read_result {
  std::string data;
  std::string error;  // empty on success
};

// Reads at most `limit` + 1 bytes, so a huge (or endless) file is reported as too large by the
// parser instead of being read into memory.
read_result read_file(const std::string& path, std::size_t limit) {
  read_result r;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    r.error = fmt::format("cannot open: {}", std::strerror(errno));
    return r;
  }
  char buf[65536];
  while (r.data.size() <= limit) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    r.data.append(buf, n);
    if (n < sizeof buf) {
      if (std::ferror(f.get())) r.error = fmt::format("cannot read: {}", std::strerror(errno));
      break;
    }
  }
  return r;
}

// Keeps invalid UTF-8 (comments, tracker URLs) from making the JSON encoder throw.
std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

}  // namespace

json torrent_json(const metainfo::torrent_info& ti) {
  json files = json::array();
  for (const auto& f : ti.files()) {
    json e = {{"path", f.path},           {"size", f.size},
              {"offset", f.offset},       {"pad", f.pad()},
              {"executable", f.executable()}, {"hidden", f.hidden()},
              {"symlink", f.symlink()}};
    if (f.symlink()) e["symlink_target"] = f.symlink_target;
    e["pieces_root"] = hex_or_null(f.pieces_root);
    e["mtime"] = f.mtime ? json(*f.mtime) : json(nullptr);
    files.push_back(std::move(e));
  }
  return {{"name", ti.name()},
          {"info_hash_v1", hex_or_null(ti.hashes().v1)},
          {"info_hash_v2", hex_or_null(ti.hashes().v2)},
          {"total_size", ti.total_size()},
          {"payload_size", ti.payload_size()},
          {"piece_length", ti.piece_length()},
          {"num_pieces", ti.num_pieces()},
          {"private", ti.is_private()},
          {"multi_file", ti.is_multi_file()},
          {"files", std::move(files)},
          {"trackers", ti.trackers()},
          {"web_seeds", ti.web_seeds()},
          {"comment", string_or_null(ti.comment())},
          {"created_by", string_or_null(ti.created_by())},
          {"creation_date", ti.creation_date() ? json(*ti.creation_date()) : json(nullptr)},
          {"source", string_or_null(ti.source())}};
}

json magnet_json(const magnet::magnet_link& link) {
  json trackers = json::array();
  for (const auto& t : link.trackers) trackers.push_back(json::array({t}));  // one tier each
  json peers = json::array();
  for (const auto& p : link.peers) {
    const bool v6 = p.host.find(':') != std::string::npos;
    peers.push_back(v6 ? fmt::format("[{}]:{}", p.host, p.port) : fmt::format("{}:{}", p.host, p.port));
  }
  json select = json::array();
  for (const auto& r : link.select_only) select.push_back(json::array({r.first, r.last}));
  return {{"magnet", true},
          {"name", string_or_null(link.name)},
          {"info_hash_v1", hex_or_null(link.hashes.v1)},
          {"info_hash_v2", hex_or_null(link.hashes.v2)},
          {"trackers", std::move(trackers)},
          {"web_seeds", link.web_seeds},
          {"peers", std::move(peers)},
          {"select_only", std::move(select)}};
}

std::string torrent_text(const metainfo::torrent_info& ti) {
  std::string out;
  const auto line = [&](std::string_view key, const std::string& value) {
    out += fmt::format("{:<14}{}\n", fmt::format("{}:", key), value);
  };
  line("name", ti.name());
  line("info-hash v1", ti.hashes().v1 ? ti.hashes().v1->to_hex() : "-");
  line("info-hash v2", ti.hashes().v2 ? ti.hashes().v2->to_hex() : "-");
  line("type", ti.is_hybrid() ? "hybrid (v1 + v2)" : ti.is_v2() ? "v2" : "v1");
  line("total size", fmt::format("{} ({} bytes)", format_size(ti.payload_size()), ti.payload_size()));
  line("pieces", fmt::format("{} x {}", ti.num_pieces(), format_size(ti.piece_length())));
  line("private", ti.is_private() ? "yes" : "no");
  if (ti.creation_date()) line("created", format_date(*ti.creation_date()));
  if (!ti.created_by().empty()) line("created by", ti.created_by());
  if (!ti.comment().empty()) line("comment", ti.comment());
  if (!ti.source().empty()) line("source", ti.source());
  if (ti.trackers().empty()) {
    line("trackers", "-");
  } else {
    out += "trackers:\n";
    for (std::size_t t = 0; t < ti.trackers().size(); ++t)
      for (std::size_t i = 0; i < ti.trackers()[t].size(); ++i)
        out += fmt::format("  {:<8}{}\n", i == 0 ? fmt::format("tier {}", t) : "", ti.trackers()[t][i]);
  }
  if (!ti.web_seeds().empty()) {
    out += "web seeds:\n";
    for (const auto& w : ti.web_seeds()) out += fmt::format("  {}\n", w);
  }
  out += fmt::format("files ({}):\n", ti.num_files());
  for (const auto& f : ti.files()) {
    std::string flags;
    if (f.pad()) flags += " [pad]";
    if (f.executable()) flags += " [x]";
    if (f.hidden()) flags += " [hidden]";
    if (f.symlink()) flags += " -> " + f.symlink_target;
    out += fmt::format("  {:>12}  {:>10}  {}{}\n", f.offset, format_size(f.size), f.path, flags);
  }
  return out;
}

std::string magnet_text(const magnet::magnet_link& link) {
  std::string out;
  const auto line = [&](std::string_view key, const std::string& value) {
    out += fmt::format("{:<14}{}\n", fmt::format("{}:", key), value);
  };
  line("name", link.name.empty() ? "-" : link.name);
  line("info-hash v1", link.hashes.v1 ? link.hashes.v1->to_hex() : "-");
  line("info-hash v2", link.hashes.v2 ? link.hashes.v2->to_hex() : "-");
  line("metadata", "not included (magnet link)");
  if (link.trackers.empty()) {
    line("trackers", "-");
  } else {
    out += "trackers:\n";
    for (const auto& t : link.trackers) out += fmt::format("  {}\n", t);
  }
  if (!link.web_seeds.empty()) {
    out += "web seeds:\n";
    for (const auto& w : link.web_seeds) out += fmt::format("  {}\n", w);
  }
  if (!link.peers.empty()) {
    out += "peers:\n";
    for (const auto& p : link.peers) {
      const bool v6 = p.host.find(':') != std::string::npos;
      out += v6 ? fmt::format("  [{}]:{}\n", p.host, p.port) : fmt::format("  {}:{}\n", p.host, p.port);
    }
  }
  if (!link.select_only.empty()) {
    std::string s;
    for (const auto& r : link.select_only) {
      if (!s.empty()) s += ',';
      s += r.first == r.last ? std::to_string(r.first) : fmt::format("{}-{}", r.first, r.last);
    }
    line("select only", s);
  }
  return out;
}

int run_info(std::string_view program, const std::string& input, bool json_output, std::FILE* out,
             std::FILE* err) {
  const auto fail = [&](const std::string& message) {
    std::fprintf(err, "%.*s: %s: %s\n", static_cast<int>(program.size()), program.data(), input.c_str(),
                 message.c_str());
    return 1;
  };
  std::string text;
  if (magnet::is_magnet_uri(input)) {
    auto link = magnet::parse(input);
    if (!link) return fail(link.error().message());
    text = json_output ? dump(magnet_json(*link)) : magnet_text(*link);
  } else {
    const metainfo::parse_options opts;
    auto file = read_file(input, opts.max_input_size);
    if (!file.error.empty()) return fail(file.error);
    auto ti = metainfo::torrent_info::parse(file.data, opts);
    if (!ti) return fail(ti.error().message());
    text = json_output ? dump(torrent_json(*ti)) : torrent_text(*ti);
  }
  std::fwrite(text.data(), 1, text.size(), out);
  return std::fflush(out) == 0 ? 0 : fail("cannot write the output");
}

}  // namespace ccbt::apps
