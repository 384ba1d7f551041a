#include "demo_command.hpp"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <ccbt/create_torrent.hpp>
#include <ccbt/metainfo.hpp>
#include <ccbt/session.hpp>
#include <ccbt/tracker_server.hpp>

#include "common/format.hpp"
#include "common/progress.hpp"

namespace ccbt::apps {
namespace {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

struct sample_file {
  fs::path path;  // relative to the content root's parent
  std::uint64_t size;
};

bool write_random(const fs::path& p, std::uint64_t size, std::mt19937_64& rng, std::string& why) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  if (!f) {
    why = p.string() + ": cannot create the file";
    return false;
  }
  std::vector<std::uint64_t> buf(8192);
  std::uint64_t left = size;
  while (left > 0) {
    for (auto& w : buf) w = rng();
    const auto n = std::min<std::uint64_t>(left, buf.size() * sizeof(std::uint64_t));
    f.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
  if (!f) {
    why = p.string() + ": write failed";
    return false;
  }
  return true;
}

// Byte-for-byte comparison of two files; "" when equal, else what differs.
std::string compare_files(const fs::path& a, const fs::path& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fb) return b.string() + ": missing";
  std::vector<char> ba(1 << 16), bb(1 << 16);
  std::uint64_t offset = 0;
  for (;;) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    const auto na = fa.gcount(), nb = fb.gcount();
    if (na != nb || !std::equal(ba.begin(), ba.begin() + na, bb.begin()))
      return b.string() + ": differs from the original near byte " + std::to_string(offset);
    if (na == 0) return {};
    offset += static_cast<std::uint64_t>(na);
  }
}

settings loopback_settings() {
  settings s;
  s.listen_interfaces = {"127.0.0.1:0"};
  s.resume_db.clear();
  return s;
}

