// resume_store: the in-memory catalog and queue (caller side) and the writer thread that commits
// the queue in batches. SQL lives in tables.cpp / tables_read.cpp, the schema in schema.cpp.
#include "resume/resume_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "resume/schema.hpp"
#include "resume/sqlite.hpp"
#include "resume/tables.hpp"

namespace ccbt::resume {
namespace {

using clock = std::chrono::steady_clock;
using journal_map = std::unordered_map<std::int64_t, std::uint64_t>;

// What a queued change may touch on the writer thread.
struct writer_ctx {
  detail::tables& tables;
  journal_map& journal_rows;  // journal rows per torrent since its last compaction (approximate)
};

struct piece_change {
  std::int64_t torrent;
  std::uint32_t piece;
};

// A change other than a verified piece. `pos` is the number of piece changes queued before it, so
// the writer applies everything in the order it was made. `apply` may run more than once (a
// failed batch is retried), so it must not consume what it captured.
struct change {
  std::size_t pos;
  std::function<result<void>(writer_ctx&)> apply;
};

struct batch {
  std::vector<piece_change> pieces;
  std::vector<change> changes;
  [[nodiscard]] bool empty() const noexcept { return pieces.empty() && changes.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return pieces.size() + changes.size(); }
};

tl::unexpected<error> no_torrent(torrent_id t) {
  return make_error(errc::unknown_torrent, "torrent " + std::to_string(static_cast<std::int64_t>(t)));
}

}  // namespace

struct resume_store::impl {
  store_options opts;

  // The connection; the writer holds db_mu while it commits, load() and close() while they read.
  std::mutex db_mu;
  detail::tables tables;
  journal_map journal_rows;  // under db_mu

  // Everything below is under mu.
  mutable std::mutex mu;
  std::condition_variable wake;  // the writer waits on it
  std::condition_variable done;  // flush() waits on it
  std::unordered_map<std::int64_t, detail::catalog_entry> catalog;
  std::map<sha1_hash, std::int64_t> by_v1;
  std::map<sha256_hash, std::int64_t> by_v2;
  std::int64_t next_id = 1;
  batch pending;
  clock::time_point first_pending{};
  clock::time_point retry_at{};
  seq_t issued = 0;
  seq_t durable = 0;
  seq_t urgent_until = 0;  // flush() wants everything up to here committed now
  std::uint64_t failures = 0;
  std::optional<error> last_error;
  bool closed = false;    // no new changes
  bool stopping = false;  // the writer commits what is left and exits
  bool writer_done = false;
  bool close_started = false;
  store_stats st;
  std::thread writer;

  impl(store_options o, detail::tables t) : opts(std::move(o)), tables(std::move(t)) {}

  // --- caller side (mu held) ---

  // The common shape of a change that needs only a known torrent: check it, queue the change.
  template <class F>
  result<seq_t> push_for(torrent_id t, F change) {
    std::lock_guard lk(mu);
    if (auto e = find(t); !e) return tl::unexpected(std::move(e.error()));
    return push([id = static_cast<std::int64_t>(t), change = std::move(change)](writer_ctx& c) { return change(c, id); });
  }

  result<detail::catalog_entry*> find(torrent_id t) {
    if (closed) return make_error(errc::closed);
    auto it = catalog.find(static_cast<std::int64_t>(t));
    if (it == catalog.end()) return no_torrent(t);
    return &it->second;
  }

  void note_queued() {
    if (pending.size() == 1) {
      first_pending = clock::now();
      wake.notify_one();
    } else if (pending.size() >= opts.max_batch) {
      wake.notify_one();
    }
  }

  seq_t push(std::function<result<void>(writer_ctx&)> fn) {
    pending.changes.push_back(change{pending.pieces.size(), std::move(fn)});
    note_queued();
    return ++issued;
  }

  // --- writer side ---

  // Commit now rather than at the end of the interval: closing, flush() waiting, or a full batch
  // (but a full batch does not cut short the pause after a failed commit).
  bool urgent(clock::time_point now) const {
    if (stopping || urgent_until > durable) return true;
    return pending.size() >= opts.max_batch && now >= retry_at;
  }

  result<void> compact_if_due(std::int64_t id, bool all) {
    auto it = journal_rows.find(id);
    if (it == journal_rows.end() || it->second == 0) return {};
    if (!all && it->second < opts.compact_rows) return {};
    if (!all) {
      if (it->second < catalog_piece_count_hint(id) / 8) return {};
    }
    auto r = tables.compact(id);
    if (!r && r.error().code == errc::unknown_torrent) {
      journal_rows.erase(it);  // removed in this batch
      return {};
    }
    if (!r) return r;
    it->second = 0;
    ++compactions_in_batch;
    return {};
  }

