#include "connection.hpp"

#include <relay/sdk/error.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <random>
#include <utility>

namespace relay::plugins::valkey {

namespace {

class ClientCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "valkey"; }
    std::string message(int value) const override {
        switch (static_cast<ClientErrc>(value)) {
            case ClientErrc::server_error: return "the Valkey server answered with an error";
            case ClientErrc::bad_reply: return "unexpected reply from the Valkey server";
            case ClientErrc::connect_failed:
                return "could not connect to the Valkey server (see the log; check `url`)";
        }
        return "unknown valkey client error";
    }
};

Reply convert(const redisReply* r) {
    Reply out;
    switch (r->type) {
        case REDIS_REPLY_STRING:
            out.type = Reply::Type::string;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = Reply::Type::status;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = Reply::Type::error;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_INTEGER:
            out.type = Reply::Type::integer;
            out.integer = r->integer;
            break;
        case REDIS_REPLY_ARRAY:
            out.type = Reply::Type::array;
            out.elements.reserve(r->elements);
            for (std::size_t i = 0; i < r->elements; ++i)
                out.elements.push_back(convert(r->element[i]));
            break;
        default: out.type = Reply::Type::nil; break;
    }
    return out;
}

std::chrono::milliseconds jittered(std::chrono::milliseconds delay) {
    // +-20%, so that nodes that lost one server do not all come back in one instant.
    thread_local std::minstd_rand rng{std::random_device{}()};
    std::uniform_int_distribution<long long> spread(80, 120);
    return std::chrono::milliseconds(delay.count() * spread(rng) / 100);
}

}  // namespace

long long Reply::as_integer(long long fallback) const {
    if (type == Type::integer) return integer;
    if (type == Type::string || type == Type::status) {
        try {
            std::size_t used = 0;
            const long long v = std::stoll(str, &used);
            if (used == str.size()) return v;
        } catch (const std::exception&) {
        }
    }
    return fallback;
}

const std::error_category& client_category() noexcept {
    static const ClientCategory category;
    return category;
}

std::error_code make_error_code(ClientErrc e) noexcept {
    return {static_cast<int>(e), client_category()};
}

/// One command's completion, handed to hiredis as privdata and deleted by on_reply.
struct Connection::Pending {
    ReplyHandler done;
    sdk::Executor executor;
};

void Connection::ContextFree::operator()(redisAsyncContext* ac) const noexcept {
    redisAsyncFree(ac);
}

std::shared_ptr<Connection> Connection::create(const sdk::Executor& executor,
                                               ConnectionOptions options, sdk::Logger& log,
                                               std::string label) {
    return std::shared_ptr<Connection>(
        new Connection(executor, std::move(options), log, std::move(label)));
}

Connection::Connection(const sdk::Executor& executor, ConnectionOptions options, sdk::Logger& log,
                       std::string label)
    : executor_(executor),
      options_(std::move(options)),
      log_(log),
      label_(std::move(label)),
      resolver_(executor),
      socket_(executor),
      connect_timer_(executor),
      retry_timer_(executor),
      timeout_timer_(executor),
      backoff_(options_.reconnect_delay) {}

Connection::~Connection() {
    state_ = State::closed;
    if (ac_) {
        // Nothing of this object may be touched from here on: unhook, then free.
        redisAsyncContext* ac = ac_.release();
        ac->data = nullptr;
        ac->ev.data = nullptr;
        ac->ev.addRead = nullptr;
        ac->ev.delRead = nullptr;
        ac->ev.addWrite = nullptr;
        ac->ev.delWrite = nullptr;
        ac->ev.cleanup = nullptr;
        if (socket_.is_open()) socket_.release();  // hiredis closes the fd
        redisAsyncFree(ac);
    }
}

void Connection::start() {
    if (state_ != State::idle) return;
    connect();
}

