#pragma once
/// One request to the auth service and its answer.
#include "auth_request.hpp"
#include "connection_pool.hpp"
#include "http_url.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/metrics.hpp>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relay::plugins::http_auth {

/// The largest answer body read; a longer one is a bad answer.
inline constexpr std::size_t kMaxAnswerBody = std::size_t{64} * 1024;

struct ExchangeResult {
    enum class Failure {
        none,         ///< the service answered: `status` and `body`
        unavailable,  ///< no connection, or it broke before the answer
        timed_out,    ///< no answer before the deadline
        bad_answer,   ///< an answer that is not HTTP, or a body over kMaxAnswerBody
        cancelled,    ///< cancel() came first
    };
    Failure failure = Failure::none;
    unsigned status = 0;
    std::string body;
    std::string detail;  ///< when it failed: what happened, for the log
};

using ExchangeDone = std::function<void(ExchangeResult)>;

/// Sends one request and reads its answer before a deadline: on an idle connection of
/// the pool when there is one, else on a new one (resolving the host unless it is an IP
/// address). A reused connection that turns out closed by the server (the request
/// could not be written, or the connection ended before any byte of an answer) is
/// replaced by a fresh one once, within the same deadline: servers close idle
/// keep-alive connections whenever they like, and an auth request is safe to repeat.
/// After a complete answer that allows it, the connection goes back to the pool.
///
/// Thread safety: none; start() and cancel() on the executor, where `done` runs
/// (inline, from the handler that finished the exchange), exactly once. The exchange
/// keeps itself alive until its last handler ran.
class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(const sdk::Executor& executor, std::shared_ptr<const HttpUrl> url,
             std::shared_ptr<ConnectionPool> pool, Request request,
             sdk::Counter& connections_opened, ExchangeDone done);

    void start(std::chrono::steady_clock::time_point deadline);
    /// Ends the exchange now: `done` runs with Failure::cancelled unless it ran already.
    void cancel();

private:
    using Parser = boost::beast::http::response_parser<boost::beast::http::string_body>;

    void open();
    /// Connects to the first of `endpoints` that accepts.
    void connect(const std::vector<boost::asio::ip::tcp::endpoint>& endpoints);
    void send();
    void receive();
    void answered();
    void broken(const boost::system::error_code& ec);
    void finish(ExchangeResult result);

    sdk::Executor executor_;
    std::shared_ptr<const HttpUrl> url_;
    std::shared_ptr<ConnectionPool> pool_;
    Request request_;  // written again on a fresh connection after a dead one
    sdk::Counter& connections_opened_;
    ExchangeDone done_;

    boost::asio::steady_timer deadline_;
    boost::asio::ip::tcp::resolver resolver_;
    std::unique_ptr<Connection> connection_;
    std::optional<Parser> parser_;
    bool reused_ = false;   // connection_ came from the pool
    bool retried_ = false;  // a dead reused connection was replaced already
    bool finished_ = false;
};

}  // namespace relay::plugins::http_auth
