// resume_store — fast-resume and session state in one SQLite file (WAL mode).
//
// What it keeps: torrents (info-hash, name, save path, metainfo blob, magnet, state, queue
// position, per-torrent settings), their files (priority, size and mtime as last recorded), the
// set of verified pieces, and session-wide settings. See docs/design/resume.md.
//
// Threads: every method may be called from any thread. Mutations only check their arguments
// against an in-memory catalog and queue the change (no I/O, no waiting on the disk), so the
// network thread may call them; one writer thread commits the queue in batches — one transaction
// every `commit_interval`, or at once when `max_batch` changes are waiting or flush() asks.
// Changes are applied in the order they were made.
//
// Durability contract: every mutation returns a sequence number; once durable_seq() >= it (or
// on_durable reported it, or flush() returned) the change is committed and survives a crash of
// the process (kill -9) — and with durability::power_loss also a power failure. A change not yet
// committed is lost on a crash; for report_verified() that only means the piece is checked or
// downloaded again. The caller reports a piece only after its data is in the write path the chosen
// durability level requires (resume.md, "Write path"): never a piece that was not verified.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ccbt/error.hpp>

#include "resume/bitfield.hpp"
#include "resume/errc.hpp"
#include "resume/types.hpp"

namespace ccbt::resume {

using seq_t = std::uint64_t;

enum class durability : std::uint8_t {
  process_crash,  // synchronous=NORMAL: commits survive kill -9; a power cut may lose the last ones
  power_loss,     // synchronous=FULL: each commit is fsynced before it counts as durable
};

struct store_options {
  durability level = durability::process_crash;
  // A change waits at most this long (plus the commit itself) before its batch commits.
  std::chrono::milliseconds commit_interval{100};
  // A batch commits at once when this many changes are waiting.
  std::size_t max_batch = 8192;
  // Verified pieces go to an append-only journal; a torrent's journal is folded into its bitfield
  // once it holds max(compact_rows, piece_count / 8) rows, and on close().
  std::uint32_t compact_rows = 4096;
  std::chrono::milliseconds busy_timeout{5000};
  // PRAGMA quick_check when opening (reads the whole file once).
  bool check_integrity = true;
  // Called on the writer thread after each commit with the new durable_seq(). It may queue
  // changes but must not call flush(), load() or close().
  std::function<void(seq_t)> on_durable;
};

struct store_stats {
  seq_t issued_seq = 0;                // last sequence number handed out
  seq_t durable_seq = 0;               // every change up to this one is committed
  std::uint64_t transactions = 0;      // batches committed
  std::uint64_t changes_committed = 0; // changes (of any kind) in those batches
  std::uint64_t pieces_committed = 0;  // report_verified() calls in those batches
  std::uint64_t compactions = 0;       // journals folded into bitfields
  std::uint64_t failed_commits = 0;    // batches that failed (they are retried)
  std::chrono::microseconds last_commit{0};  // duration of the last commit
  std::chrono::microseconds max_commit{0};
};

class resume_store {
 public:
  // Opens or creates the database at `path` and upgrades an older schema. Errors: open_failed,
  // not_a_database, foreign_database, corrupt, schema_too_new, migration_failed, busy, io_error,
  // corrupt_record.
  [[nodiscard]] static result<std::unique_ptr<resume_store>> open(const std::filesystem::path& path,
                                                                  store_options opts = {});

  resume_store(const resume_store&) = delete;
  resume_store& operator=(const resume_store&) = delete;
  ~resume_store();  // close(), its error dropped

  // Everything stored, after committing what is queued. Blocks (on the disk).
  [[nodiscard]] result<snapshot> load();

  // --- torrents -------------------------------------------------------------------------------
  // Assigns the id at once. Errors: duplicate_torrent (same v1 or v2 hash), invalid_argument
  // (no info-hash; a file index twice).
  [[nodiscard]] result<torrent_id> add_torrent(torrent_record rec, std::vector<file_record> files = {});
  [[nodiscard]] result<seq_t> remove_torrent(torrent_id t);
  [[nodiscard]] result<seq_t> set_state(torrent_id t, torrent_state s);
  [[nodiscard]] result<seq_t> set_queue_position(torrent_id t, std::int64_t pos);
  [[nodiscard]] result<seq_t> set_save_path(torrent_id t, std::string path);
  // Metadata arrived (magnet): name, metainfo, piece count and files. Allowed while the torrent
  // has no piece count yet or the same one; clears the verified pieces when it changes.
  [[nodiscard]] result<seq_t> set_metadata(torrent_id t, std::string name, std::string metainfo,
                                           std::uint32_t piece_count, std::vector<file_record> files);
  [[nodiscard]] result<seq_t> set_setting(torrent_id t, std::string key, std::string value);
  [[nodiscard]] result<seq_t> erase_setting(torrent_id t, std::string key);

  // --- files ------------------------------------------------------------------------------------
  [[nodiscard]] result<seq_t> set_file_priority(torrent_id t, std::uint32_t file, std::int32_t priority);
  // Records the files' size and mtime as they are now (upsert by index; priority untouched).
  [[nodiscard]] result<seq_t> record_file_stats(torrent_id t, std::vector<disk_file> files);

  // --- pieces (the hot path) ----------------------------------------------------------------
  // `piece` passed its hash check and its data is in the write path (see the top of this file).
  [[nodiscard]] result<seq_t> report_verified(torrent_id t, std::uint32_t piece);
  // The piece is no longer trusted (failed a recheck, its file was truncated).
  [[nodiscard]] result<seq_t> unverify(torrent_id t, std::uint32_t piece);
  // Replaces the whole set (after a full recheck). pieces.size() must be the piece count.
  [[nodiscard]] result<seq_t> replace_pieces(torrent_id t, bitfield pieces);

  // --- session-wide settings ----------------------------------------------------------------
  [[nodiscard]] result<seq_t> set_session_value(std::string key, std::string value);
  [[nodiscard]] result<seq_t> erase_session_value(std::string key);

  // --- durability ---------------------------------------------------------------------------
  [[nodiscard]] seq_t durable_seq() const noexcept;
  [[nodiscard]] seq_t issued_seq() const noexcept;
  // Blocks until every change made before the call is committed; returns the error of a failed
  // commit attempt instead (the changes stay queued and are retried).
  [[nodiscard]] result<void> flush();
  // Commits what is queued, folds all journals into bitfields and stops the writer. Later calls
  // fail with errc::closed. Idempotent.
  [[nodiscard]] result<void> close();
  [[nodiscard]] store_stats stats() const;

 private:
  struct impl;
  explicit resume_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace ccbt::resume
