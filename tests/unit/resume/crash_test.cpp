// kill -9 at a random moment: a forked child reports verified pieces (and flushes, closes and
// reopens now and then) while telling the parent through a pipe what it reported and what became
// durable; the parent SIGKILLs it, reopens the database and checks that it is consistent, holds
// every piece the child saw durable, and no piece the child never reported.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "resume/resume_store.hpp"
#include "test_util.hpp"

namespace ccbt::resume {
namespace {

using namespace std::chrono_literals;
using test::sample_record;
using test::temp_dir;

enum kind : std::uint32_t { ready = 1, about, reported, durable, flushed, reopened, failed };

struct message {
  std::uint32_t kind;
  std::uint32_t k;   // index into the child's report order
  std::uint64_t seq;
};
static_assert(sizeof(message) == 16);

struct piece_ref {
  std::uint32_t torrent;  // 0 or 1
  std::uint32_t piece;
  friend auto operator<=>(const piece_ref&, const piece_ref&) = default;
};

constexpr std::uint32_t piece_counts[2] = {4000, 700};

bool never_reported(const piece_ref& p) { return p.piece % 7 == 3; }

// The order in which the child reports pieces: a shuffle of every piece not never_reported().
std::vector<piece_ref> report_order(std::uint32_t seed) {
  std::vector<piece_ref> out;
  for (std::uint32_t t = 0; t < 2; ++t) {
    for (std::uint32_t p = 0; p < piece_counts[t]; ++p) {
      if (!never_reported({t, p})) out.push_back({t, p});
    }
  }
  std::mt19937 rng(seed);
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

void send(int fd, message m) {
  // 16 bytes < PIPE_BUF: atomic, even with the writer thread sending too.
  while (::write(fd, &m, sizeof m) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void child_main(const std::filesystem::path& db, int fd, std::uint32_t seed) {
  std::mt19937 rng(seed ^ 0x9e3779b9u);
  const auto order = report_order(seed);
  store_options o;
  o.commit_interval = std::chrono::milliseconds(2 + rng() % 40);
  o.compact_rows = static_cast<std::uint32_t>(16 + rng() % 200);  // compactions happen under the kill too
  o.on_durable = [fd](seq_t s) { send(fd, {durable, 0, s}); };

  auto opened = resume_store::open(db, o);
  if (!opened) {
    send(fd, {failed, 0, 0});
    ::_exit(1);
  }
  auto store = std::move(*opened);
  torrent_id ids[2];
  for (std::uint32_t t = 0; t < 2; ++t) {
    auto id = store->add_torrent(sample_record(static_cast<std::uint8_t>(t + 1), piece_counts[t]),
                                 {{0, 4, file_stat{1234, 5678}}});
    if (!id) ::_exit(1);
    ids[t] = *id;
  }
  if (!store->flush()) ::_exit(1);
  send(fd, {ready, 0, 0});

  const std::size_t reopen_at = rng() % (order.size() * 2);  // half the runs reopen once
  for (std::uint32_t k = 0; k < order.size(); ++k) {
    if (k == reopen_at) {
      if (!store->close()) ::_exit(1);
      store.reset();
      opened = resume_store::open(db, o);
      if (!opened) {
        send(fd, {failed, k, 0});
        ::_exit(1);
      }
      store = std::move(*opened);
      send(fd, {reopened, k, 0});  // sequence numbers start again from 1
    }
    send(fd, {about, k, 0});
    auto seq = store->report_verified(ids[order[k].torrent], order[k].piece);
    if (!seq) {
      send(fd, {failed, k, 0});
      ::_exit(1);
    }
    send(fd, {reported, k, *seq});
    if (rng() % 97 == 0) (void)store->set_state(ids[k % 2], torrent_state::paused);
    if (rng() % 53 == 0) {
      if (!store->flush()) ::_exit(1);
      send(fd, {flushed, k + 1, 0});
    }
    if (rng() % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1500));
  }
  if (store->flush()) send(fd, {flushed, static_cast<std::uint32_t>(order.size()), 0});
  for (;;) std::this_thread::sleep_for(1s);  // until killed
}

// Reads whatever is in the pipe until `until` (or EOF); returns false on EOF.
bool drain(int fd, std::vector<message>& out, std::string& partial,
           std::chrono::steady_clock::time_point until) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() < 0) return true;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n <= 0) continue;
    char buf[4096];
    const auto got = ::read(fd, buf, sizeof buf);
    if (got == 0) return false;
    if (got < 0) continue;
    partial.append(buf, static_cast<std::size_t>(got));
    const std::size_t whole = partial.size() / sizeof(message);
    for (std::size_t i = 0; i < whole; ++i) {
      message m{};
      std::memcpy(&m, partial.data() + i * sizeof(message), sizeof m);
      out.push_back(m);
    }
    partial.erase(0, whole * sizeof(message));
  }
}

