// Extraction of the v1 file list and the v2 file tree (see parse_detail.hpp).
#include <algorithm>
#include <string>
#include <utility>

#include "metainfo/parse_detail.hpp"
#include "metainfo/sanitize.hpp"

namespace ccbt::metainfo::detail {
namespace {

std::uint8_t parse_attr(bencode::node dict) {
  std::uint8_t flags = 0;
  if (auto attr = dict.find_string("attr")) {
    for (const char c : *attr) {
      switch (c) {
        case 'p': flags |= flag_pad; break;
        case 'x': flags |= flag_executable; break;
        case 'h': flags |= flag_hidden; break;
        case 'l': flags |= flag_symlink; break;
        default: break;  // unknown attributes are ignored (BEP 47)
      }
    }
  }
  return flags;
}

// Sanitised components of a list of strings; components that sanitise to nothing are dropped.
// The list must hold only strings and at most max_depth of them.
result<std::vector<std::string>> sanitize_list(bencode::node list, const std::string& ctx,
                                               std::size_t max_depth, errc not_strings) {
  if (list.size() > max_depth)
    return make_error(errc::path_too_deep, ctx + ": " + std::to_string(list.size()) + " components",
                      list.offset());
  std::vector<std::string> out;
  out.reserve(list.size());
  std::size_t i = 0;
  for (const auto element : list.items()) {
    if (!element.is_string())
      return make_error(not_strings, ctx + "[" + std::to_string(i) + "]", element.offset());
    std::string c = sanitize_component(element.string());
    if (!c.empty()) out.push_back(std::move(c));
    ++i;
  }
  return out;
}

// "length" of a file dict (symlinks have none: their size is 0, as in libtorrent).
result<std::uint64_t> parse_length(bencode::node dict, std::uint8_t flags, const std::string& ctx) {
  if (flags & flag_symlink) return 0;
  const auto len = dict.find("length");
  if (!len) return make_error(errc::missing_length, ctx, dict.offset());
  if (!len->is_int() || len->integer() < 0)
    return make_error(errc::invalid_length, ctx + ".length", len->offset());
  return static_cast<std::uint64_t>(len->integer());
}

result<void> parse_symlink(bencode::node dict, raw_file& f, std::size_t max_depth) {
  if (!(f.flags & flag_symlink)) return {};
  const auto target = dict.find("symlink path");
  if (!target || !target->is_list() || target->size() == 0)
    return make_error(errc::invalid_symlink, f.context + ".symlink path", dict.offset());
  auto comps = sanitize_list(*target, f.context + ".symlink path", max_depth, errc::invalid_symlink);
  if (!comps) return tl::unexpected(comps.error());
  if (comps->empty())
    return make_error(errc::invalid_symlink, f.context + ".symlink path", target->offset());
  f.symlink = std::move(*comps);
  return {};
}

result<void> add_size(file_list& out, std::uint64_t size, const std::string& ctx, std::size_t offset) {
  if (size > k_max_total_size - out.total_size)
    return make_error(errc::size_overflow, ctx, offset);
  out.total_size += size;
  return {};
}

bool is_bitcomet_pad(const std::vector<std::string>& path) {
  return std::any_of(path.begin(), path.end(), [](const std::string& c) {
    return c.find("_____padding_file_") != std::string::npos;
  });
}

// "info.file tree/a/b/name"; deep paths are shortened to their first and last components so an
// error stays one readable line.
std::string tree_context(const std::vector<std::string>& dirs, std::string_view key) {
  constexpr std::size_t k_head = 2, k_tail = 4;
  std::string ctx = "info.file tree";
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    if (dirs.size() > k_head + k_tail && i >= k_head && i < dirs.size() - k_tail) {
      if (i == k_head) ctx += "/...";
      continue;
    }
    ctx += '/';
    ctx += dirs[i];
  }
  ctx += '/';
  ctx += key;
  return ctx;
}

}  // namespace

result<file_list> extract_v1_files(bencode::node info, const std::string& name,
                                   const parse_options& opts) {
  file_list out;
  const auto files = info.find("files");
  if (!files) {
    // Single file: the name is the file name.
    raw_file f;
    f.context = "info";
    f.input_offset = info.offset();
    f.flags = parse_attr(info);
    if (f.flags & flag_pad) return make_error(errc::invalid_pad_file, "info.attr: single-file torrent", info.offset());
    if (name.empty()) return make_error(errc::invalid_name, "info.name", info.offset());
    auto size = parse_length(info, f.flags, "info");
    if (!size) return tl::unexpected(size.error());
    f.size = *size;
    if (auto r = parse_symlink(info, f, opts.max_path_depth); !r) return tl::unexpected(r.error());
    if (auto m = info.find_int("mtime")) f.mtime = *m;
    f.path.push_back(name);
    if (auto r = add_size(out, f.size, "info.length", f.input_offset); !r) return tl::unexpected(r.error());
    out.files.push_back(std::move(f));
    return out;
  }
  if (!files->is_list() || files->size() == 0)
    return make_error(errc::invalid_files, "info.files", files->offset());
  if (files->size() > opts.max_files)
    return make_error(errc::too_many_files, "info.files: " + std::to_string(files->size()) + " files",
                      files->offset());
  out.multi_file = true;
  out.files.reserve(files->size());
  std::size_t index = 0;
  for (const auto entry : files->items()) {
    raw_file f;
    f.context = "info.files[" + std::to_string(index++) + "]";
    f.input_offset = entry.offset();
    if (!entry.is_dict()) return make_error(errc::invalid_file_entry, f.context, entry.offset());
    f.flags = parse_attr(entry);
    auto size = parse_length(entry, f.flags, f.context);
    if (!size) return tl::unexpected(size.error());
    f.size = *size;
    if ((f.flags & flag_pad) && (f.flags & flag_symlink))
      return make_error(errc::invalid_pad_file, f.context + ": pad file marked as symlink", entry.offset());

    // BEP 3 "path", or the "path.utf-8" some clients add (preferred, as libtorrent does).
    auto path = entry.find("path.utf-8");
    if (!path || !path->is_list()) path = entry.find("path");
    f.path.push_back(name);
    if (!path || (path->is_list() && path->size() == 0)) {
      // A pad file needs no path: it is never written (libtorrent names it .pad/<size>).
      if (!(f.flags & flag_pad)) {
        return path ? make_error(errc::invalid_path, f.context + ".path: empty list", path->offset())
                    : make_error(errc::missing_path, f.context, entry.offset());
      }
      f.path.push_back(".pad");
      f.path.push_back(std::to_string(f.size));
    } else {
      if (!path->is_list()) return make_error(errc::invalid_path, f.context + ".path", path->offset());
      auto comps = sanitize_list(*path, f.context + ".path", opts.max_path_depth, errc::invalid_path);
      if (!comps) return tl::unexpected(comps.error());
      if (comps->empty()) comps->push_back("_");  // every component sanitised away
      for (auto& c : *comps) f.path.push_back(std::move(c));
    }
    if (is_bitcomet_pad(f.path)) f.flags |= flag_pad;
    if (auto r = parse_symlink(entry, f, opts.max_path_depth); !r) return tl::unexpected(r.error());
    if (auto m = entry.find_int("mtime")) f.mtime = *m;
    if (auto r = add_size(out, f.size, f.context + ".length", f.input_offset); !r) return tl::unexpected(r.error());
    out.files.push_back(std::move(f));
  }
  return out;
}

