// build_torrent(): layout + hashes + options -> bencoded .torrent (pure).
#include "creator/builder.hpp"

#include <algorithm>

#include "crypto/sha.hpp"

namespace ccbt::creator {
namespace {

using bencode::dict;
using bencode::list;
using bencode::value;

value int_value(std::uint64_t v) { return value(static_cast<std::int64_t>(v)); }

// The leaf dict of a v2 file tree entry.
dict v2_file_entry(const layout_file& f, const sha256_hash& root) {
  dict e;
  if (f.executable) e["attr"] = "x";
  e["length"] = int_value(f.size);
  if (f.size > 0) e["pieces root"] = std::string(root.view());
  return e;
}

value path_list(const std::vector<std::string>& path) {
  list l;
  l.reserve(path.size());
  for (const auto& c : path) l.emplace_back(c);
  return value(std::move(l));
}

}  // namespace

result<void> check_options(const create_options& opts) {
  for (std::size_t t = 0; t < opts.trackers.size(); ++t)
    for (const auto& url : opts.trackers[t])
      if (url.empty()) return make_error(errc::invalid_option, "empty tracker URL in tier " + std::to_string(t));
  for (const auto& url : opts.web_seeds)
    if (url.empty()) return make_error(errc::invalid_option, "empty web seed URL");
  if (opts.threads > 1024) return make_error(errc::invalid_option, "threads: at most 1024");
  return {};
}

value build_info(const layout& l, const torrent_hashes& h, const create_options& opts) {
  const bool v1 = l.has_v1();
  const bool v2 = l.has_v2();
  dict info;
  info["name"] = l.name;
  info["piece length"] = int_value(l.piece_length);
  if (opts.is_private) info["private"] = 1;
  if (!opts.source.empty()) info["source"] = opts.source;
  if (v2) info["meta version"] = 2;

  if (!l.multi_file) {
    const layout_file& f = l.files.front();
    if (v1) {
      info["length"] = int_value(f.size);
      if (f.executable) info["attr"] = "x";
    }
    if (v2) {
      dict leaf;
      leaf[""] = v2_file_entry(f, h.roots.front());
      dict tree;
      tree[l.name] = std::move(leaf);
      info["file tree"] = std::move(tree);
    }
  } else {
    if (v1) {
      list files;
      files.reserve(l.files.size());
      for (const auto& f : l.files) {
        dict e;
        std::string attr;
        if (f.pad) attr += 'p';
        if (f.executable) attr += 'x';
        if (!attr.empty()) e["attr"] = std::move(attr);
        e["length"] = int_value(f.size);
        e["path"] = path_list(f.path);
        files.emplace_back(std::move(e));
      }
      info["files"] = std::move(files);
    }
    if (v2) {
      dict tree;
      for (std::size_t i = 0; i < l.files.size(); ++i) {
        const layout_file& f = l.files[i];
        if (f.pad) continue;
        dict* cur = &tree;
        for (const auto& c : f.path) {
          auto [it, inserted] = cur->try_emplace(c, dict{});
          cur = &it->second.as_dict();
        }
        (*cur)[""] = v2_file_entry(f, h.roots[i]);
      }
      info["file tree"] = std::move(tree);
    }
  }

  if (v1) {
    std::string pieces;
    pieces.reserve(h.pieces.size() * sha1_hash::size);
    for (const auto& p : h.pieces) pieces.append(p.view());
    info["pieces"] = std::move(pieces);
  }
  return value(std::move(info));
}

result<built_torrent> build_torrent(const layout& l, const torrent_hashes& h, const create_options& opts) {
  if (auto r = check_options(opts); !r) return tl::unexpected(r.error());
  if (l.has_v1() && h.pieces.size() != l.num_pieces())
    return make_error(errc::invalid_option, "v1 piece hashes do not match the layout");
  if (l.has_v2() && (h.roots.size() != l.files.size() || h.layers.size() != l.files.size()))
    return make_error(errc::invalid_option, "v2 hashes do not match the layout");

  built_torrent out;
  value info = build_info(l, h, opts);
  out.info_dict = bencode::encode(info);
  if (l.has_v1()) out.hashes.v1 = crypto::sha1_digest(out.info_dict);
  if (l.has_v2()) out.hashes.v2 = crypto::sha256_digest(out.info_dict);

  dict torrent;
  // Trackers: deduplicated over all tiers, first occurrence wins; tiers that end up empty vanish.
  std::vector<std::vector<std::string>> tiers;
  std::vector<std::string> seen;
  for (const auto& tier : opts.trackers) {
    std::vector<std::string> kept;
    for (const auto& url : tier) {
      if (std::find(seen.begin(), seen.end(), url) != seen.end()) continue;
      seen.push_back(url);
      kept.push_back(url);
    }
    if (!kept.empty()) tiers.push_back(std::move(kept));
  }
  if (!seen.empty()) torrent["announce"] = seen.front();
  if (seen.size() > 1) {
    list announce_list;
    for (const auto& tier : tiers) announce_list.emplace_back(path_list(tier));
    torrent["announce-list"] = std::move(announce_list);
  }
  if (!opts.comment.empty()) torrent["comment"] = opts.comment;
  if (opts.creation_date) torrent["creation date"] = value(*opts.creation_date);
  if (!opts.created_by.empty()) torrent["created by"] = opts.created_by;
  if (opts.web_seeds.size() == 1) {
    torrent["url-list"] = opts.web_seeds.front();
  } else if (!opts.web_seeds.empty()) {
    torrent["url-list"] = path_list(opts.web_seeds);
  }
  if (l.has_v2()) {
    dict layers;
    for (std::size_t i = 0; i < l.files.size(); ++i) {
      if (h.layers[i].size() < 2) continue;
      std::string concat;
      concat.reserve(h.layers[i].size() * sha256_hash::size);
      for (const auto& x : h.layers[i]) concat.append(x.view());
      layers[std::string(h.roots[i].view())] = std::move(concat);
    }
    torrent["piece layers"] = std::move(layers);
  }
  // The encoding is canonical, so `data` holds exactly the bytes of out.info_dict.
  torrent["info"] = std::move(info);
  out.data = bencode::encode(value(std::move(torrent)));
  return out;
}

}  // namespace ccbt::creator