void Connection::connect() {
    const std::uint64_t attempt = ++attempt_;
    state_ = State::resolving;
    connect_timer_.expires_after(options_.connect_timeout);
    connect_timer_.async_wait([self = shared_from_this(), attempt](boost::system::error_code ec) {
        if (ec || self->attempt_ != attempt) return;
        const std::string why = "no connection within connect_timeout (" +
                                std::to_string(self->options_.connect_timeout.count()) + "ms)";
        if (self->state_ == State::resolving) {
            self->last_error_ = why;
            self->resolver_.cancel();
        } else if (self->state_ == State::connecting || self->state_ == State::handshake) {
            self->fail_context(make_error_code(sdk::Errc::timed_out), why);
        }
    });
    const Address& address = options_.address;
    boost::system::error_code numeric;
    const auto ip = boost::asio::ip::make_address(address.host, numeric);
    if (!numeric) {
        open(ip.to_string(), address.port);
        return;
    }
    // A host name: resolve it with Asio, so that hiredis's own (blocking) getaddrinfo
    // only ever sees a numeric address.
    resolver_.async_resolve(
        address.host, std::to_string(address.port),
        [self = shared_from_this(), attempt](
            boost::system::error_code ec,
            const boost::asio::ip::tcp::resolver::results_type& found) {
            if (self->attempt_ != attempt || self->state_ != State::resolving) return;
            if (ec || found.empty()) {
                if (ec != boost::asio::error::operation_aborted) {
                    self->last_error_ = "cannot resolve " + self->options_.address.host + ": " +
                                        (ec ? ec.message() : std::string("no address"));
                }
                self->lost();
                return;
            }
            // Each attempt takes the next address (localhost: ::1, then 127.0.0.1).
            auto it = found.begin();
            std::advance(it, static_cast<std::ptrdiff_t>((attempt - 1) % found.size()));
            const auto endpoint = it->endpoint();
            self->open(endpoint.address().to_string(), endpoint.port());
        });
}

void Connection::open(const std::string& ip, std::uint16_t port) {
    redisAsyncContext* ac = redisAsyncConnect(ip.c_str(), port);
    if (ac == nullptr) {
        last_error_ = "out of memory";
        lost();
        return;
    }
    if (ac->err != 0) {
        last_error_ = ac->errstr;
        redisAsyncFree(ac);
        lost();
        return;
    }
    ac_.reset(ac);
    ++generation_;
    failure_ = make_error_code(sdk::Errc::unavailable);
    reading_ = writing_ = {};
    timeout_armed_ = false;
    boost::system::error_code ec;
    socket_.assign(ac->c.fd, ec);
    if (ec) {
        last_error_ = "cannot watch the socket: " + ec.message();
        ac_.reset();  // not hooked yet: a plain free
        lost();
        return;
    }
    redisEnableKeepAlive(&ac->c);  // a silent peer is found out by TCP keepalive
    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = &Connection::hook_add_read;
    ac->ev.delRead = &Connection::hook_del_read;
    ac->ev.addWrite = &Connection::hook_add_write;
    ac->ev.delWrite = &Connection::hook_del_write;
    ac->ev.cleanup = &Connection::hook_cleanup;
    state_ = State::connecting;
    // Asks for the first write event, which tells that the TCP connect finished.
    redisAsyncSetConnectCallback(ac, &Connection::on_connect);
}

void Connection::on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<Connection*>(ac->data);
    if (self == nullptr) return;
    if (status != REDIS_OK) {
        // hiredis frees the context right after this; hook_cleanup follows.
        self->last_error_ = ac->errstr[0] != '\0' ? ac->errstr : "connect failed";
        return;
    }
    // Not from inside hiredis: the handshake's replies are handled as usual.
    boost::asio::post(self->executor_, [weak = self->weak_from_this(), gen = self->generation_] {
        auto me = weak.lock();
        if (me && me->generation_ == gen && me->state_ == State::connecting) me->handshake();
    });
}