  // The piece count as the caller side knows it (may run ahead of the disk; only a threshold).
  std::uint32_t catalog_piece_count_hint(std::int64_t id) {
    std::lock_guard lk(mu);
    auto it = catalog.find(id);
    return it == catalog.end() ? 0 : it->second.piece_count;
  }

  std::uint64_t compactions_in_batch = 0;

  // Applies `b` in one transaction (db_mu held). `all`: fold every journal (close).
  result<void> commit(const batch& b, bool all) {
    compactions_in_batch = 0;
    auto tx = sql::transaction::begin(tables.db(), "starting a batch");
    if (!tx) return tl::unexpected(std::move(tx.error()));
    writer_ctx ctx{tables, journal_rows};
    std::unordered_set<std::int64_t> touched;
    std::size_t pi = 0;
    auto pieces_until = [&](std::size_t end) -> result<void> {
      for (; pi < end; ++pi) {
        const auto& p = b.pieces[pi];
        if (auto r = tables.insert_piece(p.torrent, p.piece); !r) return r;
        ++journal_rows[p.torrent];
        touched.insert(p.torrent);
      }
      return {};
    };
    for (const auto& c : b.changes) {
      if (auto r = pieces_until(c.pos); !r) return r;
      if (auto r = c.apply(ctx); !r) return r;
    }
    if (auto r = pieces_until(b.pieces.size()); !r) return r;
    if (all) {
      std::vector<std::int64_t> ids;
      for (const auto& [id, rows] : journal_rows) ids.push_back(id);
      for (auto id : ids)
        if (auto r = compact_if_due(id, true); !r) return r;
    } else {
      for (auto id : touched)
        if (auto r = compact_if_due(id, false); !r) return r;
    }
    return tx->commit();
  }

  void run() {
    std::unique_lock lk(mu);
    for (;;) {
      wake.wait(lk, [&] { return !pending.empty() || stopping; });
      if (pending.empty()) break;  // stopping with nothing left
      const auto deadline = std::max(first_pending + opts.commit_interval, retry_at);
      for (auto now = clock::now(); !urgent(now) && now < deadline; now = clock::now()) {
        wake.wait_until(lk, deadline);
      }

      batch b = std::exchange(pending, batch{});
      const seq_t last = issued;
      const bool final_batch = stopping;
      lk.unlock();
      const auto t0 = clock::now();
      result<void> r;
      {
        std::lock_guard db_lk(db_mu);
        r = commit(b, false);
      }
      const auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t0);
      lk.lock();
      if (r) {
        durable = last;
        ++st.transactions;
        st.changes_committed += b.size();
        st.pieces_committed += b.pieces.size();
        st.compactions += compactions_in_batch;
        st.last_commit = took;
        st.max_commit = std::max(st.max_commit, took);
      } else {
        ++failures;
        ++st.failed_commits;
        last_error = r.error();
        urgent_until = durable;  // flush() callers get the error; retry after a pause
        retry_at = clock::now() + std::max<std::chrono::milliseconds>(opts.commit_interval,
                                                                       std::chrono::seconds(1));
        // Put the batch back in front of what was queued meanwhile.
        for (auto& c : pending.changes) c.pos += b.pieces.size();
        b.pieces.insert(b.pieces.end(), pending.pieces.begin(), pending.pieces.end());
        b.changes.insert(b.changes.end(), std::make_move_iterator(pending.changes.begin()),
                         std::make_move_iterator(pending.changes.end()));
        pending = std::move(b);
        first_pending = clock::now();
      }
      done.notify_all();
      if (!r && final_batch) break;  // closing: give up, close() reports the error
      if (r && opts.on_durable) {
        lk.unlock();
        opts.on_durable(last);
        lk.lock();
      }
    }
    writer_done = true;
    done.notify_all();
  }
};

// ---- open / close ------------------------------------------------------------------------------

