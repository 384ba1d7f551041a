#include "metainfo/metadata_download.hpp"

#include <algorithm>

#include "crypto/sha.hpp"

namespace ccbt::metainfo {
namespace {
constexpr std::uint32_t piece_bytes = 16 * 1024;
std::uint32_t count_for(std::uint64_t size) { return static_cast<std::uint32_t>((size + piece_bytes - 1) / piece_bytes); }
std::uint32_t length_of(std::uint64_t size, std::uint32_t piece) {
  const std::uint64_t begin = std::uint64_t{piece} * piece_bytes;
  return begin >= size ? 0 : static_cast<std::uint32_t>(std::min<std::uint64_t>(piece_bytes, size - begin));
}
}  // namespace

metadata_download::metadata_download(info_hash expected, config c) : expected_(expected), cfg_(c) {}

result<void> metadata_download::add_peer(peer_id peer, std::uint64_t size) {
  if (size == 0 || size > cfg_.max_size)
    return make_error(errc::info_too_large,
                      "metadata_size " + std::to_string(size) + ", limit " + std::to_string(cfg_.max_size));
  if (distrusted_.count(peer)) return {};
  peers_[peer].size = size;
  if (!size_) set_size(size);
  return {};
}

void metadata_download::remove_peer(peer_id peer) {
  for (auto it = flight_.begin(); it != flight_.end();)
    it = it->second.peer == peer ? flight_.erase(it) : std::next(it);
  peers_.erase(peer);
  if (single_source_ == peer) {
    single_source_.reset();
    reset_pieces();  // the next round starts over from one peer
  }
  choose_size();
}

void metadata_download::set_size(std::uint64_t size) {
  size_ = size;
  buffer_.assign(size, '\0');
  have_.assign(count_for(size), false);
  from_.assign(count_for(size), 0);
  flight_.clear();
  for (auto& [id, p] : peers_) p.outstanding = 0;
}

void metadata_download::reset_pieces() {
  std::fill(have_.begin(), have_.end(), false);
  flight_.clear();
  for (auto& [id, p] : peers_) p.outstanding = 0;
}

void metadata_download::choose_size() {
  if (done() || error_) return;
  if (size_)
    for (const auto& [id, p] : peers_)
      if (p.size == *size_) return;  // someone can still serve this size
  // Nobody left for the current size: adopt the size of a remaining peer (they may have been right).
  if (!peers_.empty() && (!size_ || peers_.begin()->second.size != *size_)) set_size(peers_.begin()->second.size);
}

void metadata_download::distrust(peer_id p) {
  if (!distrusted_.insert(p).second) return;
  newly_distrusted_.push_back(p);
  remove_peer(p);
}

std::vector<metadata_download::peer_id> metadata_download::take_newly_distrusted() {
  return std::exchange(newly_distrusted_, {});
}

std::uint32_t metadata_download::pieces_received() const noexcept {
  return static_cast<std::uint32_t>(std::count(have_.begin(), have_.end(), true));
}

std::optional<std::uint32_t> metadata_download::next_request(peer_id peer, std::int64_t now_ms) {
  if (done() || error_ || !size_) return std::nullopt;
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.size != *size_) return std::nullopt;
  auto& ps = it->second;
  if (ps.outstanding >= cfg_.max_outstanding || ps.backoff_until > now_ms) return std::nullopt;
  if (single_mode_) {
    if (!single_source_) single_source_ = peer;
    if (*single_source_ != peer) return std::nullopt;
  }
  for (std::uint32_t i = 0; i < have_.size(); ++i) {
    if (have_[i] || flight_.count(i)) continue;
    flight_[i] = {peer, now_ms};
    ++ps.outstanding;
    return i;
  }
  return std::nullopt;
}

void metadata_download::on_reject(peer_id peer, std::uint32_t piece, std::int64_t now_ms) {
  auto f = flight_.find(piece);
  if (f == flight_.end() || f->second.peer != peer) return;
  flight_.erase(f);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  if (it->second.outstanding > 0) --it->second.outstanding;
  it->second.backoff_until = now_ms + cfg_.reject_backoff_ms;
  if (single_source_ == peer) {  // it will not give us the whole metadata: try another one
    single_source_.reset();
    reset_pieces();
  }
}

std::vector<metadata_download::peer_id> metadata_download::tick(std::int64_t now_ms) {
  std::vector<peer_id> slow;
  for (auto it = flight_.begin(); it != flight_.end();) {
    if (now_ms - it->second.sent < cfg_.request_timeout_ms) {
      ++it;
      continue;
    }
    const peer_id p = it->second.peer;
    if (std::find(slow.begin(), slow.end(), p) == slow.end()) slow.push_back(p);
    auto ps = peers_.find(p);
    if (ps != peers_.end()) {
      if (ps->second.outstanding > 0) --ps->second.outstanding;
      ps->second.backoff_until = now_ms + cfg_.reject_backoff_ms;
    }
    it = flight_.erase(it);
  }
  for (const auto p : slow)
    if (single_source_ == p) {
      single_source_.reset();
      reset_pieces();
    }
  return slow;
}

metadata_download::data_result metadata_download::on_data(peer_id peer, std::uint32_t piece, std::string_view bytes) {
  if (done() || error_ || !size_ || piece >= have_.size() || have_[piece]) return data_result::ignored;
  auto f = flight_.find(piece);
  if (f == flight_.end() || f->second.peer != peer) return data_result::ignored;
  if (bytes.size() != length_of(*size_, piece)) return data_result::ignored;
  flight_.erase(f);
  if (auto it = peers_.find(peer); it != peers_.end() && it->second.outstanding > 0) --it->second.outstanding;
  std::copy(bytes.begin(), bytes.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(std::size_t{piece} * piece_bytes));
  have_[piece] = true;
  from_[piece] = peer;
  if (!std::all_of(have_.begin(), have_.end(), [](bool b) { return b; })) return data_result::accepted;
  return finish();
}

metadata_download::data_result metadata_download::finish() {
  bool ok = true;
  if (expected_.v1 && crypto::sha1_digest(buffer_) != *expected_.v1) ok = false;
  if (ok && expected_.v2 && crypto::sha256_digest(buffer_) != *expected_.v2) ok = false;
  std::vector<peer_id> contributors(from_.begin(), from_.end());
  std::sort(contributors.begin(), contributors.end());
  contributors.erase(std::unique(contributors.begin(), contributors.end()), contributors.end());
  if (!ok) {
    ++hash_failures_;
    reset_pieces();
    if (contributors.size() == 1) {
      distrust(contributors.front());  // it alone sent the whole thing: it lied
      single_source_.reset();
    } else {
      single_mode_ = true;  // find the liar: one peer per round from now on
      single_source_.reset();
    }
    choose_size();
    return data_result::hash_failed;
  }
  parse_options opts;
  opts.require_piece_layers = false;
  opts.max_info_size = static_cast<std::size_t>(cfg_.max_size);
  auto ti = torrent_info::from_info_dict(buffer_, opts);
  if (!ti) {
    error_ = ti.error();
    return data_result::parse_failed;
  }
  for (const auto p : from_) ++contributions_[p];
  result_ = std::move(*ti);
  buffer_.clear();
  buffer_.shrink_to_fit();
  return data_result::complete;
}

std::optional<torrent_info> metadata_download::take() {
  if (!result_ || taken_) return std::nullopt;
  taken_ = true;
  return std::move(result_);
}

}  // namespace ccbt::metainfo
