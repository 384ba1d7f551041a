// Message framing decoder: states length -> id -> (body | piece_head -> payload | skip) -> length.
#include "wire/decoder.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace ccbt::wire {
namespace {

using detail::get16;
using detail::get32;

// A skipped (unknown) message is read in chunks of at most this much.
constexpr std::size_t skip_chunk = 64 * 1024;
// A receive buffer above this size is released once the message that needed it is gone.
constexpr std::size_t shrink_above = 256 * 1024;

result<std::optional<message>> yield(message m) { return std::optional<message>(std::move(m)); }

bool is_known(std::uint8_t id) noexcept {
  return id <= static_cast<std::uint8_t>(msg_id::port) ||
         (id >= static_cast<std::uint8_t>(msg_id::suggest) &&
          id <= static_cast<std::uint8_t>(msg_id::allowed_fast)) ||
         (id >= static_cast<std::uint8_t>(msg_id::extended) &&
          id <= static_cast<std::uint8_t>(msg_id::hash_reject));
}

// Body length (id included) of the messages whose size is fixed; 0 for the others.
std::uint32_t fixed_length(msg_id id) noexcept {
  switch (id) {
    case msg_id::choke:
    case msg_id::unchoke:
    case msg_id::interested:
    case msg_id::not_interested:
    case msg_id::have_all:
    case msg_id::have_none: return 1;
    case msg_id::have:
    case msg_id::suggest:
    case msg_id::allowed_fast: return 5;
    case msg_id::request:
    case msg_id::cancel:
    case msg_id::reject: return 13;
    case msg_id::port: return 3;
    case msg_id::hash_request:
    case msg_id::hash_reject: return 1 + hash_header_size;
    default: return 0;
  }
}

hash_range read_hash_range(const unsigned char* p) noexcept {
  hash_range h;
  std::memcpy(h.pieces_root.bytes.data(), p, 32);
  h.base_layer = get32(p + 32);
  h.index = get32(p + 36);
  h.length = get32(p + 40);
  h.proof_layers = get32(p + 44);
  return h;
}

std::string str(std::uint64_t v) { return std::to_string(v); }

}  // namespace

decoder::decoder(decoder_options opts) : opt_(std::move(opts)) {
  opt_.max_message_size = std::max<std::uint32_t>(opt_.max_message_size,
                                                  std::min<std::uint32_t>(opt_.max_block_size, 0xFFFFFFFFu - 9) + 9);
}

void decoder::set_geometry(std::optional<std::uint32_t> num_pieces, std::optional<std::uint32_t> piece_length) {
  opt_.num_pieces = num_pieces;
  opt_.piece_length = piece_length;
}

const unsigned char* decoder::data() const noexcept {
  return reinterpret_cast<const unsigned char*>(buf_.data()) + begin_;
}

void decoder::consume(std::size_t n) noexcept {
  begin_ += n;
  consumed_ += n;
}

std::uint64_t decoder::bitfield_bytes() const noexcept {
  return opt_.num_pieces ? (std::uint64_t{*opt_.num_pieces} + 7) / 8 : 0;
}

std::size_t decoder::capacity_bound() const noexcept {
  const std::uint64_t frame = std::max<std::uint64_t>(opt_.max_message_size, 1 + bitfield_bytes());
  return static_cast<std::size_t>(4 + frame + opt_.read_ahead);
}

std::size_t decoder::needed() const noexcept {
  const std::size_t avail = buffered();
  auto missing = [avail](std::size_t want) { return want > avail ? want - avail : 0; };
  switch (st_) {
    case state::length: return missing(4);
    case state::id: return missing(1);
    case state::body: return missing(len_ - std::size_t{1});
    case state::piece_head: return missing(8);
    case state::payload: return missing(remaining_);
    case state::skip: return std::min(missing(remaining_), skip_chunk);
    case state::failed: return 0;
  }
  return 0;
}