void Connection::handshake() {
    state_ = State::handshake;
    struct Step {
        std::vector<std::string> args;
        bool optional;
    };
    std::vector<Step> steps;
    const Address& a = options_.address;
    if (!a.password.empty()) {
        steps.push_back({a.user.empty() ? std::vector<std::string>{"AUTH", a.password}
                                        : std::vector<std::string>{"AUTH", a.user, a.password},
                         false});
    }
    if (a.database != 0) steps.push_back({{"SELECT", std::to_string(a.database)}, false});
    if (!options_.client_name.empty()) {
        steps.push_back({{"CLIENT", "SETNAME", options_.client_name}, true});
    }
    steps.push_back({{"PING"}, false});
    auto remaining = std::make_shared<std::size_t>(steps.size());
    const std::uint64_t gen = generation_;
    for (auto& step : steps) {
        ReplyHandler done = [self = shared_from_this(), gen, remaining, name = step.args[0],
                             optional = step.optional](std::error_code ec, const Reply& reply) {
            if (self->generation_ != gen || self->state_ != State::handshake) return;
            if (ec && !optional) {
                const std::string why = name + " failed: " +
                                        (ec == ClientErrc::server_error ? reply.str : ec.message());
                self->fail_context(
                    ec == ClientErrc::server_error ? make_error_code(sdk::Errc::unavailable) : ec,
                    why);
                return;
            }
            if (--*remaining == 0) self->became_up();
        };
        if (!send(step.args, done, {})) {
            fail_context(make_error_code(sdk::Errc::unavailable), "cannot send " + step.args[0]);
            return;
        }
    }
}

void Connection::became_up() {
    state_ = State::up;
    connect_timer_.cancel();
    backoff_ = options_.reconnect_delay;
    log_.info(label_ + ": " + (was_up_ ? "reconnected to " : "connected to ") +
              options_.address.endpoint());
    was_up_ = true;
    last_error_.clear();
    if (on_up_) on_up_();
}

void Connection::fail_context(std::error_code reason, std::string_view why) {
    if (!ac_) return;
    failure_ = reason;
    last_error_ = std::string(why);
    // Answers every pending command (on_reply with no reply), then hook_cleanup.
    redisAsyncFree(ac_.get());
}

void Connection::reset(std::string_view why) {
    if (state_ == State::closed) return;
    if (ac_) fail_context(make_error_code(sdk::Errc::unavailable), why);
}

void Connection::close() {
    if (state_ == State::closed) return;
    state_ = State::closed;
    connect_timer_.cancel();
    retry_timer_.cancel();
    resolver_.cancel();
    if (ac_) {
        failure_ = make_error_code(sdk::Errc::shutting_down);
        redisAsyncFree(ac_.get());
    }
    for (auto& [channel, waiting] : confirmations_) {
        for (auto& done : waiting) {
            boost::asio::post(executor_, [done = std::move(done)] {
                done(make_error_code(sdk::Errc::shutting_down), {});
            });
        }
    }
    confirmations_.clear();
    subscriptions_.clear();
    on_up_ = nullptr;
    on_down_ = nullptr;
}

void Connection::context_gone() {
    // Called by hiredis as it frees the context: after this the fd is closed.
    (void)ac_.release();
    ++generation_;
    if (socket_.is_open()) socket_.release();
    reading_ = writing_ = {};
    timeout_armed_ = false;
    deadlines_.clear();
    timeout_timer_.cancel();
    for (auto& [channel, waiting] : confirmations_) {
        for (auto& done : waiting) {
            boost::asio::post(executor_, [done = std::move(done), ec = failure_] { done(ec, {}); });
        }
    }
    confirmations_.clear();
    subscriptions_.clear();
    if (state_ == State::closed) return;
    const bool was_up = state_ == State::up;
    state_ = State::waiting;
    // Not from inside hiredis: the owner's handlers may issue commands.
    boost::asio::post(executor_, [weak = weak_from_this(), was_up] {
        auto self = weak.lock();
        if (!self || self->state_ != State::waiting) return;
        if (was_up) {
            self->log_.warn(self->label_ + ": lost the connection to " +
                            self->options_.address.endpoint() + " (" +
                            (self->last_error_.empty() ? std::string("closed by the server")
                                                       : self->last_error_) +
                            "); reconnecting");
            if (self->on_down_) self->on_down_(self->failure_);
        }
        self->lost(was_up);
    });
}

