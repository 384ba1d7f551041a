#include "resume/tables.hpp"

#include <limits>
#include <string>

namespace ccbt::resume::detail {
namespace {

#define TRY(expr)                                                  \
  do {                                                             \
    if (auto r_ = (expr); !r_) return tl::unexpected(std::move(r_.error())); \
  } while (0)

std::string torrent_ctx(std::int64_t id) { return "torrent " + std::to_string(id); }

tl::unexpected<error> bad_record(std::string ctx) {
  return make_error(errc::corrupt_record, std::move(ctx));
}

template <class Digest>
void bind_hash(sql::statement& st, int i, const std::optional<Digest>& h) {
  if (h) {
    st.bind_blob(i, h->span());
  } else {
    st.bind_null(i);
  }
}

}  // namespace

result<sql::statement*> tables::stmt(const char* sql_text, std::string_view what) {
  auto it = cache_.find(sql_text);
  if (it == cache_.end()) {
    auto st = sql::statement::prepare(db_, sql_text, what);
    if (!st) return tl::unexpected(std::move(st.error()));
    it = cache_.emplace(sql_text, std::move(*st)).first;
  }
  return &it->second;
}

// ---- writes ------------------------------------------------------------------------------------

result<void> tables::insert_torrent(std::int64_t id, const torrent_record& rec,
                                    std::span<const file_record> files) {
  auto st = stmt(
      "INSERT INTO torrents (id, info_hash_v1, info_hash_v2, name, save_path, metainfo, magnet_uri,"
      " piece_count, state, queue_position, added_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
      "adding a torrent");
  if (!st) return tl::unexpected(std::move(st.error()));
  auto& s = **st;
  s.bind(1, id);
  bind_hash(s, 2, rec.hash.v1);
  bind_hash(s, 3, rec.hash.v2);
  s.bind_text(4, rec.name).bind_text(5, rec.save_path);
  if (rec.metainfo.empty()) {
    s.bind_null(6);
  } else {
    s.bind_blob(6, rec.metainfo);
  }
  if (rec.magnet_uri.empty()) {
    s.bind_null(7);
  } else {
    s.bind_text(7, rec.magnet_uri);
  }
  s.bind(8, std::int64_t{rec.piece_count})
      .bind_text(9, to_string(rec.state))
      .bind(10, rec.queue_position)
      .bind(11, rec.added_at);
  TRY(s.run());
  for (const auto& [k, v] : rec.settings) TRY(upsert_setting(id, k, v));
  return write_files(id, files);
}

result<void> tables::write_files(std::int64_t id, std::span<const file_record> files) {
  auto st = stmt(
      "INSERT OR REPLACE INTO files (torrent_id, file_index, size, mtime_ns, priority)"
      " VALUES (?1,?2,?3,?4,?5)",
      "writing files");
  if (!st) return tl::unexpected(std::move(st.error()));
  for (const auto& f : files) {
    auto& s = **st;
    s.bind(1, id).bind(2, std::int64_t{f.index});
    if (f.stat) {
      s.bind(3, static_cast<std::int64_t>(f.stat->size)).bind(4, f.stat->mtime_ns);
    } else {
      s.bind_null(3).bind_null(4);
    }
    s.bind(5, std::int64_t{f.priority});
    TRY(s.run());
  }
  return {};
}

result<void> tables::delete_torrent(std::int64_t id) {
  // ON DELETE CASCADE removes settings, files, bitfield and journal rows.
  auto st = stmt("DELETE FROM torrents WHERE id = ?1", "removing a torrent");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).run();
}

result<void> tables::update_state(std::int64_t id, torrent_state s) {
  auto st = stmt("UPDATE torrents SET state = ?2 WHERE id = ?1", "setting a torrent's state");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).bind_text(2, to_string(s)).run();
}

result<void> tables::update_queue_position(std::int64_t id, std::int64_t pos) {
  auto st = stmt("UPDATE torrents SET queue_position = ?2 WHERE id = ?1", "setting a queue position");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).bind(2, pos).run();
}

result<void> tables::update_save_path(std::int64_t id, std::string_view path) {
  auto st = stmt("UPDATE torrents SET save_path = ?2 WHERE id = ?1", "setting a save path");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).bind_text(2, path).run();
}