namespace {

result<void> configure(sql::database& db, const store_options& opts) {
  const auto busy = "PRAGMA busy_timeout = " + std::to_string(opts.busy_timeout.count());
  if (auto r = db.exec(busy.c_str(), "setting busy_timeout"); !r) return r;
  // Identify the file before writing anything to it (WAL mode rewrites the header).
  auto version = schema::read_version(db);
  if (!version) return tl::unexpected(std::move(version.error()));
  if (*version > schema::current_version()) {
    return make_error(errc::schema_too_new,
                      db.path() + ": schema version " + std::to_string(*version) +
                          ", this ccbt reads versions up to " + std::to_string(schema::current_version()));
  }
  auto mode = db.query_text("PRAGMA journal_mode = WAL", "enabling WAL");
  if (!mode) return tl::unexpected(std::move(mode.error()));
  if (*mode != "wal") return make_error(errc::io_error, db.path() + ": journal_mode is " + *mode + ", not wal");
  const char* sync = opts.level == durability::power_loss ? "PRAGMA synchronous = FULL"
                                                          : "PRAGMA synchronous = NORMAL";
  if (auto r = db.exec(sync, "setting synchronous"); !r) return r;
  // After a large batch the WAL is cut back to 4 MiB at the next checkpoint.
  if (auto r = db.exec("PRAGMA journal_size_limit = 4194304", "limiting the WAL"); !r) return r;
  if (opts.check_integrity && *version > 0) {
    auto check = db.query_text("PRAGMA quick_check(1)", "checking integrity");
    if (!check) return tl::unexpected(std::move(check.error()));
    if (*check != "ok") return make_error(errc::corrupt, db.path() + ": " + *check);
  }
  // Upgrades run with foreign keys off (a step may rebuild a table; SQLite ignores this pragma
  // inside a transaction) and check them before each step commits.
  auto upgraded = schema::upgrade(db);
  if (!upgraded) return tl::unexpected(std::move(upgraded.error()));
  return db.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
}

}  // namespace

result<std::unique_ptr<resume_store>> resume_store::open(const std::filesystem::path& path,
                                                         store_options opts) {
  // Every error of opening names the file.
  auto named = [&path](error e) {
    const auto p = path.string();
    if (e.context.find(p) == std::string::npos) e.context = e.context.empty() ? p : p + ": " + e.context;
    return tl::unexpected(std::move(e));
  };
  auto db = sql::database::open(path);
  if (!db) return named(std::move(db.error()));
  if (auto r = configure(*db, opts); !r) return named(std::move(r.error()));

  auto p = std::make_unique<impl>(std::move(opts), detail::tables(std::move(*db)));
  auto catalog = p->tables.load_catalog();
  if (!catalog) return named(std::move(catalog.error()));
  auto journals = p->tables.journal_sizes();
  if (!journals) return named(std::move(journals.error()));
  p->journal_rows = std::move(*journals);
  for (auto& [id, e] : *catalog) {
    if (e.hash.v1) p->by_v1.emplace(*e.hash.v1, id);
    if (e.hash.v2) p->by_v2.emplace(*e.hash.v2, id);
    p->next_id = std::max(p->next_id, id + 1);
  }
  p->catalog = std::move(*catalog);
  auto* raw = p.get();
  p->writer = std::thread([raw] { raw->run(); });
  return std::unique_ptr<resume_store>(new resume_store(std::move(p)));
}

resume_store::resume_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

resume_store::~resume_store() { (void)close(); }

result<void> resume_store::close() {
  auto& m = *impl_;
  {
    std::lock_guard lk(m.mu);
    if (m.close_started) return {};
    m.close_started = true;
    m.closed = true;
    m.stopping = true;
  }
  m.wake.notify_all();
  if (m.writer.joinable()) m.writer.join();
  std::optional<error> lost;
  {
    std::lock_guard lk(m.mu);
    if (!m.pending.empty()) {
      lost = m.last_error.value_or(error{make_error_code(errc::io_error), std::nullopt, "closing"});
      lost->context = "closing with " + std::to_string(m.pending.size()) + " changes not written: " + lost->context;
      m.pending = batch{};
    }
  }
  if (lost) return tl::unexpected(std::move(*lost));
  // Fold every journal into its bitfield, so the next open reads one blob per torrent.
  std::lock_guard db_lk(m.db_mu);
  if (auto r = m.commit(batch{}, true); !r) return r;
  std::lock_guard lk(m.mu);
  m.st.compactions += m.compactions_in_batch;
  return {};
}

// ---- reads and durability ----------------------------------------------------------------------

result<snapshot> resume_store::load() {
  if (auto r = flush(); !r) return tl::unexpected(std::move(r.error()));
  std::lock_guard db_lk(impl_->db_mu);
  return impl_->tables.load_snapshot();
}