void Connection::lost(bool announced) {
    if (state_ == State::closed) return;
    state_ = State::waiting;
    connect_timer_.cancel();
    const auto delay = jittered(backoff_);
    // The first failure of a series is a warning (unless the loss was just logged),
    // the retries after it are debug lines.
    if (!announced &&
        (log_.enabled(sdk::LogLevel::debug) || backoff_ == options_.reconnect_delay)) {
        log_.log(backoff_ == options_.reconnect_delay ? sdk::LogLevel::warn : sdk::LogLevel::debug,
                 label_ + ": cannot connect to " + options_.address.endpoint() + " (" +
                     (last_error_.empty() ? std::string("connection closed") : last_error_) +
                     "); retrying in " + std::to_string(delay.count()) + "ms");
    }
    backoff_ = std::min(backoff_ * 2, options_.reconnect_delay_max);
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->state_ != State::waiting) return;
        self->connect();
    });
}

void Connection::command(const std::vector<std::string>& args, ReplyHandler done,
                         std::chrono::milliseconds extra) {
    if (state_ != State::up || !ac_ || !send(args, done, extra)) {
        const auto ec = make_error_code(state_ == State::closed ? sdk::Errc::shutting_down
                                                                : sdk::Errc::unavailable);
        boost::asio::post(executor_, [done = std::move(done), ec] { done(ec, {}); });
    }
}

