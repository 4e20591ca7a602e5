// A line-protocol TCP transport for process-level tests (SIGTERM under load, the
// whole binary end to end) before and beside the WebSocket transport.
//
// Protocol, one command per line:
//   client: HELLO <room> <user>            server: WELCOME <sid>
//   client: PUB <token> <json>             server: ACK <token> <id>  |  NACK <token> <reason>
//   server (to the other members of the room):  MSG <id> <sender-sid> <json>
//   client: HIST <token> <limit> [before <id> | after <id>]
//                                          server: HISTORY <token> [<id> ...]  |  NACK <token>
//                                          <reason>
//     the history of the room of HELLO, oldest first: the last <limit> messages, the
//     last <limit> before <id>, or the first <limit> after <id> (as sdk::HistoryQuery).
// All connection state lives on one executor: simple, and fast enough for tests.
#include <relay/sdk/plugin.hpp>

#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
namespace sdk = relay::sdk;

struct Settings {
    std::string listen;
    std::string port_file;
    std::string node_id;  // prefixes sids, so they are unique across nodes
};

class LineTransport;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, LineTransport& owner, std::string sid)
        : socket_(std::move(socket)), owner_(owner), sid_(std::move(sid)) {}
    void start() { read(); }
    void send(std::string line);
    /// Close once every queued line is written.
    void finish() {
        closing_ = true;
        if (!writing_) close();
    }
    void close() {
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }
    const std::string& sid() const { return sid_; }
    const std::string& room() const { return room_; }

private:
    void read();
    void handle(std::string_view line);
    void write_next();

    tcp::socket socket_;
    LineTransport& owner_;
    std::string sid_;
    std::string room_;
    std::string user_;
    asio::streambuf buffer_;
    std::deque<std::string> outbox_;
    bool writing_ = false;
    bool closing_ = false;
};

class LineTransport final : public sdk::Transport {
public:
    LineTransport(Settings settings, sdk::Executor executor)
        : settings_(std::move(settings)), executor_(executor), acceptor_(executor) {}

    void start(sdk::Inbound& inbound, sdk::Done done) override {
        inbound_ = &inbound;
        asio::post(executor_, [this, done = std::move(done)] {
            try {
                const auto colon = settings_.listen.rfind(':');
                tcp::endpoint endpoint(
                    asio::ip::make_address(settings_.listen.substr(0, colon)),
                    static_cast<unsigned short>(std::stoi(settings_.listen.substr(colon + 1))));
                acceptor_.open(endpoint.protocol());
                acceptor_.set_option(tcp::acceptor::reuse_address(true));
                acceptor_.bind(endpoint);
                acceptor_.listen();
                if (!settings_.port_file.empty()) {
                    const auto tmp = settings_.port_file + ".tmp";
                    std::ofstream(tmp) << acceptor_.local_endpoint().port() << "\n";
                    std::rename(tmp.c_str(), settings_.port_file.c_str());
                }
            } catch (const std::exception&) {
                done(make_error_code(sdk::Errc::unavailable));
                return;
            }
            accept();
            done({});
        });
    }

    void broadcast(const sdk::Message& msg, std::string_view except_sender) override {
        auto line = std::make_shared<const std::string>("MSG " + msg.id + " " + msg.sender + " " +
                                                        msg.payload_json + "\n");
        asio::post(executor_, [this, room = msg.room, except = std::string(except_sender), line] {
            auto it = rooms_.find(room);
            if (it == rooms_.end()) return;
            for (auto* member : it->second) {
                if (member->sid() != except) member->send(*line);
            }
        });
    }

    void presence_changed(const sdk::PresenceEvent&) override {}

    void stop(sdk::Done done) override {
        asio::post(executor_, [this, done = std::move(done)]() mutable {
            stopping_ = true;
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            stop_done_ = std::move(done);
            maybe_stopped();
        });
    }