result<void> resume_store::flush() {
  auto& m = *impl_;
  std::unique_lock lk(m.mu);
  if (m.closed) return make_error(errc::closed);
  const seq_t target = m.issued;
  if (m.durable >= target) return {};
  const auto failures = m.failures;
  m.urgent_until = std::max(m.urgent_until, target);
  m.wake.notify_one();
  m.done.wait(lk, [&] { return m.durable >= target || m.failures != failures || m.writer_done; });
  if (m.durable >= target) return {};
  if (m.last_error) return tl::unexpected(*m.last_error);
  return make_error(errc::closed);
}

seq_t resume_store::durable_seq() const noexcept {
  std::lock_guard lk(impl_->mu);
  return impl_->durable;
}

seq_t resume_store::issued_seq() const noexcept {
  std::lock_guard lk(impl_->mu);
  return impl_->issued;
}

store_stats resume_store::stats() const {
  std::lock_guard lk(impl_->mu);
  auto s = impl_->st;
  s.issued_seq = impl_->issued;
  s.durable_seq = impl_->durable;
  return s;
}

// ---- mutations ---------------------------------------------------------------------------------

result<torrent_id> resume_store::add_torrent(torrent_record rec, std::vector<file_record> files) {
  auto& m = *impl_;
  if (!rec.hash.v1 && !rec.hash.v2) return make_error(errc::invalid_argument, "torrent without an info-hash");
  std::set<std::uint32_t> seen;
  for (const auto& f : files) {
    if (!seen.insert(f.index).second) {
      return make_error(errc::invalid_argument, "file index " + std::to_string(f.index) + " twice");
    }
  }
  std::lock_guard lk(m.mu);
  if (m.closed) return make_error(errc::closed);
  if (rec.hash.v1 && m.by_v1.count(*rec.hash.v1)) {
    return make_error(errc::duplicate_torrent, "v1 " + rec.hash.v1->to_hex());
  }
  if (rec.hash.v2 && m.by_v2.count(*rec.hash.v2)) {
    return make_error(errc::duplicate_torrent, "v2 " + rec.hash.v2->to_hex());
  }
  const std::int64_t id = m.next_id++;
  m.catalog.emplace(id, detail::catalog_entry{rec.hash, rec.piece_count});
  if (rec.hash.v1) m.by_v1.emplace(*rec.hash.v1, id);
  if (rec.hash.v2) m.by_v2.emplace(*rec.hash.v2, id);
  m.push([id, rec = std::move(rec), files = std::move(files)](writer_ctx& c) {
    c.journal_rows.erase(id);
    return c.tables.insert_torrent(id, rec, files);
  });
  return static_cast<torrent_id>(id);
}

result<seq_t> resume_store::remove_torrent(torrent_id t) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  auto e = m.find(t);
  if (!e) return tl::unexpected(std::move(e.error()));
  const auto id = static_cast<std::int64_t>(t);
  if ((*e)->hash.v1) m.by_v1.erase(*(*e)->hash.v1);
  if ((*e)->hash.v2) m.by_v2.erase(*(*e)->hash.v2);
  m.catalog.erase(id);
  return m.push([id](writer_ctx& c) {
    c.journal_rows.erase(id);
    return c.tables.delete_torrent(id);
  });
}

result<seq_t> resume_store::set_state(torrent_id t, torrent_state s) {
  return impl_->push_for(t, [s](writer_ctx& c, std::int64_t id) { return c.tables.update_state(id, s); });
}

result<seq_t> resume_store::set_queue_position(torrent_id t, std::int64_t pos) {
  return impl_->push_for(t, [pos](writer_ctx& c, std::int64_t id) { return c.tables.update_queue_position(id, pos); });
}

result<seq_t> resume_store::set_save_path(torrent_id t, std::string path) {
  return impl_->push_for(
      t, [path = std::move(path)](writer_ctx& c, std::int64_t id) { return c.tables.update_save_path(id, path); });
}