std::span<std::byte> decoder::prepare(std::size_t size_hint) {
  prepared_ = 0;
  if (st_ == state::failed) return {};
  const std::size_t avail = buffered();
  const std::size_t bound = capacity_bound();
  if (avail >= bound) return {};
  const std::size_t want = std::min(std::max(needed() + opt_.read_ahead, size_hint), bound - avail);
  if (want == 0) return {};
  if (begin_ == end_) begin_ = end_ = 0;
  if (buf_.size() > shrink_above && avail + want <= shrink_above / 4) {
    // A large message needed a large buffer; give the memory back now that it is gone.
    std::vector<std::byte> smaller(avail + want);
    if (avail != 0) std::memcpy(smaller.data(), buf_.data() + begin_, avail);
    buf_.swap(smaller);
    begin_ = 0;
    end_ = avail;
  }
  if (buf_.size() - end_ < want) {
    if (begin_ != 0) {
      if (avail != 0) std::memmove(buf_.data(), buf_.data() + begin_, avail);
      begin_ = 0;
      end_ = avail;
    }
    if (buf_.size() - end_ < want) buf_.resize(end_ + want);
  }
  prepared_ = want;
  return {buf_.data() + end_, want};
}

void decoder::commit(std::size_t n) {
  if (n > prepared_) throw std::invalid_argument("wire::decoder::commit: more bytes than prepare() offered");
  end_ += n;
  prepared_ = 0;
}

std::size_t decoder::feed(std::span<const std::byte> bytes) {
  std::size_t used = 0;
  while (used < bytes.size()) {
    const auto space = prepare(bytes.size() - used);
    if (space.empty()) break;
    const std::size_t n = std::min(space.size(), bytes.size() - used);
    std::memcpy(space.data(), bytes.data() + used, n);
    commit(n);
    used += n;
  }
  return used;
}

error decoder::make(errc e, std::string context) const {
  return error{make_error_code(e), msg_offset_, std::move(context)};
}

tl::unexpected<error> decoder::fail(errc e, std::string context) {
  error_ = make(e, std::move(context));
  st_ = state::failed;
  return tl::unexpected(*error_);
}

std::optional<error> decoder::check_index(std::string_view what, std::uint32_t index) const {
  if (opt_.num_pieces && index >= *opt_.num_pieces)
    return make(errc::piece_index_out_of_range, std::string(what) + ": index " + str(index) +
                                                    ", torrent has " + str(*opt_.num_pieces) + " pieces");
  return std::nullopt;
}

std::optional<error> decoder::check_block(std::string_view what, std::uint32_t index, std::uint32_t begin,
                                          std::uint32_t length) const {
  // Context strings are built only on the error paths: this runs for every block message.
  auto where = [&] {
    return std::string(what) + ": piece " + str(index) + " begin " + str(begin) + " length " + str(length);
  };
  if (length == 0) return make(errc::empty_block, where());
  if (length > opt_.max_block_size)
    return make(errc::block_too_large, where() + ", limit " + str(opt_.max_block_size));
  if (auto e = check_index(what, index)) return e;
  if (opt_.piece_length && std::uint64_t{begin} + length > *opt_.piece_length)
    return make(errc::block_out_of_range, where() + ", piece length " + str(*opt_.piece_length));
  return std::nullopt;
}

// Called when the id byte is in: everything that can be judged from the id and the length.
std::optional<error> decoder::check_frame() const {
  const auto id = static_cast<msg_id>(id_);
  auto what = [&] { return is_known(id_) ? std::string(name(id)) : "message " + str(id_); };
  switch (id) {
    case msg_id::suggest:
    case msg_id::have_all:
    case msg_id::have_none:
    case msg_id::reject:
    case msg_id::allowed_fast:
      if (!opt_.negotiated.fast) return make(errc::not_negotiated, what() + " without the fast extension");
      break;
    case msg_id::extended:
      if (!opt_.negotiated.extended)
        return make(errc::not_negotiated, what() + " without the extension protocol");
      break;
    case msg_id::hash_request:
    case msg_id::hashes:
    case msg_id::hash_reject:
      if (!opt_.negotiated.v2) return make(errc::not_negotiated, what() + " without v2 support");
      break;
    default: break;
  }
  if (id == msg_id::piece) {
    if (len_ < 9) return make(errc::invalid_message_length, what() + ": length " + str(len_) + ", minimum 9");
    if (len_ == 9) return make(errc::empty_block, what() + ": no block bytes");
    if (len_ - 9 > opt_.max_block_size)
      return make(errc::block_too_large,
                  what() + ": block of " + str(len_ - 9) + " bytes, limit " + str(opt_.max_block_size));
  }
  std::uint64_t limit = opt_.max_message_size;
  if (id == msg_id::bitfield) limit = std::max(limit, 1 + bitfield_bytes());
  if (len_ > limit)
    return make(errc::message_too_large, what() + ": " + str(len_) + " bytes, limit " + str(limit));
  if (!is_known(id_)) return std::nullopt;
  if (const auto fixed = fixed_length(id); fixed != 0 && len_ != fixed)
    return make(errc::invalid_message_length, what() + ": length " + str(len_) + ", expected " + str(fixed));
  if (id == msg_id::bitfield && opt_.num_pieces && len_ != 1 + bitfield_bytes())
    return make(errc::bitfield_size_mismatch, what() + ": " + str(len_ - 1) + " bytes for " +
                                                  str(*opt_.num_pieces) + " pieces, expected " +
                                                  str(bitfield_bytes()));
  if (id == msg_id::extended && len_ < 2)
    return make(errc::invalid_message_length, what() + ": length " + str(len_) + ", minimum 2");
  if (id == msg_id::hashes && len_ < 1 + hash_header_size)
    return make(errc::invalid_message_length,
                what() + ": length " + str(len_) + ", minimum " + str(1 + hash_header_size));
  return std::nullopt;
}

