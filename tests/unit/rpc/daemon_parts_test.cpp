// The daemon's parts without a session: the state directory (lock, token), daemon.db, and the HTTP
// server answering the rpc_client (token, errors, body limit) over loopback.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <ccbt/daemon.hpp>
#include <ccbt/rpc_client.hpp>

#include "rpc/http_server.hpp"
#include "rpc/state_dir.hpp"
#include "rpc/state_store.hpp"

namespace ccbt::rpc {
namespace {

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ccbt-rpc-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(RpcStateDir, OneLockHolderAndItsPid) {
  temp_dir t;
  const auto dir = t.path() / "state";
  ASSERT_TRUE(make_state_dir(dir));
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_FALSE(running_daemon_pid(dir));
  {
    auto a = instance_lock::acquire(dir);
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(running_daemon_pid(dir), static_cast<long>(::getpid()));
    auto b = instance_lock::acquire(dir);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, make_error_code(errc::already_running));
  }
  EXPECT_FALSE(running_daemon_pid(dir));
  EXPECT_TRUE(instance_lock::acquire(dir));
}

TEST(RpcStateDir, TokenIsPrivateAndStable) {
  temp_dir t;
  auto a = load_or_create_token(t.path());
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->size(), 64u);
  struct stat st {};
  ASSERT_EQ(::stat((t.path() / "api.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*load_or_create_token(t.path()), *a);
  ::chmod((t.path() / "api.token").c_str(), 0644);
  auto loose = read_token(t.path());
  ASSERT_FALSE(loose);
  EXPECT_NE(loose.error().message().find("readable by others"), std::string::npos);
}

TEST(RpcStateStore, PersistsInOrderAcrossReopen) {
  temp_dir t;
  const auto path = t.path() / "daemon.db";
  {
    auto s = state_store::open(path);
    ASSERT_TRUE(s) << s.error().message();
    for (int i = 0; i < 3; ++i) {
      stored_torrent r;
      r.id = std::string(40, static_cast<char>('a' + i));
      r.position = -1;
      r.torrent = std::string("d4:infod\0e", 10) + std::to_string(i);
      r.save_path = "/data/" + std::to_string(i);
      r.peers = {"127.0.0.1:1", "[::1]:2"};
      auto pos = s->put(r);
      ASSERT_TRUE(pos);
      EXPECT_EQ(*pos, i);
    }
    ASSERT_TRUE(s->set_paused(std::string(40, 'b'), true));
    ASSERT_TRUE(s->set_file_priorities(std::string(40, 'c'), {0, 7}));
    ASSERT_TRUE(s->set_strategy(std::string(40, 'c'), "sequential"));
    ASSERT_TRUE(s->remove(std::string(40, 'a')));
  }
  auto s = state_store::open(path);
  ASSERT_TRUE(s);
  auto rows = s->load();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].id, std::string(40, 'b'));
  EXPECT_TRUE((*rows)[0].paused);
  EXPECT_EQ((*rows)[0].torrent, std::string("d4:infod\0e", 10) + "1");
  EXPECT_EQ((*rows)[0].peers, (std::vector<std::string>{"127.0.0.1:1", "[::1]:2"}));
  EXPECT_EQ((*rows)[1].file_priorities, (std::vector<std::uint8_t>{0, 7}));
  EXPECT_EQ((*rows)[1].strategy, "sequential");
  EXPECT_FALSE((*rows)[1].paused);
}

TEST(RpcHttpServer, AnswersTheClientAndRefusesBadTokensAndBodies) {
  server_options o;
  o.token = std::string(64, 'f');
  o.max_body = 64 * 1024;
  std::string last_body;
  auto server = http_server::start(o, [&](std::string_view method, std::string_view target, std::string_view body) {
    last_body = std::string(body);
    if (target == "/boom") throw std::runtime_error("boom");
    return http_reply{200, R"({"method":")" + std::string(method) + R"(","target":")" + std::string(target) + "\"}"};
  });
  ASSERT_TRUE(server) << server.error().message();
  ASSERT_NE((*server)->port(), 0);

  rpc_client good("127.0.0.1", (*server)->port(), o.token);
  auto r = good.call("POST", "/x?y=1", R"({"a":1})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"method":"POST","target":"/x?y=1"})");
  EXPECT_EQ(last_body, R"({"a":1})");

  auto boom = good.call("GET", "/boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  EXPECT_NE(boom->body.find("internal_error"), std::string::npos);

  auto big = good.call("POST", "/x", std::string(o.max_body + 1, 'x'));
  ASSERT_TRUE(big) << big.error().message();
  EXPECT_EQ(big->status, 413);

  rpc_client bad("127.0.0.1", (*server)->port(), std::string(64, 'e'));
  auto u = bad.call("GET", "/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->status, 401);
  EXPECT_NE(u->body.find("unauthorized"), std::string::npos);

  const auto port = (*server)->port();
  (*server)->stop();
  auto gone = good.call("GET", "/x", {}, std::chrono::seconds(5));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, make_error_code(errc::connect_failed));
  (void)port;
}

TEST(RpcClient, FromStateDirNeedsARunningDaemon) {
  temp_dir t;
  auto c = rpc_client::from_state_dir(t.path());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, make_error_code(errc::not_running));
}

}  // namespace
}  // namespace ccbt::rpc