result<seq_t> resume_store::set_metadata(torrent_id t, std::string name, std::string metainfo,
                                         std::uint32_t piece_count, std::vector<file_record> files) {
  auto& m = *impl_;
  std::set<std::uint32_t> seen;
  for (const auto& f : files) {
    if (!seen.insert(f.index).second) {
      return make_error(errc::invalid_argument, "file index " + std::to_string(f.index) + " twice");
    }
  }
  std::lock_guard lk(m.mu);
  auto e = m.find(t);
  if (!e) return tl::unexpected(std::move(e.error()));
  if ((*e)->piece_count != 0 && (*e)->piece_count != piece_count) {
    return make_error(errc::invalid_argument,
                      "torrent " + std::to_string(static_cast<std::int64_t>(t)) + " has " +
                          std::to_string((*e)->piece_count) + " pieces, not " + std::to_string(piece_count));
  }
  (*e)->piece_count = piece_count;
  const auto id = static_cast<std::int64_t>(t);
  return m.push([id, name = std::move(name), metainfo = std::move(metainfo), piece_count,
                 files = std::move(files)](writer_ctx& c) {
    return c.tables.update_metadata(id, name, metainfo, piece_count, files);
  });
}

result<seq_t> resume_store::set_setting(torrent_id t, std::string key, std::string value) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  if (auto e = m.find(t); !e) return tl::unexpected(std::move(e.error()));
  const auto id = static_cast<std::int64_t>(t);
  return m.push([id, key = std::move(key), value = std::move(value)](writer_ctx& c) {
    return c.tables.upsert_setting(id, key, value);
  });
}

result<seq_t> resume_store::erase_setting(torrent_id t, std::string key) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  if (auto e = m.find(t); !e) return tl::unexpected(std::move(e.error()));
  const auto id = static_cast<std::int64_t>(t);
  return m.push([id, key = std::move(key)](writer_ctx& c) { return c.tables.delete_setting(id, key); });
}

result<seq_t> resume_store::set_file_priority(torrent_id t, std::uint32_t file, std::int32_t priority) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  if (auto e = m.find(t); !e) return tl::unexpected(std::move(e.error()));
  const auto id = static_cast<std::int64_t>(t);
  return m.push([id, file, priority](writer_ctx& c) {
    return c.tables.update_file_priority(id, file, priority);
  });
}

result<seq_t> resume_store::record_file_stats(torrent_id t, std::vector<disk_file> files) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  if (auto e = m.find(t); !e) return tl::unexpected(std::move(e.error()));
  const auto id = static_cast<std::int64_t>(t);
  return m.push([id, files = std::move(files)](writer_ctx& c) {
    return c.tables.upsert_file_stats(id, files);
  });
}

result<seq_t> resume_store::report_verified(torrent_id t, std::uint32_t piece) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  auto e = m.find(t);
  if (!e) return tl::unexpected(std::move(e.error()));
  if (piece >= (*e)->piece_count) {
    return make_error(errc::invalid_argument, "piece " + std::to_string(piece) + " of " +
                                                  std::to_string((*e)->piece_count));
  }
  m.pending.pieces.push_back(piece_change{static_cast<std::int64_t>(t), piece});
  m.note_queued();
  return ++m.issued;
}

result<seq_t> resume_store::unverify(torrent_id t, std::uint32_t piece) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  auto e = m.find(t);
  if (!e) return tl::unexpected(std::move(e.error()));
  if (piece >= (*e)->piece_count) {
    return make_error(errc::invalid_argument, "piece " + std::to_string(piece) + " of " +
                                                  std::to_string((*e)->piece_count));
  }
  const auto id = static_cast<std::int64_t>(t);
  return m.push([id, piece](writer_ctx& c) { return c.tables.remove_piece(id, piece); });
}

result<seq_t> resume_store::replace_pieces(torrent_id t, bitfield pieces) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  auto e = m.find(t);
  if (!e) return tl::unexpected(std::move(e.error()));
  if (pieces.size() != (*e)->piece_count) {
    return make_error(errc::invalid_argument, "bitfield of " + std::to_string(pieces.size()) +
                                                  " pieces for a torrent of " +
                                                  std::to_string((*e)->piece_count));
  }
  const auto id = static_cast<std::int64_t>(t);
  return m.push([id, pieces = std::move(pieces)](writer_ctx& c) {
    c.journal_rows.erase(id);
    return c.tables.replace_pieces(id, pieces);
  });
}

result<seq_t> resume_store::set_session_value(std::string key, std::string value) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  if (m.closed) return make_error(errc::closed);
  return m.push([key = std::move(key), value = std::move(value)](writer_ctx& c) {
    return c.tables.upsert_session_value(key, value);
  });
}

result<seq_t> resume_store::erase_session_value(std::string key) {
  auto& m = *impl_;
  std::lock_guard lk(m.mu);
  if (m.closed) return make_error(errc::closed);
  return m.push([key = std::move(key)](writer_ctx& c) { return c.tables.delete_session_value(key); });
}

}  // namespace ccbt::resume