result<void> tables::update_metadata(std::int64_t id, std::string_view name,
                                     std::string_view metainfo, std::uint32_t piece_count,
                                     std::span<const file_record> files) {
  auto old = piece_count_of(id);
  if (!old) return tl::unexpected(std::move(old.error()));
  auto st = stmt("UPDATE torrents SET name = ?2, metainfo = ?3, piece_count = ?4 WHERE id = ?1",
                 "storing metadata");
  if (!st) return tl::unexpected(std::move(st.error()));
  (*st)->bind(1, id).bind_text(2, name).bind_blob(3, metainfo).bind(4, std::int64_t{piece_count});
  TRY((*st)->run());
  if (*old != piece_count) TRY(replace_pieces(id, bitfield(piece_count)));
  auto del = stmt("DELETE FROM files WHERE torrent_id = ?1", "replacing files");
  if (!del) return tl::unexpected(std::move(del.error()));
  TRY((*del)->bind(1, id).run());
  return write_files(id, files);
}

result<void> tables::upsert_setting(std::int64_t id, std::string_view key, std::string_view value) {
  auto st = stmt("INSERT OR REPLACE INTO torrent_settings (torrent_id, key, value) VALUES (?1,?2,?3)",
                 "writing a torrent setting");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).bind_text(2, key).bind_text(3, value).run();
}

result<void> tables::delete_setting(std::int64_t id, std::string_view key) {
  auto st = stmt("DELETE FROM torrent_settings WHERE torrent_id = ?1 AND key = ?2",
                 "erasing a torrent setting");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).bind_text(2, key).run();
}

result<void> tables::update_file_priority(std::int64_t id, std::uint32_t file, std::int32_t prio) {
  auto st = stmt(
      "INSERT INTO files (torrent_id, file_index, priority) VALUES (?1,?2,?3)"
      " ON CONFLICT (torrent_id, file_index) DO UPDATE SET priority = excluded.priority",
      "setting a file priority");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).bind(2, std::int64_t{file}).bind(3, std::int64_t{prio}).run();
}

result<void> tables::upsert_file_stats(std::int64_t id, std::span<const disk_file> files) {
  auto st = stmt(
      "INSERT INTO files (torrent_id, file_index, size, mtime_ns) VALUES (?1,?2,?3,?4)"
      " ON CONFLICT (torrent_id, file_index) DO UPDATE SET size = excluded.size,"
      " mtime_ns = excluded.mtime_ns",
      "recording file stats");
  if (!st) return tl::unexpected(std::move(st.error()));
  for (const auto& f : files) {
    auto& s = **st;
    s.bind(1, id).bind(2, std::int64_t{f.index});
    if (f.stat) {
      s.bind(3, static_cast<std::int64_t>(f.stat->size)).bind(4, f.stat->mtime_ns);
    } else {
      s.bind_null(3).bind_null(4);
    }
    TRY(s.run());
  }
  return {};
}

result<void> tables::insert_piece(std::int64_t id, std::uint32_t piece) {
  auto st = stmt("INSERT OR IGNORE INTO verified_pieces (torrent_id, piece) VALUES (?1,?2)",
                 "recording a verified piece");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).bind(2, std::int64_t{piece}).run();
}

result<void> tables::remove_piece(std::int64_t id, std::uint32_t piece) {
  auto del = stmt("DELETE FROM verified_pieces WHERE torrent_id = ?1 AND piece = ?2",
                  "unverifying a piece");
  if (!del) return tl::unexpected(std::move(del.error()));
  TRY((*del)->bind(1, id).bind(2, std::int64_t{piece}).run());
  auto count = piece_count_of(id);
  if (!count) return tl::unexpected(std::move(count.error()));
  auto bits = read_bitfield(id, *count);
  if (!bits) return tl::unexpected(std::move(bits.error()));
  if (piece < bits->size() && bits->test(piece)) {
    bits->reset(piece);
    return write_bitfield(id, *bits);
  }
  return {};
}

result<void> tables::replace_pieces(std::int64_t id, const bitfield& pieces) {
  auto del = stmt("DELETE FROM verified_pieces WHERE torrent_id = ?1", "clearing the piece journal");
  if (!del) return tl::unexpected(std::move(del.error()));
  TRY((*del)->bind(1, id).run());
  return write_bitfield(id, pieces);
}

