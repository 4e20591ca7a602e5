#pragma once
/// A small HTTP/1.1 server on 127.0.0.1 that plays the auth service in the http auth
/// plugin's tests: real sockets, on a thread of its own, each request answered as the
/// test's `respond` says (at once, late, held until release(), or not at all), and
/// every request and TCP connection counted.
#include <relay/sdk/asio.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace relay::plugins::http_auth::testing {

namespace http = boost::beast::http;

/// What the server received.
struct Received {
    std::string method;
    std::string target;
    std::string content_type;
    std::string body;
};

/// How the server answers one request.
struct Reply {
    unsigned status = 200;
    std::string body;
    std::chrono::milliseconds delay{0};  ///< answer this late (a slow service)
    bool hold = false;                   ///< answer only at AuthServer::release()
    bool drop = false;                   ///< close the connection instead of answering
    /// Close the connection after answering without saying so, as a server ends an
    /// idle keep-alive connection.
    bool close_after = false;
};

class AuthServer {
public:
    /// Runs on the server's thread, one request at a time.
    using Respond = std::function<Reply(const Received&)>;

    explicit AuthServer(Respond respond) : respond_(std::move(respond)) {
        namespace ip = boost::asio::ip;
        acceptor_.open(ip::tcp::v4());
        acceptor_.bind({ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~AuthServer() {
        io_.stop();
        thread_.join();
    }
    AuthServer(const AuthServer&) = delete;
    AuthServer& operator=(const AuthServer&) = delete;
    AuthServer(AuthServer&&) = delete;
    AuthServer& operator=(AuthServer&&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url(std::string_view target = "/auth") const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
    }
    /// TCP connections accepted so far.
    int connections() const {
        std::lock_guard lock(mutex_);
        return connections_;
    }
    std::vector<Received> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    /// Waits until `count` requests came; false when `timeout` passed first.
    bool wait_for_requests(std::size_t count,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
    }
    /// Answers every request held so far.
    void release() {
        boost::asio::post(io_, [this] {
            for (auto& answer : std::exchange(held_, {})) answer();
        });
    }

private:
    using tcp = boost::asio::ip::tcp;

    /// One accepted connection: read a request, answer as told, read the next.
    struct Session : std::enable_shared_from_this<Session> {
        Session(AuthServer& server, tcp::socket socket)
            : server(server), socket(std::move(socket)), timer(server.io_) {}

        void read() {
            request = {};
            http::async_read(socket, buffer, request,
                             [self = shared_from_this()](boost::beast::error_code ec, std::size_t) {
                                 if (!ec) self->answer();
                             });
        }

        void answer() {
            Received got{std::string(request.method_string()), std::string(request.target()),
                         std::string(request[http::field::content_type]), request.body()};
            const Reply reply = server.respond_(got);
            server.record(std::move(got));
            if (reply.drop) {
                close();
            } else if (reply.hold) {
                server.held_.emplace_back(
                    [self = shared_from_this(), reply] { self->write(reply); });
            } else if (reply.delay.count() > 0) {
                timer.expires_after(reply.delay);
                timer.async_wait([self = shared_from_this(), reply](boost::beast::error_code ec) {
                    if (!ec) self->write(reply);
                });
            } else {
                write(reply);
            }
        }

        void write(const Reply& reply) {
            auto response = std::make_shared<http::response<http::string_body>>(
                static_cast<http::status>(reply.status), 11);
            response->set(http::field::content_type, "application/json");
            response->keep_alive(request.keep_alive());
            response->body() = reply.body;
            response->prepare_payload();
            const bool close_after = reply.close_after || !request.keep_alive();
            http::async_write(socket, *response,
                              [self = shared_from_this(), response, close_after](
                                  boost::beast::error_code ec, std::size_t) {
                                  if (ec || close_after) {
                                      self->close();
                                  } else {
                                      self->read();
                                  }
                              });
        }

        void close() {
            boost::beast::error_code ignored;
            socket.shutdown(tcp::socket::shutdown_both, ignored);
            socket.close(ignored);
        }

        AuthServer& server;
        tcp::socket socket;
        boost::asio::steady_timer timer;
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> request;
    };

    void accept() {
        acceptor_.async_accept([this](boost::beast::error_code ec, tcp::socket socket) {
            if (ec) return;
            {
                std::lock_guard lock(mutex_);
                ++connections_;
            }
            std::make_shared<Session>(*this, std::move(socket))->read();
            accept();
        });
    }

    void record(Received got) {
        std::lock_guard lock(mutex_);
        received_.push_back(std::move(got));
        changed_.notify_all();
    }

    Respond respond_;
    boost::asio::io_context io_;  // first: destroyed last, after what runs on it
    tcp::acceptor acceptor_{io_};
    std::uint16_t port_ = 0;
    std::vector<std::function<void()>> held_;  // on the server's thread
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    int connections_ = 0;
    std::vector<Received> received_;
    std::thread thread_;
};

}  // namespace relay::plugins::http_auth::testing
