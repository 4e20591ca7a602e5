#include "exchange.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <string>
#include <utility>
#include <vector>

namespace relay::plugins::http_auth {

namespace {

namespace http = boost::beast::http;
using boost::system::error_code;
using Failure = ExchangeResult::Failure;

/// How a connection the server closed while it was idle shows when it is reused.
bool closed_by_server(const error_code& ec) {
    namespace error = boost::asio::error;
    return ec == http::error::end_of_stream || ec == error::eof || ec == error::connection_reset ||
           ec == error::broken_pipe || ec == error::connection_aborted;
}

ExchangeResult failed(Failure failure, std::string detail) {
    return {failure, 0, {}, std::move(detail)};
}

}  // namespace

Exchange::Exchange(const sdk::Executor& executor, std::shared_ptr<const HttpUrl> url,
                   std::shared_ptr<ConnectionPool> pool, Request request,
                   sdk::Counter& connections_opened, ExchangeDone done)
    : executor_(executor),
      url_(std::move(url)),
      pool_(std::move(pool)),
      request_(std::move(request)),
      connections_opened_(connections_opened),
      done_(std::move(done)),
      deadline_(executor),
      resolver_(executor) {}

void Exchange::start(std::chrono::steady_clock::time_point deadline) {
    deadline_.expires_at(deadline);
    deadline_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec || self->finished_) return;
        self->finish(failed(Failure::timed_out, "no answer within the timeout"));
    });
    connection_ = pool_->take();
    if (connection_) {
        reused_ = true;
        send();
    } else {
        open();
    }
}

void Exchange::cancel() {
    if (!finished_) finish(failed(Failure::cancelled, "cancelled"));
}

void Exchange::open() {
    reused_ = false;
    connection_ = std::make_unique<Connection>(executor_);
    const auto port = std::to_string(url_->port);
    // An IP address needs no resolver (whose work runs on a thread of its own).
    error_code not_numeric;
    const auto address = boost::asio::ip::make_address(url_->host, not_numeric);
    if (!not_numeric) {
        connect({boost::asio::ip::tcp::endpoint(address, url_->port)});
        return;
    }
    resolver_.async_resolve(
        url_->host, port,
        [self = shared_from_this()](const error_code& ec,
                                    const boost::asio::ip::tcp::resolver::results_type& found) {
            if (self->finished_) return;
            if (ec) {
                self->finish(failed(Failure::unavailable,
                                    "cannot resolve " + self->url_->host + ": " + ec.message()));
                return;
            }
            self->connect({found.begin(), found.end()});
        });
}

void Exchange::connect(const std::vector<boost::asio::ip::tcp::endpoint>& endpoints) {
    boost::asio::async_connect(
        connection_->socket, endpoints,
        [self = shared_from_this()](const error_code& ec, const auto& /*endpoint*/) {
            if (self->finished_) return;
            if (ec) {
                self->finish(
                    failed(Failure::unavailable,
                           "cannot connect to " + self->url_->authority() + ": " + ec.message()));
                return;
            }
            self->connections_opened_.add();
            // A request is one small write; waiting to coalesce it only adds latency.
            error_code ignored;
            self->connection_->socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
            self->send();
        });
}

void Exchange::send() {
    parser_.reset();
    http::async_write(connection_->socket, request_,
                      [self = shared_from_this()](const error_code& ec, std::size_t /*bytes*/) {
                          if (self->finished_) return;
                          if (ec) {
                              self->broken(ec);
                              return;
                          }
                          self->receive();
                      });
}

void Exchange::receive() {
    parser_.emplace();
    parser_->body_limit(kMaxAnswerBody);
    http::async_read(connection_->socket, connection_->buffer, *parser_,
                     [self = shared_from_this()](const error_code& ec, std::size_t /*bytes*/) {
                         if (self->finished_) return;
                         if (ec) {
                             self->broken(ec);
                             return;
                         }
                         self->answered();
                     });
}

void Exchange::answered() {
    auto response = parser_->release();
    // Reusable only after a whole answer with nothing behind it that both sides meant
    // to keep open.
    if (response.keep_alive() && request_.keep_alive() && connection_->buffer.size() == 0) {
        pool_->give_back(std::move(connection_));
    }
    finish({Failure::none, response.result_int(), std::move(response.body()), {}});
}

void Exchange::broken(const error_code& ec) {
    const bool nothing_read = !parser_ || !parser_->got_some();
    if (reused_ && !retried_ && nothing_read && closed_by_server(ec)) {
        retried_ = true;
        connection_->close();
        open();  // replaces it: its one operation has completed, nothing uses it any more
        return;
    }
    if (ec == http::error::body_limit) {
        finish(failed(Failure::bad_answer,
                      "the answer's body is over " + std::to_string(kMaxAnswerBody) + " bytes"));
    } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
        finish(failed(Failure::bad_answer, "not an HTTP/1.1 answer: " + ec.message()));
    } else {
        finish(failed(Failure::unavailable,
                      "connection to " + url_->authority() + " lost: " + ec.message()));
    }
}

void Exchange::finish(ExchangeResult result) {
    finished_ = true;
    deadline_.cancel();
    resolver_.cancel();
    // Closing ends the pending operation with operation_aborted; the Connection itself
    // stays until the exchange goes, because that operation still uses its buffer.
    if (connection_) connection_->close();
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
}

}  // namespace relay::plugins::http_auth
