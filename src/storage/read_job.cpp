// The read side of disk_io: async_read (a copy into a pooled buffer) and async_read_view (seeding:
// segments of the files' mappings, or that copy where mapping does not apply). See
// docs/design/storage.md, "Reads for seeding".
#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "storage/disk_io.hpp"
#include "storage/disk_io_impl.hpp"
#include "storage/error.hpp"

namespace ccbt::storage {
namespace {


// Checks a read of [offset, offset + length) of `piece` and queues job(storage_state&) on a worker
// (reads go first), or posts the error to `handler`.
template <class T, class Job>
void queue_read(disk_io::impl& d, storage_index s, std::uint32_t piece, std::uint32_t offset, std::uint32_t length,
                std::function<void(result<T>)> handler, Job job) {
  outbox out;
  {
    std::lock_guard lock(d.m);
    storage_state* st = d.find_locked(s);
    ccbt::error err;
    if (st == nullptr) {
      err = storage_error(errc::unknown_storage);
    } else if (st->removing) {
      err = storage_error(errc::storage_removed);
    } else {
      const auto& info = *st->cfg->info;
      const std::uint32_t size = info.piece_size(piece);
      if (piece >= info.num_pieces()) {
        err = storage_error(errc::invalid_piece, "piece " + std::to_string(piece));
      } else if (length == 0 || length > d.cfg.max_read_bytes || offset >= size || length > size - offset) {
        err = storage_error(errc::invalid_read, "piece " + std::to_string(piece) + " offset " + std::to_string(offset));
      } else {
        d.push_job(*st, true, [&d, st, job = std::move(job), h = std::move(handler)]() mutable {
          result<T> r = job(*st);
          outbox o;
          post_result(o, std::move(h), std::move(r));
          {
            std::lock_guard l(d.m);
            d.job_done_locked(*st, o);
          }
          d.flush_outbox(o);
        });
        return;
      }
    }
    post_result<result<T>>(out, std::move(handler), tl::unexpected(std::move(err)));
  }
  d.flush_outbox(out);
}

}  // namespace

result<disk_buffer> disk_io::impl::read_copy(storage_state& st, std::uint32_t piece, std::uint32_t offset,
                                             std::uint32_t length) {
  disk_buffer buf = pool.allocate(length);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> holes;  // piece-relative [begin, end)
  std::shared_ptr<const storage_config> config;
  {
    std::lock_guard l(m);
    config = st.cfg;
    auto it = st.pieces.find(piece);
    const piece_state* ps = it == st.pieces.end() ? nullptr : it->second.get();
    const std::uint32_t end = offset + length;
    for (std::uint32_t b = offset / block_size; b * block_size < end; ++b) {
      const std::uint32_t lo = std::max(offset, b * block_size);
      const std::uint32_t hi = std::min(end, b * block_size + block_size);
      if (ps != nullptr && !ps->slots[b].buf.empty()) {
        std::memcpy(buf.data() + (lo - offset), ps->slots[b].buf.data() + (lo - b * block_size), hi - lo);
      } else if (!holes.empty() && holes.back().second == lo) {
        holes.back().second = hi;
      } else {
        holes.emplace_back(lo, hi);
      }
    }
  }
  const std::uint64_t start = std::uint64_t{piece} * config->info->piece_length();
  for (const auto& [lo, hi] : holes) {
    auto rr = read_range(env(), *config, start + lo, buf.data() + (lo - offset), hi - lo);
    if (!rr) return tl::unexpected(std::move(rr.error()));
  }
  bytes_read.fetch_add(length, std::memory_order_relaxed);
  return buf;
}

std::optional<read_view> disk_io::impl::read_mapped(storage_state& st, std::uint32_t piece, std::uint32_t offset,
                                                    std::uint32_t length) {
  std::shared_ptr<const storage_config> config;
  {
    std::lock_guard l(m);
    config = st.cfg;
    // Blocks still in the write-back buffer are newer than the files: the copy path serves them.
    if (auto it = st.pieces.find(piece); it != st.pieces.end()) {
      const std::uint32_t end = offset + length;
      for (std::uint32_t b = offset / block_size; b * block_size < end; ++b)
        if (!it->second->slots[b].buf.empty()) return std::nullopt;
    }
  }
  const auto& entries = config->info->files();
  read_view view;
  bool usable = true;
  const std::uint64_t start = std::uint64_t{piece} * config->info->piece_length() + offset;
  for_each_slice(entries, start, length, [&](const range_slice& s) {
    if (!usable) return;
    if (s.pad) {
      view.add_zeros(static_cast<std::size_t>(s.length));
      return;
    }
    // Anything unusual (the file is missing, shorter than the range, cannot be mapped, was
    // truncated since it was mapped) goes to the pread path, which reports it as it always did.
    auto h = files.open(config->id, s.file_index, config->save, entries[s.file_index], open_mode::read, cfg.prealloc);
    if (!h) {
      usable = false;
      return;
    }
    auto map = (*h)->mapping(s.file_offset, s.file_offset + s.length);
    if (!map) {
      usable = false;
      return;
    }
    if (!map->populate(s.file_offset, s.length)) {
      (*h)->drop_mapping(map.get());
      usable = false;
      return;
    }
    view.add_mapped(map, map->at(s.file_offset), static_cast<std::size_t>(s.length));
  });
  if (!usable || view.size() != length) return std::nullopt;
  mapped_reads.fetch_add(1, std::memory_order_relaxed);
  bytes_read.fetch_add(length, std::memory_order_relaxed);
  return view;
}

void disk_io::async_read(storage_index s, std::uint32_t piece, std::uint32_t offset, std::uint32_t length,
                         std::function<void(result<disk_buffer>)> handler) {
  auto& d = *impl_;
  queue_read<disk_buffer>(d, s, piece, offset, length, std::move(handler),
                          [&d, piece, offset, length](storage_state& st) { return d.read_copy(st, piece, offset, length); });
}

void disk_io::async_read_view(storage_index s, std::uint32_t piece, std::uint32_t offset, std::uint32_t length,
                              std::function<void(result<read_view>)> handler) {
  auto& d = *impl_;
  queue_read<read_view>(d, s, piece, offset, length, std::move(handler),
                        [&d, piece, offset, length](storage_state& st) -> result<read_view> {
                          if (d.cfg.reads == read_mode::mmap) {
                            if (auto v = d.read_mapped(st, piece, offset, length)) return std::move(*v);
                          }
                          auto buf = d.read_copy(st, piece, offset, length);
                          if (!buf) return tl::unexpected(std::move(buf.error()));
                          return read_view(std::move(*buf));
                        });
}

}  // namespace ccbt::storage