bool Connection::send(const std::vector<std::string>& args, ReplyHandler& done,
                      std::chrono::milliseconds extra) {
    if (!ac_) return false;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    auto pending = std::make_unique<Pending>(Pending{std::move(done), executor_});
    if (redisAsyncCommandArgv(ac_.get(), &Connection::on_reply, pending.get(),
                              static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
        done = std::move(pending->done);
        return false;
    }
    (void)pending.release();  // on_reply deletes it
    deadlines_.push_back(std::chrono::steady_clock::now() + options_.command_timeout + extra);
    arm_timeout();
    return true;
}

void Connection::subscribe(const std::string& channel, MessageHandler on_message,
                           ReplyHandler done) {
    if (state_ != State::up || !ac_) {
        const auto ec = make_error_code(state_ == State::closed ? sdk::Errc::shutting_down
                                                                : sdk::Errc::unavailable);
        boost::asio::post(executor_, [done = std::move(done), ec] { done(ec, {}); });
        return;
    }
    std::array<const char*, 2> argv{"SUBSCRIBE", channel.data()};
    const std::array<std::size_t, 2> lengths{9, channel.size()};
    // No privdata: messages find their handler by channel, through ac->data.
    if (redisAsyncCommandArgv(ac_.get(), &Connection::on_push, nullptr,
                              static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
        boost::asio::post(executor_, [done = std::move(done)] {
            done(make_error_code(sdk::Errc::unavailable), {});
        });
        return;
    }
    subscriptions_[channel] = std::move(on_message);
    confirmations_[channel].push_back(std::move(done));
}

void Connection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
    auto* self = static_cast<Connection*>(ac->data);
    if (self != nullptr) self->answered();
    if (!pending) return;
    std::error_code ec;
    Reply value;
    if (reply == nullptr) {
        ec = self != nullptr ? self->failure_ : make_error_code(sdk::Errc::shutting_down);
    } else {
        value = convert(static_cast<const redisReply*>(reply));
        if (value.type == Reply::Type::error) ec = make_error_code(ClientErrc::server_error);
    }
    boost::asio::post(pending->executor,
                      [done = std::move(pending->done), ec, value = std::move(value)]() mutable {
                          done(ec, std::move(value));
                      });
}

void Connection::on_push(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
    auto* self = static_cast<Connection*>(ac->data);
    const auto* r = static_cast<const redisReply*>(reply);
    if (self == nullptr || r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const redisReply* kind = r->element[0];
    const redisReply* channel = r->element[1];
    if (kind->type != REDIS_REPLY_STRING || channel->type != REDIS_REPLY_STRING) return;
    const std::string_view what(kind->str, kind->len);
    const std::string_view name(channel->str, channel->len);
    if (what == "message" && r->element[2]->type == REDIS_REPLY_STRING) {
        auto it = self->subscriptions_.find(name);
        if (it == self->subscriptions_.end() || !it->second) return;
        boost::asio::post(self->executor_, [handler = it->second,
                                            payload = std::string(r->element[2]->str,
                                                                  r->element[2]->len)]() mutable {
            handler(std::move(payload));
        });
    } else if (what == "subscribe") {
        auto it = self->confirmations_.find(name);
        if (it == self->confirmations_.end()) return;
        for (auto& done : it->second) {
            boost::asio::post(self->executor_, [done = std::move(done)] { done({}, {}); });
        }
        self->confirmations_.erase(it);
    }
}

void Connection::answered() {
    if (!deadlines_.empty()) deadlines_.pop_front();
}

void Connection::arm_timeout() {
    if (timeout_armed_ || deadlines_.empty()) return;
    timeout_armed_ = true;
    timeout_timer_.expires_at(deadlines_.front());
    timeout_timer_.async_wait(
        [self = shared_from_this(), gen = generation_](boost::system::error_code ec) {
            if (self->generation_ != gen) return;
            self->timeout_armed_ = false;
            if (!ec) self->check_timeouts();
        });
}

void Connection::check_timeouts() {
    if (deadlines_.empty()) return;
    if (std::chrono::steady_clock::now() >= deadlines_.front()) {
        log_.warn(label_ + ": no answer from " + options_.address.endpoint() + " within " +
                  std::to_string(options_.command_timeout.count()) +
                  "ms; reconnecting (raise `command_timeout` if the server is just slow)");
        fail_context(make_error_code(sdk::Errc::timed_out), "command timed out");
        return;
    }
    arm_timeout();
}

void Connection::arm(Direction direction) {
    Readiness& ready = readiness(direction);
    if (ready.armed || !ac_) return;
    ready.armed = true;
    socket_.async_wait(
        direction == Direction::read ? boost::asio::posix::stream_descriptor::wait_read
                                     : boost::asio::posix::stream_descriptor::wait_write,
        [self = shared_from_this(), gen = generation_, direction](boost::system::error_code ec) {
            if (self->generation_ != gen) return;
            Readiness& ready = self->readiness(direction);
            ready.armed = false;
            if (ec) {
                if (ec != boost::asio::error::operation_aborted) {
                    self->fail_context(make_error_code(sdk::Errc::unavailable), ec.message());
                }
                return;
            }
            if (!ready.wanted || !self->ac_) return;
            // Either may free the context.
            if (direction == Direction::read) {
                redisAsyncHandleRead(self->ac_.get());
            } else {
                redisAsyncHandleWrite(self->ac_.get());
            }
            if (self->generation_ == gen && ready.wanted) self->arm(direction);
        });
}

void Connection::hook_add_read(void* data) {
    auto* self = static_cast<Connection*>(data);
    self->reading_.wanted = true;
    self->arm(Direction::read);
}

void Connection::hook_del_read(void* data) {
    static_cast<Connection*>(data)->reading_.wanted = false;
}

void Connection::hook_add_write(void* data) {
    auto* self = static_cast<Connection*>(data);
    self->writing_.wanted = true;
    self->arm(Direction::write);
}

void Connection::hook_del_write(void* data) {
    static_cast<Connection*>(data)->writing_.wanted = false;
}

void Connection::hook_cleanup(void* data) {
    static_cast<Connection*>(data)->context_gone();
}

}  // namespace relay::plugins::valkey
