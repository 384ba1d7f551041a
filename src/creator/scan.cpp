// scan(): the input file or folder -> the list of files, as libtorrent's add_files() finds them.
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "creator/errno_context.hpp"
#include "creator/layout.hpp"

namespace ccbt::creator {
namespace {

using detail::errno_context;

struct dir_id {
  dev_t dev;
  ino_t ino;
};

class walker {
 public:
  explicit walker(scanned_tree& out) : out_(out) {}

  result<void> walk(const std::filesystem::path& dir, std::vector<std::string>& components,
                    const struct ::stat& dir_stat) {
    for (const auto& id : stack_)
      if (id.dev == dir_stat.st_dev && id.ino == dir_stat.st_ino)
        return make_error(errc::symlink_loop, dir.string());
    stack_.push_back({dir_stat.st_dev, dir_stat.st_ino});

    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return make_error(errc::read_failed, errno_context(dir, "cannot open directory", errno));
    // readdir order, as libtorrent's directory iterator: the listing is read fully first so that
    // the recursion does not keep one DIR* open per level.
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(d);
      if (e == nullptr) {
        const int err = errno;
        ::closedir(d);
        if (err != 0) return make_error(errc::read_failed, errno_context(dir, "cannot read directory", err));
        break;
      }
      const std::string_view leaf(e->d_name);
      if (leaf == "." || leaf == "..") continue;
      names.emplace_back(leaf);
    }

    for (auto& leaf : names) {
      std::filesystem::path full = dir / leaf;
      struct ::stat st {};
      if (::stat(full.c_str(), &st) != 0) {
        const int err = errno;
        struct ::stat lst {};
        // A dangling symlink is skipped, as libtorrent does; anything else we cannot stat is an error.
        if (::lstat(full.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) continue;
        return make_error(errc::read_failed, errno_context(full, "cannot stat", err));
      }
      components.push_back(std::move(leaf));
      if (S_ISDIR(st.st_mode)) {
        if (auto r = walk(full, components, st); !r) return r;
      } else if (S_ISREG(st.st_mode)) {
        struct ::stat lst {};
        const bool exec = ::lstat(full.c_str(), &lst) == 0 && (lst.st_mode & S_IXUSR) != 0;
        out_.files.push_back(input_file{components, static_cast<std::uint64_t>(st.st_size), exec, full});
      }
      components.pop_back();
    }
    stack_.pop_back();
    return {};
  }

 private:
  scanned_tree& out_;
  std::vector<dir_id> stack_;
};

}  // namespace

result<scanned_tree> scan(const std::filesystem::path& root) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(root, ec);
  if (ec) return make_error(errc::read_failed, root.string() + ": " + ec.message());
  abs = abs.lexically_normal();
  if (!abs.has_filename() && abs.has_parent_path() && abs != abs.root_path()) abs = abs.parent_path();

  scanned_tree tree;
  tree.name = abs.filename().string();
  if (tree.name.empty() || tree.name == "." || tree.name == "..")
    return make_error(errc::unsupported_file, root.string() + ": cannot name a torrent after this path");

  struct ::stat st {};
  if (::stat(abs.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return make_error(errc::not_found, root.string());
    return make_error(errc::read_failed, errno_context(root, "cannot stat", err));
  }
  if (S_ISREG(st.st_mode)) {
    struct ::stat lst {};
    const bool exec = ::lstat(abs.c_str(), &lst) == 0 && (lst.st_mode & S_IXUSR) != 0;
    tree.multi_file = false;
    tree.files.push_back(input_file{{}, static_cast<std::uint64_t>(st.st_size), exec, abs});
    return tree;
  }
  if (!S_ISDIR(st.st_mode)) return make_error(errc::unsupported_file, root.string());

  tree.multi_file = true;
  std::vector<std::string> components;
  walker w(tree);
  if (auto r = w.walk(abs, components, st); !r) return tl::unexpected(r.error());
  return tree;
}

}  // namespace ccbt::creator
