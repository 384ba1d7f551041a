// The public embedded-tracker service (include/ccbt/tracker_server.hpp), driven from another
// thread with the tracker client.
#include "test_io.hpp"

#include <csignal>
#include <thread>

#include <ccbt/tracker_server.hpp>

#include "tracker/client.hpp"

namespace ccbt {
namespace {

using namespace std::chrono_literals;
using tracker::test::request;
using tracker::test::run;

TEST(TrackerServer, ServesHttpAndUdpOnItsOwnThread) {
  tracker_server_options o;
  o.announce_interval = 120s;
  tracker_server server(o);
  EXPECT_EQ(server.http_port(), 0);
  ASSERT_TRUE(server.start());
  ASSERT_NE(server.http_port(), 0);
  ASSERT_NE(server.udp_port(), 0);
  EXPECT_EQ(server.http_announce_url(), "http://127.0.0.1:" + std::to_string(server.http_port()) + "/announce");
  EXPECT_EQ(server.udp_announce_url(), "udp://127.0.0.1:" + std::to_string(server.udp_port()) + "/announce");

  net::asio::io_context io;
  tracker::client_options co;
  co.udp.base_timeout = 200ms;
  tracker::client c(co);
  auto a = run(io, c.announce(server.http_announce_url(), request('x', 1, 1111, 10)));
  ASSERT_TRUE(a && *a) << (*a).error().message();
  EXPECT_EQ((*a)->interval, 120s);
  auto b = run(io, c.announce(server.udp_announce_url(), request('x', 2, 2222, 10)));
  ASSERT_TRUE(b && *b) << (*b).error().message();
  ASSERT_EQ((*b)->peers.size(), 1u);
  EXPECT_EQ((*b)->peers[0].address.to_string(), "127.0.0.1:1111");
  const auto st = server.stats();
  EXPECT_EQ(st.torrents, 1u);
  EXPECT_EQ(st.peers, 2u);
  EXPECT_EQ(st.announces, 2u);
  server.stop();
  server.stop();  // idempotent
  auto after = run(io, c.announce(server.http_announce_url(), request('x', 3, 3333, 10)));
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);  // nobody listens any more
}

TEST(TrackerServer, BindErrorsAndBadOptions) {
  tracker_server first;
  ASSERT_TRUE(first.start());
  tracker_server_options o;
  o.http_port = first.http_port();
  o.udp_port = -1;
  tracker_server clash(o);
  auto r = clash.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("HTTP tracker listen on 127.0.0.1:" + std::to_string(first.http_port())),
            std::string::npos)
      << r.error().message();
  tracker_server_options bad;
  bad.udp_port = 70000;
  EXPECT_FALSE(tracker_server(bad).start());
  tracker_server_options bad_address;
  bad_address.bind_address = "not-an-address";
  EXPECT_FALSE(tracker_server(bad_address).start());
  tracker_server_options only_udp;
  only_udp.http_port = -1;
  tracker_server u(only_udp);
  ASSERT_TRUE(u.start());
  EXPECT_EQ(u.http_port(), 0);
  EXPECT_EQ(u.http_announce_url(), "");
  EXPECT_NE(u.udp_port(), 0);
}

TEST(TrackerServer, WaitForSignal) {
  tracker_server server;
  EXPECT_EQ(server.wait_for_signal(), 0);  // not started
  ASSERT_TRUE(server.start());
  // stop() from another thread releases the wait.
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    server.stop();
  });
  bool armed = false;
  EXPECT_EQ(server.wait_for_signal([&] { armed = true; }), 0);
  EXPECT_TRUE(armed);
  stopper.join();
  // A real SIGTERM, sent once the handlers are in place.
  tracker_server again;
  ASSERT_TRUE(again.start());
  EXPECT_EQ(again.wait_for_signal([] { std::raise(SIGTERM); }), SIGTERM);
  again.stop();
}

}  // namespace
}  // namespace ccbt