    // Called on executor_ by connections.
    void publish(std::shared_ptr<Connection> from, std::string token, std::string json) {
        if (stopping_) {
            from->send("NACK " + token + " shutting down\n");
            return;
        }
        ++in_flight_;
        sdk::Message msg;
        msg.room = from->room();
        msg.sender = from->sid();
        msg.payload_json = std::move(json);
        inbound_->publish(std::move(msg), [this, from, token](const sdk::Published& result) {
            asio::post(executor_, [this, from, token, result] {
                if (result.error) {
                    from->send("NACK " + token + " " + result.reason + "\n");
                } else {
                    from->send("ACK " + token + " " + result.id + "\n");
                }
                --in_flight_;
                maybe_stopped();
            });
        });
    }
    void history(std::shared_ptr<Connection> from, std::string token, sdk::HistoryQuery query) {
        inbound_->history(
            from->room(), std::move(query),
            [this, from, token](std::error_code ec, std::vector<sdk::Message> messages) {
                std::string line = ec ? "NACK " + token + " " + ec.message() : "HISTORY " + token;
                if (!ec) {
                    for (const auto& msg : messages) line += " " + msg.id;
                }
                line += "\n";
                asio::post(executor_, [from, line = std::move(line)]() mutable {
                    from->send(std::move(line));
                });
            });
    }
    void joined(Connection* c, const std::string& user) {
        rooms_[c->room()].insert(c);
        inbound_->join({c->room(), c->sid(), user, "test", 0}, [](std::error_code) {});
    }
    void gone(Connection* c) {
        if (auto it = rooms_.find(c->room()); it != rooms_.end() && it->second.erase(c) > 0) {
            inbound_->leave({c->room(), c->sid(), {}, "test", 0}, [](std::error_code) {});
        }
        live_.erase(c);
        maybe_stopped();
    }

private:
    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec) return;
            auto c = std::make_shared<Connection>(
                std::move(socket), *this, settings_.node_id + "-c" + std::to_string(++next_sid_));
            live_[c.get()] = c;
            c->start();
            accept();
        });
    }
    // Once every accepted publish got its answer, connections close after writing
    // what they have queued; the stop completes when the last one is gone.
    void maybe_stopped() {
        if (!stopping_ || in_flight_ != 0 || !stop_done_) return;
        if (!finishing_) {
            finishing_ = true;
            for (auto& [raw, c] : live_) c->finish();
        }
        if (!live_.empty()) return;
        auto done = std::move(stop_done_);
        stop_done_ = nullptr;
        done({});
    }

    Settings settings_;
    sdk::Executor executor_;
    tcp::acceptor acceptor_;
    sdk::Inbound* inbound_ = nullptr;
    std::map<std::string, std::set<Connection*>> rooms_;
    std::map<Connection*, std::shared_ptr<Connection>> live_;
    std::uint64_t next_sid_ = 0;
    std::size_t in_flight_ = 0;
    bool stopping_ = false;
    bool finishing_ = false;
    sdk::Done stop_done_;
};

void Connection::read() {
    asio::async_read_until(
        socket_, buffer_, '\n',
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
            if (ec) {
                self->owner_.gone(self.get());
                return;
            }
            std::string line(
                asio::buffers_begin(self->buffer_.data()),
                asio::buffers_begin(self->buffer_.data()) + static_cast<std::ptrdiff_t>(n - 1));
            self->buffer_.consume(n);
            self->handle(line);
            self->read();
        });
}

void Connection::handle(std::string_view line) {
    const auto space = line.find(' ');
    const auto verb = line.substr(0, space);
    const auto rest = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    if (verb == "HELLO") {
        const auto sep = rest.find(' ');
        room_ = std::string(rest.substr(0, sep));
        user_ = sep == std::string_view::npos ? "" : std::string(rest.substr(sep + 1));
        owner_.joined(this, user_);
        send("WELCOME " + sid_ + "\n");
    } else if (verb == "PUB") {
        const auto sep = rest.find(' ');
        owner_.publish(shared_from_this(), std::string(rest.substr(0, sep)),
                       std::string(rest.substr(sep + 1)));
    } else if (verb == "HIST") {
        std::istringstream words{std::string(rest)};
        std::string token;
        std::string direction;
        std::string id;
        sdk::HistoryQuery query;
        const bool ok = static_cast<bool>(words >> token >> query.limit) &&
                        (!(words >> direction) ||
                         ((direction == "before" || direction == "after") && (words >> id)));
        if (!ok) {
            send("ERROR usage: HIST <token> <limit> [before <id> | after <id>]\n");
            return;
        }
        (direction == "before" ? query.before_id : query.after_id) = id;
        owner_.history(shared_from_this(), std::move(token), std::move(query));
    } else {
        send("ERROR unknown command\n");
    }
}

void Connection::send(std::string line) {
    outbox_.push_back(std::move(line));
    if (!writing_) write_next();
}

void Connection::write_next() {
    if (outbox_.empty()) {
        writing_ = false;
        if (closing_) close();
        return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(outbox_.front()),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                          if (ec) {
                              self->writing_ = false;
                              self->close();
                              return;
                          }
                          self->outbox_.pop_front();
                          self->write_next();
                      });
}

const sdk::Manifest& manifest() {
    static const sdk::Manifest m{
        .name = "testline",
        .version = "0.1.0",
        .description = "line-protocol TCP transport for tests",
        .schema = {sdk::config_key("listen", sdk::ValueType::endpoint, "address to listen on")
                       .fallback("127.0.0.1:0"),
                   sdk::config_key("port_file", sdk::ValueType::string,
                                   "write the bound port to this file")
                       .fallback("")},
        .factory = sdk::TransportFactory([](sdk::PluginContext& ctx) {
            Settings s{ctx.config().endpoint("listen"), ctx.config().string("port_file"),
                       std::string(ctx.node_id())};
            return std::make_unique<LineTransport>(std::move(s), ctx.io_executors().front());
        }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
