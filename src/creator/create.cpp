// create(): scan -> layout -> hash -> build, and the creator error category.
#include <ccbt/create_torrent.hpp>

#include "creator/builder.hpp"
#include "creator/hasher.hpp"
#include "creator/layout.hpp"

namespace ccbt::creator {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "create"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_found: return "no such file or directory";
      case errc::unsupported_file: return "not a regular file or directory";
      case errc::no_data: return "nothing to hash";
      case errc::invalid_piece_length: return "invalid piece length";
      case errc::invalid_option: return "invalid option";
      case errc::read_failed: return "read failed";
      case errc::file_changed: return "file changed while hashing";
      case errc::symlink_loop: return "directory symlink loop";
      case errc::too_large: return "too large for a torrent";
      case errc::cancelled: return "cancelled";
    }
    return "unknown torrent creation error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

result<created_torrent> create(const std::filesystem::path& root, const create_options& opts) {
  if (auto r = check_options(opts); !r) return tl::unexpected(r.error());
  auto tree = scan(root);
  if (!tree) return tl::unexpected(tree.error());
  const std::size_t num_files = tree->files.size();
  auto lay = make_layout(std::move(*tree), opts.kind, opts.piece_length);
  if (!lay) return tl::unexpected(lay.error());

  hash_options ho;
  ho.threads = opts.threads;
  ho.progress = opts.progress;
  ho.cancel = opts.cancel;
  auto hashes = hash_files(*lay, ho);
  if (!hashes) return tl::unexpected(hashes.error());

  auto built = build_torrent(*lay, *hashes, opts);
  if (!built) return tl::unexpected(built.error());

  created_torrent out;
  out.data = std::move(built->data);
  out.info_dict = std::move(built->info_dict);
  out.hashes = built->hashes;
  out.name = lay->name;
  out.kind = lay->kind;
  out.piece_length = lay->piece_length;
  out.num_pieces = lay->num_pieces();
  out.total_size = lay->content_size;
  out.num_files = num_files;
  return out;
}

result<std::string> create_torrent(const std::filesystem::path& root, const create_options& opts) {
  auto r = create(root, opts);
  if (!r) return tl::unexpected(r.error());
  return std::move(r->data);
}

}  // namespace ccbt::creator
