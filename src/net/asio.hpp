// The one place that includes Boost.Asio for ccbt (precompiled for the targets that use it).
// Only L2/L3 code (src/net, src/session, ...) may include this; L1 and public headers never do.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace ccbt::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Completion token for coroutine I/O that returns (error_code, result...) instead of throwing:
// a peer disconnecting is normal flow.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

template <class T = void>
using awaitable = asio::awaitable<T>;

}  // namespace ccbt::net