bool has(const std::vector<message>& ms, std::uint32_t k) {
  return std::any_of(ms.begin(), ms.end(), [k](const message& m) { return m.kind == k; });
}

TEST(ResumeCrash, KillNineLosesNoDurablePieceAndInventsNone) {
  constexpr int runs = 12;
  std::mt19937 rng(20240601);
  int killed_mid_download = 0;
  for (int run = 0; run < runs; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    temp_dir dir;
    const auto db = dir / "resume.db";
    const auto seed = static_cast<std::uint32_t>(rng());
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_main(db, fds[1], seed);
    }
    ::close(fds[1]);

    std::vector<message> msgs;
    std::string partial;
    // Wait for the torrents to be durable, then let the child run for a random while.
    const auto ready_deadline = std::chrono::steady_clock::now() + 20s;
    while (!has(msgs, ready) && !has(msgs, failed) && std::chrono::steady_clock::now() < ready_deadline) {
      if (!drain(fds[0], msgs, partial, std::chrono::steady_clock::now() + 10ms)) break;
    }
    ASSERT_TRUE(has(msgs, ready)) << "child did not get ready";
    const auto run_for = std::chrono::milliseconds(1 + rng() % 400);
    drain(fds[0], msgs, partial, std::chrono::steady_clock::now() + run_for);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited on its own";
    while (drain(fds[0], msgs, partial, std::chrono::steady_clock::now() + 1s)) {
    }
    ::close(fds[0]);
    ASSERT_FALSE(has(msgs, failed));

    // What the child said.
    const auto order = report_order(seed);
    std::int64_t about_max = -1;
    std::uint64_t durable_max = 0;
    std::uint32_t flushed_max = 0;
    std::map<std::uint32_t, std::uint64_t> seq_of;  // of the current store instance
    std::set<piece_ref> must_exist;
    for (const auto& m : msgs) {
      if (m.kind == about) about_max = std::max<std::int64_t>(about_max, m.k);
      if (m.kind == reported) seq_of[m.k] = m.seq;
      if (m.kind == durable) durable_max = std::max(durable_max, m.seq);
      if (m.kind == flushed) flushed_max = std::max(flushed_max, m.k);
      if (m.kind == reopened) {
        // close() returned: everything reported before is durable; a new numbering starts.
        for (std::uint32_t k = 0; k < m.k; ++k) must_exist.insert(order[k]);
        seq_of.clear();
        durable_max = 0;
      }
    }
    std::set<piece_ref> may_exist(order.begin(), order.begin() + (about_max + 1));
    must_exist.insert(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(flushed_max));
    for (const auto& [k, s] : seq_of) {
      if (s <= durable_max) must_exist.insert(order[k]);
    }
    if (about_max + 1 < static_cast<std::int64_t>(order.size())) ++killed_mid_download;

    // What survived.
    auto store = resume_store::open(db);  // quick_check on: a damaged file fails here
    ASSERT_TRUE(store) << store.error().message();
    auto snap = (*store)->load();
    ASSERT_TRUE(snap) << snap.error().message();
    ASSERT_EQ(snap->torrents.size(), 2u);
    std::set<piece_ref> found;
    for (std::uint32_t t = 0; t < 2; ++t) {
      const auto& tr = snap->torrents[t];
      EXPECT_EQ(tr.record.hash, sample_record(static_cast<std::uint8_t>(t + 1), 1).hash);
      EXPECT_EQ(tr.record.metainfo, sample_record(static_cast<std::uint8_t>(t + 1), 1).metainfo);
      ASSERT_EQ(tr.verified.size(), piece_counts[t]);
      ASSERT_EQ(tr.files.size(), 1u);
      for (std::uint32_t p = 0; p < piece_counts[t]; ++p) {
        if (tr.verified.test(p)) found.insert({t, p});
      }
    }
    for (const auto& p : found) {
      EXPECT_FALSE(never_reported(p)) << "piece " << p.piece << " was never reported";
      EXPECT_TRUE(may_exist.count(p)) << "piece " << p.torrent << "/" << p.piece << " recorded before its report";
    }
    std::size_t lost = 0;
    for (const auto& p : must_exist) lost += found.count(p) == 0 ? 1u : 0u;
    EXPECT_EQ(lost, 0u) << "durable pieces lost: " << lost << " of " << must_exist.size();
    EXPECT_LE(must_exist.size(), found.size());
    std::printf("  run %2d: killed after %lld of %zu reports; %zu known durable, %zu on disk\n", run,
                static_cast<long long>(about_max + 1), order.size(), must_exist.size(), found.size());
    ASSERT_TRUE((*store)->close());
  }
  // The random kill times must actually hit the download most of the time.
  EXPECT_GE(killed_mid_download, runs / 2);
}

}  // namespace
}  // namespace ccbt::resume