// The body (after the id) of a known, non-piece message whose length check_frame() accepted.
result<message> decoder::parse_body(const unsigned char* p, std::size_t n) const {
  auto fail_with = [](error e) -> result<message> { return tl::unexpected(std::move(e)); };
  switch (static_cast<msg_id>(id_)) {
    case msg_id::choke: return choke{};
    case msg_id::unchoke: return unchoke{};
    case msg_id::interested: return interested{};
    case msg_id::not_interested: return not_interested{};
    case msg_id::have_all: return have_all{};
    case msg_id::have_none: return have_none{};
    case msg_id::have:
      if (auto e = check_index("have", get32(p))) return fail_with(std::move(*e));
      return have{get32(p)};
    case msg_id::suggest:
      if (auto e = check_index("suggest", get32(p))) return fail_with(std::move(*e));
      return suggest{get32(p)};
    case msg_id::allowed_fast:
      if (auto e = check_index("allowed_fast", get32(p))) return fail_with(std::move(*e));
      return allowed_fast{get32(p)};
    case msg_id::bitfield: {
      if (opt_.num_pieces && n != 0) {
        const std::uint32_t tail = *opt_.num_pieces % 8;
        const auto spare = static_cast<unsigned>(tail == 0 ? 0u : 0xFFu >> tail);
        if ((p[n - 1] & spare) != 0)
          return fail_with(make(errc::bitfield_spare_bits,
                                "bitfield: last byte " + str(p[n - 1]) + " for " + str(*opt_.num_pieces) +
                                    " pieces"));
      }
      return bitfield{std::span<const std::uint8_t>(p, n)};
    }
    case msg_id::request:
    case msg_id::cancel:
    case msg_id::reject: {
      const auto id = static_cast<msg_id>(id_);
      const std::uint32_t index = get32(p), begin = get32(p + 4), length = get32(p + 8);
      if (auto e = check_block(name(id), index, begin, length)) return fail_with(std::move(*e));
      if (id == msg_id::request) return request{index, begin, length};
      if (id == msg_id::cancel) return cancel{index, begin, length};
      return reject{index, begin, length};
    }
    case msg_id::port: return port{get16(p)};
    case msg_id::extended:
      return extended{p[0], std::string_view(reinterpret_cast<const char*>(p + 1), n - 1)};
    case msg_id::hash_request: return hash_request{read_hash_range(p)};
    case msg_id::hash_reject: return hash_reject{read_hash_range(p)};
    case msg_id::hashes: {
      const hash_range h = read_hash_range(p);
      auto what = [&h] { return "hashes: length " + str(h.length) + " proof layers " + str(h.proof_layers); };
      if (h.length == 0 || h.length > opt_.max_hash_count)
        return fail_with(make(errc::invalid_hash_count, what() + ", limit " + str(opt_.max_hash_count)));
      // One uncle per layer from the range's own subtree root (height log2(length) above the base)
      // up to base + proof_layers; the layers inside the range carry none (as libtorrent sends).
      const auto covered = static_cast<std::uint64_t>(std::bit_width(h.length - 1));
      const std::uint64_t reach = std::uint64_t{h.proof_layers} + 1;
      const std::uint64_t uncles = reach > covered ? reach - covered : 0;
      const std::uint64_t expected = (std::uint64_t{h.length} + uncles) * 32;
      const std::size_t got = n - hash_header_size;
      if (got != expected)
        return fail_with(make(errc::hashes_size_mismatch,
                              what() + ": " + str(got) + " hash bytes, expected " + str(expected)));
      return hashes{h, std::as_bytes(std::span<const unsigned char>(p + hash_header_size, got))};
    }
    case msg_id::piece: break;  // handled by the piece_head state
  }
  return fail_with(make(errc::invalid_message_length, "unexpected message id " + str(id_)));
}