result<file_list> extract_v2_files(bencode::node tree, const std::string& name, bool has_files_list,
                                   const parse_options& opts) {
  file_list out;
  // Iterative depth-first walk in the order the keys appear (libtorrent's order too).
  struct frame {
    bencode::node::dict_iterator it, end;
    std::size_t depth;  // number of directory components above this dict's entries
  };
  std::vector<frame> stack;
  std::vector<std::string> dirs;     // sanitised directory components of the current frame
  std::vector<std::string> context;  // raw keys, for messages
  auto range = tree.entries();
  stack.push_back({range.begin(), range.end(), 0});
  const bool single_candidate = !has_files_list && tree.size() == 1;

  while (!stack.empty()) {
    frame& top = stack.back();
    if (top.it == top.end) {
      stack.pop_back();
      if (!dirs.empty()) dirs.pop_back();
      if (!context.empty()) context.pop_back();
      continue;
    }
    const auto [key, value] = *top.it;
    ++top.it;
    const std::size_t depth = top.depth;
    std::string ctx = tree_context(context, key);
    if (key.empty() || !value.is_dict())
      return make_error(errc::invalid_file_tree, ctx, value.offset());
    const bool leaf = value.size() == 1 && (*value.entries().begin()).first.empty();
    if (!leaf) {
      if (depth + 1 >= opts.max_path_depth)
        return make_error(errc::nesting_too_deep, ctx, value.offset());
      if (value.find("")) return make_error(errc::invalid_file_tree, ctx + ": file and directory", value.offset());
      std::string c = sanitize_component(key);
      // A directory whose name sanitises away is merged into its parent (as libtorrent does).
      dirs.push_back(std::move(c));
      context.emplace_back(key);
      auto sub = value.entries();
      stack.push_back({sub.begin(), sub.end(), depth + 1});
      continue;
    }
    if (out.files.size() >= opts.max_files)
      return make_error(errc::too_many_files, "info.file tree", tree.offset());

    const bencode::node dict = (*value.entries().begin()).second;
    raw_file f;
    f.context = ctx;
    f.input_offset = dict.offset();
    if (!dict.is_dict()) return make_error(errc::invalid_file_tree, ctx, dict.offset());
    f.flags = parse_attr(dict);
    if (f.flags & flag_pad)
      return make_error(errc::invalid_pad_file, ctx + ": pad attribute in the file tree", dict.offset());
    auto size = parse_length(dict, f.flags, ctx);
    if (!size) return tl::unexpected(size.error());
    f.size = *size;
    if (auto r = parse_symlink(dict, f, opts.max_path_depth); !r) return tl::unexpected(r.error());
    if (!(f.flags & flag_symlink) && f.size > 0) {
      const auto root = dict.find("pieces root");
      if (!root) return make_error(errc::missing_pieces_root, ctx, dict.offset());
      if (!root->is_string() || root->string().size() != sha256_hash::size)
        return make_error(errc::invalid_pieces_root, ctx + ".pieces root", root->offset());
      f.root = sha256_hash::from_bytes(root->string());
      if (f.root->is_zero()) return make_error(errc::missing_pieces_root, ctx + ": all-zero pieces root", root->offset());
    }
    if (auto m = dict.find_int("mtime")) f.mtime = *m;

    std::string leaf_name = sanitize_component(key);
    if (leaf_name.empty()) leaf_name = "_";  // a file name that sanitises away
    const bool single = single_candidate && depth == 0;
    if (!single) f.path.push_back(name);
    for (const auto& d : dirs) {
      if (!d.empty()) f.path.push_back(d);
    }
    f.path.push_back(std::move(leaf_name));
    out.multi_file = !single;
    if (f.path.size() > opts.max_path_depth + 1)
      return make_error(errc::path_too_deep, ctx, dict.offset());
    if (auto r = add_size(out, f.size, ctx + ".length", f.input_offset); !r) return tl::unexpected(r.error());
    out.files.push_back(std::move(f));
  }
  return out;
}

}  // namespace ccbt::metainfo::detail
