#pragma once
/// Includes Boost.Asio for the SDK. Boost 1.74's awaitable.hpp uses std::exchange
/// without including <utility>, which breaks g++ 12 in C++20 mode; include it first.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on

namespace relay::sdk {
/// The executor every plugin callback runs on: one io_context, run by one thread.
using Executor = boost::asio::io_context::executor_type;
}  // namespace relay::sdk
