// The read side of detail::tables: the catalog at open and the full snapshot for load().
// Every value read is checked; a row no ccbt would write is errc::corrupt_record naming the row.
#include <limits>
#include <string>

#include "resume/tables.hpp"

namespace ccbt::resume::detail {
namespace {

std::string torrent_ctx(std::int64_t id) { return "torrent " + std::to_string(id); }

tl::unexpected<error> bad_record(std::string ctx) {
  return make_error(errc::corrupt_record, std::move(ctx));
}

// Columns 0..3 of "SELECT id, info_hash_v1, info_hash_v2, piece_count, ...".
result<catalog_entry> decode_identity(const sql::statement& s) {
  const auto id = s.column_int(0);
  catalog_entry e;
  if (!s.is_null(1)) {
    e.hash.v1 = sha1_hash::from_bytes(s.column_blob(1));
    if (!e.hash.v1) return bad_record(torrent_ctx(id) + " info_hash_v1 is not 20 bytes");
  }
  if (!s.is_null(2)) {
    e.hash.v2 = sha256_hash::from_bytes(s.column_blob(2));
    if (!e.hash.v2) return bad_record(torrent_ctx(id) + " info_hash_v2 is not 32 bytes");
  }
  if (!e.hash.v1 && !e.hash.v2) return bad_record(torrent_ctx(id) + " has no info-hash");
  const auto n = s.column_int(3);
  if (n < 0 || n > std::int64_t{std::numeric_limits<std::uint32_t>::max()}) {
    return bad_record(torrent_ctx(id) + " piece_count " + std::to_string(n));
  }
  e.piece_count = static_cast<std::uint32_t>(n);
  return e;
}

template <class F>
result<void> for_each_row(sql::database& db, const char* sql_text, std::string_view what, F&& f) {
  auto st = sql::statement::prepare(db, sql_text, what);
  if (!st) return tl::unexpected(std::move(st.error()));
  for (;;) {
    auto row = st->step();
    if (!row) return tl::unexpected(std::move(row.error()));
    if (!*row) return {};
    if (auto r = f(*st); !r) return r;
  }
}

}  // namespace

result<std::unordered_map<std::int64_t, catalog_entry>> tables::load_catalog() {
  std::unordered_map<std::int64_t, catalog_entry> out;
  auto r = for_each_row(db_, "SELECT id, info_hash_v1, info_hash_v2, piece_count FROM torrents",
                        "reading torrents", [&](const sql::statement& s) -> result<void> {
                          auto e = decode_identity(s);
                          if (!e) return tl::unexpected(std::move(e.error()));
                          out.emplace(s.column_int(0), std::move(*e));
                          return {};
                        });
  if (!r) return tl::unexpected(std::move(r.error()));
  return out;
}

result<snapshot> tables::load_snapshot() {
  snapshot snap;
  std::unordered_map<std::int64_t, std::size_t> index;  // id -> position in snap.torrents
  auto torrent_of = [&](std::int64_t id) -> torrent_resume* {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &snap.torrents[it->second];
  };

  auto r = for_each_row(
      db_,
      "SELECT id, info_hash_v1, info_hash_v2, piece_count, name, save_path, metainfo, magnet_uri,"
      " state, queue_position, added_at FROM torrents ORDER BY id",
      "reading torrents", [&](const sql::statement& s) -> result<void> {
        const auto id = s.column_int(0);
        auto e = decode_identity(s);
        if (!e) return tl::unexpected(std::move(e.error()));
        torrent_resume t;
        t.id = static_cast<torrent_id>(id);
        t.record.hash = e->hash;
        t.record.piece_count = e->piece_count;
        t.record.name = s.column_text(4);
        t.record.save_path = s.column_text(5);
        t.record.metainfo = s.column_blob(6);
        t.record.magnet_uri = s.column_text(7);
        const auto state = parse_state(s.column_text(8));
        if (!state) {
          return bad_record(torrent_ctx(id) + " state '" + std::string(s.column_text(8)) + "'");
        }
        t.record.state = *state;
        t.record.queue_position = s.column_int(9);
        t.record.added_at = s.column_int(10);
        t.verified = bitfield(e->piece_count);
        index.emplace(id, snap.torrents.size());
        snap.torrents.push_back(std::move(t));
        return {};
      });
  if (!r) return tl::unexpected(std::move(r.error()));

  r = for_each_row(db_, "SELECT torrent_id, key, value FROM torrent_settings", "reading torrent settings",
                   [&](const sql::statement& s) -> result<void> {
                     if (auto* t = torrent_of(s.column_int(0))) {
                       t->record.settings.emplace(s.column_text(1), s.column_text(2));
                     }
                     return {};
                   });
  if (!r) return tl::unexpected(std::move(r.error()));

  r = for_each_row(
      db_,
      "SELECT torrent_id, file_index, size, mtime_ns, priority FROM files"
      " ORDER BY torrent_id, file_index",
      "reading files", [&](const sql::statement& s) -> result<void> {
        auto* t = torrent_of(s.column_int(0));
        if (!t) return {};
        const auto ctx = torrent_ctx(s.column_int(0)) + " file " + std::to_string(s.column_int(1));
        const auto idx = s.column_int(1);
        const auto prio = s.column_int(4);
        if (idx < 0 || idx > std::int64_t{std::numeric_limits<std::uint32_t>::max()}) {
          return bad_record(ctx + ": index out of range");
        }
        if (prio < std::numeric_limits<std::int32_t>::min() ||
            prio > std::numeric_limits<std::int32_t>::max()) {
          return bad_record(ctx + ": priority out of range");
        }
        file_record f;
        f.index = static_cast<std::uint32_t>(idx);
        f.priority = static_cast<std::int32_t>(prio);
        if (s.is_null(2) != s.is_null(3)) return bad_record(ctx + ": size without mtime");
        if (!s.is_null(2)) {
          if (s.column_int(2) < 0) return bad_record(ctx + ": negative size");
          f.stat = file_stat{static_cast<std::uint64_t>(s.column_int(2)), s.column_int(3)};
        }
        t->files.push_back(f);
        return {};
      });
  if (!r) return tl::unexpected(std::move(r.error()));

  r = for_each_row(db_, "SELECT torrent_id, bits FROM piece_bitfields", "reading bitfields",
                   [&](const sql::statement& s) -> result<void> {
                     auto* t = torrent_of(s.column_int(0));
                     if (!t) return {};
                     auto b = bitfield::from_bytes(t->record.piece_count, s.column_blob(1));
                     if (!b) {
                       return bad_record(torrent_ctx(s.column_int(0)) + " bitfield: " +
                                         b.error().context);
                     }
                     t->verified = std::move(*b);
                     return {};
                   });
  if (!r) return tl::unexpected(std::move(r.error()));

  r = for_each_row(db_, "SELECT torrent_id, piece FROM verified_pieces", "reading the piece journal",
                   [&](const sql::statement& s) -> result<void> {
                     auto* t = torrent_of(s.column_int(0));
                     if (!t) return {};
                     const auto p = s.column_int(1);
                     if (p < 0 || p >= std::int64_t{t->verified.size()}) {
                       return bad_record(torrent_ctx(s.column_int(0)) + " journal: piece " +
                                         std::to_string(p) + " of " +
                                         std::to_string(t->verified.size()));
                     }
                     t->verified.set(static_cast<std::uint32_t>(p));
                     return {};
                   });
  if (!r) return tl::unexpected(std::move(r.error()));

  r = for_each_row(db_, "SELECT key, value FROM session_settings", "reading session settings",
                   [&](const sql::statement& s) -> result<void> {
                     snap.session_settings.emplace(s.column_text(0), s.column_text(1));
                     return {};
                   });
  if (!r) return tl::unexpected(std::move(r.error()));
  return snap;
}

}  // namespace ccbt::resume::detail