class temp_dir {
 public:
  explicit temp_dir(bool keep) : keep_(keep) {
    std::string tmpl = (fs::temp_directory_path() / "ccbt-demo.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!keep_ && !path_.empty()) fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
  bool keep_;
};

}  // namespace

int run_demo(const char* program, const demo_options& opts, std::FILE* out, std::FILE* err) {
  const auto fail = [&](const std::string& what) {
    std::fprintf(err, "%s: demo: %s\n", program, what.c_str());
    return 1;
  };
  if (opts.size_mib < 1 || opts.size_mib > 4096) return fail("--size-mib must be 1..4096");
  temp_dir dir(opts.keep);
  if (dir.path().empty()) return fail("cannot create a temporary directory");
  const fs::path seed_dir = dir.path() / "seed";
  const fs::path download_dir = dir.path() / "download";
  const auto t0 = steady::now();

  // 1. Sample content.
  const std::uint64_t mib = std::uint64_t{1} << 20;
  const std::vector<sample_file> files = {
      {"sample/README.txt", 20},
      {"sample/docs/paper.pdf", 777'777},
      {"sample/media/clip.bin", static_cast<std::uint64_t>(opts.size_mib) * mib},
      {"sample/media/extra.bin", 3 * mib + 12'345},
  };
  std::mt19937_64 rng(std::random_device{}());
  std::uint64_t total = 0;
  for (const auto& f : files) {
    std::string why;
    if (!write_random(seed_dir / f.path, f.size, rng, why)) return fail(why);
    total += f.size;
  }
  std::fprintf(out, "== sample content: %s in %zu files under %s\n", format_size(total).c_str(), files.size(),
               (seed_dir / "sample").c_str());

  // 2. The embedded tracker, loopback only, any free ports.
  tracker_server_options to;
  to.bind_address = "127.0.0.1";
  tracker_server tracker(to);
  if (auto r = tracker.start(); !r) return fail("tracker: " + r.error().message());
  std::fprintf(out, "== tracker: %s and %s\n", tracker.http_announce_url().c_str(), tracker.udp_announce_url().c_str());

  // 3. A hybrid torrent announcing to it (tier 0 HTTP, tier 1 UDP).
  creator::create_options co;
  co.trackers = {{tracker.http_announce_url()}, {tracker.udp_announce_url()}};
  co.comment = "ccbt demo";
  auto created = creator::create(seed_dir / "sample", co);
  if (!created) return fail("create torrent: " + created.error().message());
  {
    std::ofstream tf(dir.path() / "sample.torrent", std::ios::binary);
    tf.write(created->data.data(), static_cast<std::streamsize>(created->data.size()));
  }
  auto ti = metainfo::torrent_info::parse(created->data);
  if (!ti) return fail("parse the new torrent: " + ti.error().message());
  auto info = std::make_shared<const metainfo::torrent_info>(std::move(*ti));
  std::fprintf(out, "== torrent: %s, %llu pieces of %s, info-hash v1 %s\n", info->name().c_str(),
               static_cast<unsigned long long>(created->num_pieces), format_size(created->piece_length).c_str(),
               info->hashes().v1 ? info->hashes().v1->to_hex().c_str() : "-");

  // 4. Two sessions on loopback: a seeder and a downloader, no peer address given to either.
  session seeder(loopback_settings());
  session downloader(loopback_settings());
  add_torrent_params sp;
  sp.torrent = info;
  sp.save_path = seed_dir;
  auto sh = seeder.add_torrent(std::move(sp));
  if (!sh) return fail("seeder: " + sh.error().message());
  // The seeder checks its data, then announces; the downloader comes next and is handed the seeder.
  const auto start = steady::now();
  const auto deadline = start + std::chrono::duration<double>(opts.timeout_s);
  int replies = 0;                 // tracker replies to both sessions
  int found[2] = {0, 0};           // most peers one reply listed: seeder, downloader
  while (replies == 0) {
    if (steady::now() >= deadline) return fail("the seeder got no answer from the tracker");
    seeder.wait_for_alert(std::chrono::milliseconds(100));
    for (const auto& a : seeder.pop_alerts()) {
      if (a.kind == alert_kind::tracker_reply) {
        ++replies;
        found[0] = std::max(found[0], a.num_peers);
      } else if (a.kind == alert_kind::tracker_error || a.kind == alert_kind::torrent_error ||
                 a.kind == alert_kind::storage_error) {
        std::fprintf(err, "%s: seeder: %s\n", program, a.message.c_str());
      }
    }
  }
  add_torrent_params dp;
  dp.torrent = info;
  dp.save_path = download_dir;
  auto dh = downloader.add_torrent(std::move(dp));
  if (!dh) return fail("downloader: " + dh.error().message());
  std::fprintf(out, "== seeding on 127.0.0.1:%u, downloading on 127.0.0.1:%u; peers come from the tracker\n",
               seeder.listen_port(), downloader.listen_port());
  std::fflush(out);

  progress_bar bar("downloading", !opts.quiet);
  const auto download_start = steady::now();
  bool finished = false;
  std::string error;
  while (!finished && error.empty() && steady::now() < deadline) {
    downloader.wait_for_alert(std::chrono::milliseconds(100));
    for (auto* ses : {&seeder, &downloader}) {
      for (const auto& a : ses->pop_alerts()) {
        switch (a.kind) {
          case alert_kind::torrent_finished:
            if (ses == &downloader) finished = true;
            break;
          case alert_kind::tracker_reply: {
            ++replies;
            int& f = found[ses == &downloader ? 1 : 0];
            f = std::max(f, a.num_peers);
            break;
          }
          case alert_kind::tracker_error:
          case alert_kind::tracker_warning:
          case alert_kind::storage_error:
          case alert_kind::listen_failed:
            bar.finish();
            std::fprintf(err, "%s: %s: %s\n", program, ses == &seeder ? "seeder" : "downloader", a.message.c_str());
            break;
          case alert_kind::torrent_error:
            error = (ses == &seeder ? "seeder: " : "downloader: ") + a.message;
            break;
          default:
            break;
        }
      }
    }
    const auto st = dh->status();
    if (st.state == torrent_state::seeding) finished = true;
    bar.set_label("downloading (" + std::to_string(st.num_peers) + " peers)");
    bar.update(st.total_wanted_done, st.total_wanted);
  }
  bar.finish();
  const double secs = std::chrono::duration<double>(steady::now() - download_start).count();
  if (!error.empty()) return fail(error);
  if (!finished) return fail("the download did not finish in " + format_duration(opts.timeout_s));

  // 5. Verify byte for byte.
  for (const auto& f : files) {
    const auto diff = compare_files(seed_dir / f.path, download_dir / f.path);
    if (!diff.empty()) return fail("verify: " + diff);
  }
  std::fprintf(out, "== verified: the %zu downloaded files are identical to the originals\n", files.size());

  // 6. Summary.
  const auto dst = dh->status();
  const auto ts = tracker.stats();
  std::fprintf(out,
               "== summary: %s downloaded in %.2f s (%.1f MiB/s); peers found via the tracker: %d by the "
               "downloader, %d by the seeder (%d replies, %llu announces served)\n",
               format_size(dst.total_wanted).c_str(), secs,
               static_cast<double>(dst.total_wanted) / static_cast<double>(mib) / std::max(secs, 0.001), found[1],
               found[0], replies, static_cast<unsigned long long>(ts.announces));
  if (found[0] + found[1] == 0) return fail("the sessions found no peer through the tracker");
  if (opts.keep) std::fprintf(out, "== kept %s\n", dir.path().c_str());
  std::fprintf(out, "== total time %.2f s (content, torrent, transfer and check)\n",
               std::chrono::duration<double>(steady::now() - t0).count());
  return 0;
}

}  // namespace ccbt::apps