result<void> tables::upsert_session_value(std::string_view key, std::string_view value) {
  auto st = stmt("INSERT OR REPLACE INTO session_settings (key, value) VALUES (?1,?2)",
                 "writing a session setting");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind_text(1, key).bind_text(2, value).run();
}

result<void> tables::delete_session_value(std::string_view key) {
  auto st = stmt("DELETE FROM session_settings WHERE key = ?1", "erasing a session setting");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind_text(1, key).run();
}

result<std::uint32_t> tables::piece_count_of(std::int64_t id) {
  auto st = stmt("SELECT piece_count FROM torrents WHERE id = ?1", "reading a piece count");
  if (!st) return tl::unexpected(std::move(st.error()));
  auto& s = **st;
  s.bind(1, id);
  auto row = s.step();
  if (!row) return tl::unexpected(std::move(row.error()));
  const bool found = *row;
  const std::int64_t n = found ? s.column_int(0) : 0;
  s.reset();
  if (!found) return make_error(errc::unknown_torrent, torrent_ctx(id));
  if (n < 0 || n > std::int64_t{std::numeric_limits<std::uint32_t>::max()}) {
    return bad_record(torrent_ctx(id) + " piece_count " + std::to_string(n));
  }
  return static_cast<std::uint32_t>(n);
}

result<bitfield> tables::read_bitfield(std::int64_t id, std::uint32_t piece_count) {
  auto st = stmt("SELECT bits FROM piece_bitfields WHERE torrent_id = ?1", "reading a bitfield");
  if (!st) return tl::unexpected(std::move(st.error()));
  auto& s = **st;
  s.bind(1, id);
  auto row = s.step();
  if (!row) return tl::unexpected(std::move(row.error()));
  if (!*row) {
    s.reset();
    return bitfield(piece_count);
  }
  auto b = bitfield::from_bytes(piece_count, s.column_blob(0));
  s.reset();
  if (!b) return bad_record(torrent_ctx(id) + " bitfield: " + b.error().context);
  return b;
}

result<void> tables::write_bitfield(std::int64_t id, const bitfield& b) {
  auto st = stmt("INSERT OR REPLACE INTO piece_bitfields (torrent_id, bits) VALUES (?1,?2)",
                 "writing a bitfield");
  if (!st) return tl::unexpected(std::move(st.error()));
  return (*st)->bind(1, id).bind_blob(2, b.view()).run();
}

result<void> tables::compact(std::int64_t id) {
  auto count = piece_count_of(id);
  if (!count) return tl::unexpected(std::move(count.error()));
  auto bits = read_bitfield(id, *count);
  if (!bits) return tl::unexpected(std::move(bits.error()));
  auto sel = stmt("SELECT piece FROM verified_pieces WHERE torrent_id = ?1", "reading the piece journal");
  if (!sel) return tl::unexpected(std::move(sel.error()));
  auto& s = **sel;
  s.bind(1, id);
  for (;;) {
    auto row = s.step();
    if (!row) return tl::unexpected(std::move(row.error()));
    if (!*row) break;
    const auto p = s.column_int(0);
    if (p < 0 || p >= std::int64_t{bits->size()}) {
      s.reset();
      return bad_record(torrent_ctx(id) + " journal: piece " + std::to_string(p) + " of " +
                        std::to_string(bits->size()));
    }
    bits->set(static_cast<std::uint32_t>(p));
  }
  s.reset();
  return replace_pieces(id, *bits);
}

result<std::unordered_map<std::int64_t, std::uint64_t>> tables::journal_sizes() {
  std::unordered_map<std::int64_t, std::uint64_t> out;
  auto st = sql::statement::prepare(
      db_, "SELECT torrent_id, count(*) FROM verified_pieces GROUP BY torrent_id", "sizing journals");
  if (!st) return tl::unexpected(std::move(st.error()));
  for (;;) {
    auto row = st->step();
    if (!row) return tl::unexpected(std::move(row.error()));
    if (!*row) break;
    out[st->column_int(0)] = static_cast<std::uint64_t>(st->column_int(1));
  }
  return out;
}

}  // namespace ccbt::resume::detail