result<std::optional<message>> decoder::next() {
  if (error_) return tl::unexpected(*error_);
  for (;;) {
    const std::size_t avail = buffered();
    switch (st_) {
      case state::length:
        if (avail < 4) return std::nullopt;
        msg_offset_ = consumed_;
        len_ = get32(data());
        consume(4);
        if (len_ == 0) return yield(keep_alive{});
        st_ = state::id;
        continue;
      case state::id: {
        if (avail < 1) return std::nullopt;
        id_ = *data();
        if (auto e = check_frame()) {
          error_ = std::move(*e);
          st_ = state::failed;
          return tl::unexpected(*error_);
        }
        consume(1);
        if (id_ == static_cast<std::uint8_t>(msg_id::piece)) {
          st_ = state::piece_head;
        } else if (is_known(id_)) {
          st_ = state::body;
        } else {
          if (++unknown_count_ > opt_.max_unknown_messages)
            return fail(errc::too_many_unknown_messages,
                        "message " + str(id_) + ": " + str(unknown_count_) + " unknown messages, limit " +
                            str(opt_.max_unknown_messages));
          st_ = state::skip;
          remaining_ = len_ - 1;
          return yield(unknown{id_, len_ - 1});
        }
        continue;
      }
      case state::body: {
        const std::size_t n = len_ - std::size_t{1};
        if (avail < n) return std::nullopt;
        auto m = parse_body(data(), n);
        if (!m) {
          error_ = std::move(m.error());
          st_ = state::failed;
          return tl::unexpected(*error_);
        }
        consume(n);
        st_ = state::length;
        return yield(std::move(*m));
      }
      case state::piece_head: {
        if (avail < 8) return std::nullopt;
        const piece_header h{get32(data()), get32(data() + 4), len_ - 9};
        if (auto e = check_block("piece", h.index, h.begin, h.length)) {
          error_ = std::move(*e);
          st_ = state::failed;
          return tl::unexpected(*error_);
        }
        consume(8);
        remaining_ = h.length;
        st_ = state::payload;
        return yield(h);
      }
      case state::payload:
        if (remaining_ > 0) return std::nullopt;
        st_ = state::length;
        continue;
      case state::skip: {
        const std::size_t k = std::min<std::size_t>(avail, remaining_);
        consume(k);
        remaining_ -= static_cast<std::uint32_t>(k);
        if (remaining_ > 0) return std::nullopt;
        st_ = state::length;
        continue;
      }
      case state::failed: return tl::unexpected(*error_);
    }
  }
}

std::span<const std::byte> decoder::buffered_payload() const noexcept {
  if (st_ != state::payload) return {};
  return {buf_.data() + begin_, std::min<std::size_t>(buffered(), remaining_)};
}

std::size_t decoder::take_payload(std::span<std::byte> dst) {
  const auto src = buffered_payload();
  const std::size_t n = std::min(dst.size(), src.size());
  if (n != 0) std::memcpy(dst.data(), src.data(), n);
  payload_consumed(n);
  return n;
}

void decoder::payload_consumed(std::size_t n) {
  if (st_ != state::payload || n > remaining_)
    throw std::invalid_argument("wire::decoder::payload_consumed: more bytes than the block has left");
  const std::size_t from_buffer = std::min(n, buffered_payload().size());
  begin_ += from_buffer;
  consumed_ += n;
  remaining_ -= static_cast<std::uint32_t>(n);
}

void decoder::skip_payload() {
  if (st_ != state::payload) throw std::invalid_argument("wire::decoder::skip_payload: no block pending");
  st_ = state::skip;
}

}  // namespace ccbt::wire
