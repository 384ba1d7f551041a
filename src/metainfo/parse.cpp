// torrent_info::parse / from_info_dict: validation of a .torrent and construction of its layout.
#include <algorithm>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>

#include "crypto/sha.hpp"
#include "metainfo/merkle.hpp"
#include "metainfo/parse_detail.hpp"
#include "metainfo/sanitize.hpp"

namespace ccbt::metainfo {

using detail::file_list;
using detail::raw_file;

struct torrent_info_builder {
  static result<torrent_info> build(std::shared_ptr<const std::string> buffer, bool whole_file,
                                    const parse_options& opts);

 private:
  static result<void> parse_info(torrent_info& ti, bencode::node info, const parse_options& opts);
  static result<std::vector<raw_file>> combine(const torrent_info& ti, bencode::node info,
                                               const file_list* v1, const file_list* v2,
                                               const std::string& root_name);
  static void finish_layout(torrent_info& ti, std::vector<raw_file> files, const std::string& root_name);
  static result<void> parse_piece_layers(torrent_info& ti, std::optional<bencode::node> layers,
                                         const parse_options& opts);
  static void parse_extras(torrent_info& ti, bencode::node root);
};

namespace {

std::string pad_name(std::uint64_t size) { return std::to_string(size); }

raw_file make_pad(const std::string& pad_root, std::uint64_t size) {
  raw_file pad;
  pad.path = {pad_root, ".pad", pad_name(size)};
  pad.size = size;
  pad.flags = flag_pad;
  pad.context = "pad";
  return pad;
}

std::uint64_t align_gap(std::uint64_t offset, std::uint64_t piece_length) {
  const std::uint64_t r = offset % piece_length;
  return r == 0 ? 0 : piece_length - r;
}

// The v2 layout: every non-empty file starts on a piece boundary. libtorrent 2.0.8 puts a pad file
// right after each non-empty file whose size is not a multiple of the piece length; with
// `tail_pad` false the pad after the last non-empty file is left out (hybrid torrents whose v1 list
// does not pad the end).
std::vector<raw_file> v2_layout(const std::vector<raw_file>& files, std::uint64_t piece_length,
                                const std::string& pad_root, bool tail_pad) {
  std::size_t last_nonempty = files.size();
  for (std::size_t i = 0; i < files.size(); ++i)
    if (files[i].size > 0) last_nonempty = i;
  std::vector<raw_file> out;
  out.reserve(files.size() * 2);
  for (std::size_t i = 0; i < files.size(); ++i) {
    out.push_back(files[i]);
    const std::uint64_t gap = files[i].size == 0 ? 0 : align_gap(files[i].size, piece_length);
    if (gap != 0 && (tail_pad || i != last_nonempty)) out.push_back(make_pad(pad_root, gap));
  }
  return out;
}

std::uint64_t sum_sizes(const std::vector<raw_file>& files) {
  std::uint64_t total = 0;
  for (const auto& f : files) total += f.size;  // bounded by k_max_total_size per list
  return total;
}

std::string trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

result<torrent_info> torrent_info_builder::build(std::shared_ptr<const std::string> buffer,
                                                 bool whole_file, const parse_options& opts) {
  const std::string& in = *buffer;
  if (in.size() > opts.max_input_size)
    return make_error(errc::input_too_large, std::to_string(in.size()) + " bytes");
  bencode::limits lim;
  lim.max_depth = opts.max_decode_depth;
  lim.max_tokens = opts.max_decode_tokens;
  lim.max_input = opts.max_input_size;
  auto doc = bencode::decode(in, lim);
  if (!doc) return tl::unexpected(doc.error());
  const bencode::node root = doc->root();

  bencode::node info = root;
  if (whole_file) {
    if (!root.is_dict()) return make_error(errc::not_a_dictionary, {}, 0);
    const auto i = root.find("info");
    if (!i) return make_error(errc::missing_info, {}, 0);
    info = *i;
  }
  if (!info.is_dict()) return make_error(errc::invalid_info, "info", info.offset());

  torrent_info ti;
  ti.buffer_ = std::move(buffer);
  if (auto r = parse_info(ti, info, opts); !r) return tl::unexpected(r.error());
  if (ti.is_v2()) {
    std::optional<bencode::node> layers;
    if (whole_file) layers = root.find("piece layers");
    parse_options o = opts;
    if (!whole_file) o.require_piece_layers = false;
    if (auto r = parse_piece_layers(ti, layers, o); !r) return tl::unexpected(r.error());
  }
  if (whole_file) parse_extras(ti, root);
  return ti;
}

result<void> torrent_info_builder::parse_info(torrent_info& ti, bencode::node info,
                                              const parse_options& opts) {
  const std::string_view raw = info.raw();
  if (raw.size() > opts.max_info_size)
    return make_error(errc::info_too_large, std::to_string(raw.size()) + " bytes", info.offset());
  ti.info_offset_ = info.offset();
  ti.info_size_ = raw.size();

  // Version: "meta version" 2 is v2 (hybrid when it also has v1 "pieces"); absent or 1 is v1.
  bool v2 = false;
  if (const auto mv = info.find("meta version")) {
    if (!mv->is_int() || mv->integer() < 1 || mv->integer() > 2)
      return make_error(errc::invalid_meta_version, "info.meta version", mv->offset());
    v2 = mv->integer() == 2;
  }
  const auto tree = info.find("file tree");
  if (tree && !v2) return make_error(errc::invalid_meta_version, "info.file tree without meta version 2", tree->offset());
  if (v2 && !tree) return make_error(errc::missing_file_tree, "info", info.offset());
  if (v2 && !tree->is_dict()) return make_error(errc::invalid_file_tree, "info.file tree", tree->offset());
  const auto pieces = info.find("pieces");
  const bool v1 = !v2 || pieces.has_value();

  // Piece length.
  const auto pl = info.find("piece length");
  if (!pl) return make_error(errc::missing_piece_length, "info", info.offset());
  if (!pl->is_int() || pl->integer() <= 0 || pl->integer() > detail::k_max_piece_length)
    return make_error(errc::invalid_piece_length, "info.piece length", pl->offset());
  const std::int64_t plen = pl->integer();
  if (v2 && (plen < detail::k_min_v2_piece_length || (plen & (plen - 1)) != 0))
    return make_error(errc::invalid_piece_length,
                      "info.piece length: v2 needs a power of two >= 16 KiB, got " + std::to_string(plen),
                      pl->offset());
  ti.piece_length_ = static_cast<std::uint32_t>(plen);

  // Name ("name.utf-8" preferred, as libtorrent does).
  auto name_node = info.find("name.utf-8");
  if (!name_node || !name_node->is_string()) name_node = info.find("name");
  if (!name_node || !name_node->is_string()) return make_error(errc::missing_name, "info", info.offset());
  // An empty name counts as missing: a single-file torrent then fails, a multi-file one is stored
  // under its info-hash (libtorrent would use "_").
  const std::string name =
      name_node->string().empty() ? std::string() : detail::sanitize_component(name_node->string());

  if (v1) ti.hashes_.v1 = crypto::sha1_digest(raw);
  if (v2) ti.hashes_.v2 = crypto::sha256_digest(raw);
  // A multi-file torrent whose name sanitises to nothing is stored under its info-hash.
  const std::string root_name =
      !name.empty() ? name : (v1 ? ti.hashes_.v1->to_hex() : ti.hashes_.v2->to_hex());

  std::optional<file_list> v1_files, v2_files;
  if (v1) {
    if (!info.find("files") && !info.find("length") && v2)
      return make_error(errc::missing_length, "info: hybrid without v1 files or length", info.offset());
    const bool multi = info.find("files").has_value();
    auto r = detail::extract_v1_files(info, multi ? root_name : name, opts);
    if (!r) return tl::unexpected(r.error());
    v1_files = std::move(*r);
  }
  if (v2) {
    auto r = detail::extract_v2_files(*tree, root_name, info.find("files").has_value(), opts);
    if (!r) return tl::unexpected(r.error());
    if (r->files.empty()) return make_error(errc::no_files, "info.file tree", tree->offset());
    v2_files = std::move(*r);
  }

  auto files = combine(ti, info, v1_files ? &*v1_files : nullptr, v2_files ? &*v2_files : nullptr, root_name);
  if (!files) return tl::unexpected(files.error());
  ti.multi_file_ = v1_files ? v1_files->multi_file : v2_files->multi_file;

  // Pieces.
  std::uint64_t total = 0;
  for (const auto& f : *files) {
    if (f.size > detail::k_max_total_size - total) return make_error(errc::size_overflow, "info", info.offset());
    total += f.size;
  }
  if (total == 0) return make_error(errc::no_files, "info: total size is 0", info.offset());
  const std::uint64_t num_pieces = (total - 1) / static_cast<std::uint64_t>(plen) + 1;
  if (num_pieces > opts.max_pieces)
    return make_error(errc::too_many_pieces, std::to_string(num_pieces) + " pieces", info.offset());
  ti.num_pieces_ = static_cast<std::uint32_t>(num_pieces);
  ti.total_size_ = total;
  if (v1) {
    if (!pieces) return make_error(errc::missing_pieces, "info", info.offset());
    if (!pieces->is_string() || pieces->string().size() % 20 != 0)
      return make_error(errc::invalid_pieces, "info.pieces", pieces->offset());
    if (pieces->string().size() / 20 != num_pieces)
      return make_error(errc::pieces_size_mismatch,
                        "info.pieces: " + std::to_string(pieces->string().size() / 20) + " hashes for " +
                            std::to_string(num_pieces) + " pieces",
                        pieces->offset());
    ti.pieces_offset_ = static_cast<std::size_t>(pieces->string().data() - ti.buffer_->data());
  }

  finish_layout(ti, std::move(*files), root_name);
  ti.private_ = info.find_int("private").value_or(0) != 0;
  if (auto s = info.find_string("source")) ti.source_ = std::string(*s);
  return {};
}

result<std::vector<raw_file>> torrent_info_builder::combine(const torrent_info& ti, bencode::node info,
                                                            const file_list* v1, const file_list* v2,
                                                            const std::string& root_name) {
  const std::uint64_t plen = ti.piece_length_;
  if (!v2) return v1->files;
  const std::string pad_root = v2->multi_file ? root_name : v2->files.front().path.front();
  auto with_tail = v2_layout(v2->files, plen, pad_root, true);
  if (!v1) return with_tail;

  // Hybrid: the v1 list (pad files aside) must name the same files, in the same order, with the
  // same sizes, and place every non-empty one at the offset the v2 layout gives it.
  std::vector<const raw_file*> v1_real;
  std::vector<std::uint64_t> v1_offsets;
  std::uint64_t off = 0;
  for (const auto& f : v1->files) {
    if (!(f.flags & flag_pad)) {
      v1_real.push_back(&f);
      v1_offsets.push_back(off);
    }
    off += f.size;
  }
  if (v1_real.size() != v2->files.size())
    return make_error(errc::hybrid_mismatch,
                      "info.files has " + std::to_string(v1_real.size()) + " files, info.file tree " +
                          std::to_string(v2->files.size()),
                      info.offset());
  std::uint64_t v2_off = 0;
  for (std::size_t i = 0; i < v1_real.size(); ++i) {
    const raw_file& a = *v1_real[i];
    const raw_file& b = v2->files[i];
    if (a.path != b.path || a.size != b.size)
      return make_error(errc::hybrid_mismatch, a.context + " vs " + b.context, a.input_offset);
    if (b.size > 0 && v1_offsets[i] != v2_off)
      return make_error(errc::hybrid_misaligned,
                        a.context + " at offset " + std::to_string(v1_offsets[i]) + ", expected " +
                            std::to_string(v2_off),
                        a.input_offset);
    if (b.size > 0) v2_off += b.size + align_gap(b.size, plen);
  }
  const std::uint64_t full_total = sum_sizes(with_tail);
  if (v1->total_size == full_total) return with_tail;
  auto without_tail = v2_layout(v2->files, plen, pad_root, false);
  if (v1->total_size == sum_sizes(without_tail)) return without_tail;
  return make_error(errc::hybrid_misaligned,
                    "info.files total " + std::to_string(v1->total_size) + " does not match the v2 layout (" +
                        std::to_string(full_total) + ")",
                    info.offset());
}

void torrent_info_builder::finish_layout(torrent_info& ti, std::vector<raw_file> files,
                                         const std::string& root_name) {
  // Renames for duplicates (pad files are never written and take no name).
  std::vector<detail::dedup_entry> entries;
  for (auto& f : files)
    if (!(f.flags & flag_pad)) entries.push_back({&f.path});
  detail::resolve_duplicates(entries);

  // Symlink targets must name a file or directory of the torrent; others point to themselves.
  std::unordered_set<std::string> known;
  const bool has_symlinks =
      std::any_of(files.begin(), files.end(), [](const raw_file& f) { return (f.flags & flag_symlink) != 0; });
  for (const auto& f : files) {
    if ((f.flags & flag_pad) || !has_symlinks) continue;
    std::string p;
    for (const auto& c : f.path) {
      if (!p.empty()) p.push_back('/');
      p += c;
      known.insert(p);
    }
  }

  const std::uint64_t plen = ti.piece_length_;
  std::uint64_t offset = 0;
  ti.files_.reserve(files.size());
  for (auto& f : files) {
    file_entry e;
    e.path = detail::join_path(f.path);
    e.path_components = std::move(f.path);
    e.size = f.size;
    e.offset = offset;
    e.flags = f.flags;
    if (f.flags & flag_symlink) {
      std::vector<std::string> target;
      if (ti.multi_file_) target.push_back(root_name);
      target.insert(target.end(), f.symlink.begin(), f.symlink.end());
      std::string t = detail::join_path(target);
      e.symlink_target = known.count(t) != 0 && t != e.path ? std::move(t) : e.path;
    }
    e.pieces_root = f.root;
    e.mtime = f.mtime;
    e.first_piece = static_cast<std::uint32_t>(offset / plen);
    e.end_piece = f.size == 0 ? e.first_piece : static_cast<std::uint32_t>((offset + f.size - 1) / plen + 1);
    offset += f.size;
    if (!(f.flags & flag_pad)) ti.payload_size_ += f.size;
    ti.files_.push_back(std::move(e));
  }
  ti.name_ = ti.multi_file_ ? root_name : ti.files_.front().path_components.front();
  ti.piece_layers_.resize(ti.files_.size());
}

result<void> torrent_info_builder::parse_piece_layers(torrent_info& ti, std::optional<bencode::node> layers,
                                                      const parse_options& opts) {
  if (layers && !layers->is_dict())
    return make_error(errc::invalid_piece_layers, "piece layers", layers->offset());
  // Every entry must be a 32-byte root mapped to a string of 32-byte hashes, even one no file uses
  // (libtorrent 2.0.8 rejects those too). Index them by root once: a find per file would be
  // quadratic.
  std::vector<std::pair<std::string_view, bencode::node>> index;
  if (layers) {
    for (const auto [key, value] : layers->entries()) {
      if (key.size() != sha256_hash::size)
        return make_error(errc::invalid_piece_layers, "piece layers: key of " + std::to_string(key.size()) + " bytes",
                          value.offset());
      if (!value.is_string() || value.string().size() % sha256_hash::size != 0)
        return make_error(errc::invalid_piece_layers, "piece layers[" + to_hex(key) + "]", value.offset());
      index.emplace_back(key, value);
    }
    std::sort(index.begin(), index.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  const std::uint64_t plen = ti.piece_length_;
  for (std::size_t i = 0; i < ti.files_.size(); ++i) {
    const file_entry& f = ti.files_[i];
    if (!f.pieces_root || f.size <= plen) continue;
    const std::string ctx = "piece layers[" + f.path + "]";
    if (!layers) {
      if (opts.require_piece_layers) return make_error(errc::missing_piece_layers, f.path);
      continue;
    }
    const auto root = f.pieces_root->view();
    const auto it = std::lower_bound(index.begin(), index.end(), root,
                                     [](const auto& a, std::string_view k) { return a.first < k; });
    if (it == index.end() || it->first != root) {
      if (opts.require_piece_layers) return make_error(errc::missing_piece_layer, ctx, layers->offset());
      continue;
    }
    const bencode::node value = it->second;
    const std::string_view bytes = value.string();
    const std::uint64_t expected = (f.size + plen - 1) / plen;
    if (bytes.size() / sha256_hash::size != expected)
      return make_error(errc::piece_layer_size_mismatch,
                        ctx + ": " + std::to_string(bytes.size() / sha256_hash::size) + " hashes, expected " +
                            std::to_string(expected),
                        value.offset());
    std::vector<sha256_hash> layer(static_cast<std::size_t>(expected));
    for (std::size_t k = 0; k < layer.size(); ++k)
      layer[k] = *sha256_hash::from_bytes(bytes.substr(k * sha256_hash::size, sha256_hash::size));
    if (merkle::root_from_piece_layer(layer, plen) != *f.pieces_root)
      return make_error(errc::piece_layer_mismatch, ctx, value.offset());
    ti.piece_layers_[i] = std::move(layer);
  }
  return {};
}

void torrent_info_builder::parse_extras(torrent_info& ti, bencode::node root) {
  // BEP 12: "announce-list" tiers replace "announce". Malformed entries are skipped, duplicates
  // dropped (first occurrence wins), empty tiers removed.
  std::unordered_set<std::string> seen;
  if (const auto al = root.find_list("announce-list")) {
    for (const auto tier : al->items()) {
      if (!tier.is_list()) continue;
      std::vector<std::string> urls;
      for (const auto u : tier.items()) {
        if (!u.is_string()) continue;
        std::string url = trim(u.string());
        if (url.empty() || !seen.insert(url).second) continue;
        urls.push_back(std::move(url));
      }
      if (!urls.empty()) ti.trackers_.push_back(std::move(urls));
    }
  }
  if (ti.trackers_.empty()) {
    if (const auto a = root.find_string("announce")) {
      std::string url = trim(*a);
      if (!url.empty()) ti.trackers_.push_back({std::move(url)});
    }
  }
  // BEP 19: "url-list" is one URL or a list of them.
  if (const auto ul = root.find("url-list")) {
    std::unordered_set<std::string> seen_seeds;
    const auto add = [&](std::string_view s) {
      std::string url = trim(s);
      if (!url.empty() && seen_seeds.insert(url).second) ti.web_seeds_.push_back(std::move(url));
    };
    if (ul->is_string()) add(ul->string());
    if (ul->is_list())
      for (const auto u : ul->items())
        if (u.is_string()) add(u.string());
  }
  if (const auto cd = root.find_int("creation date"); cd && *cd >= 0) ti.creation_date_ = *cd;
  auto comment = root.find_string("comment.utf-8");
  if (!comment) comment = root.find_string("comment");
  if (comment) ti.comment_ = std::string(*comment);
  if (const auto cb = root.find_string("created by")) ti.created_by_ = std::string(*cb);
}

result<torrent_info> torrent_info::parse(std::string_view torrent_file, const parse_options& opts) {
  if (torrent_file.size() > opts.max_input_size)
    return make_error(errc::input_too_large, "over " + std::to_string(opts.max_input_size) + " bytes");
  return torrent_info_builder::build(std::make_shared<const std::string>(torrent_file), true, opts);
}

result<torrent_info> torrent_info::from_info_dict(std::string_view info_bytes, const parse_options& opts) {
  if (info_bytes.size() > opts.max_info_size)
    return make_error(errc::info_too_large, "over " + std::to_string(opts.max_info_size) + " bytes");
  return torrent_info_builder::build(std::make_shared<const std::string>(info_bytes), false, opts);
}

}  // namespace ccbt::metainfo
