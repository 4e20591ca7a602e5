#include "client.hpp"

#include <charconv>
#include <optional>

namespace relay::loadgen {

namespace beast = boost::beast;
namespace ws = beast::websocket;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr std::size_t kMaxOutbox = 10'000;  // frames; past it a sender's frame is dropped

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

/// The number after `key` in `text` (our own fields, which lead the object).
std::optional<std::uint64_t> field(std::string_view text, std::string_view key) {
    const auto at = text.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    std::uint64_t value = 0;
    const char* begin = text.data() + at + key.size();
    auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), value);
    if (ec != std::errc{}) return std::nullopt;
    return value;
}

}  // namespace

Client::Client(sdk::Executor executor, const Options& options, ThreadStats& stats,
               const std::atomic<Phase>& phase, unsigned room, unsigned index)
    : ws_(executor),
      options_(options),
      stats_(stats),
      phase_(phase),
      room_(room),
      index_(index),
      last_seq_(options.senders, -1),
      timer_(executor) {}

void Client::start(std::function<void(bool)> done) {
    connected_ = std::move(done);
    auto& socket = beast::get_lowest_layer(ws_);
    socket.expires_after(std::chrono::seconds(30));
    const tcp::endpoint endpoint(
        boost::asio::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host),
        options_.port_for(index_));
    socket.async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->fail("connect");
        beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
        const auto target = self->options_.path + "?EIO=4&transport=websocket";
        self->ws_.async_handshake(
            self->options_.host + ":" + std::to_string(self->options_.port_for(self->index_)),
            target, [self](beast::error_code hec) {
                if (hec) return self->fail("handshake");
                beast::get_lowest_layer(self->ws_).expires_never();
                self->read();
            });
    });
}

void Client::fail(const char* /*what*/) {
    if (connected_) {
        stats_.connect_failed.fetch_add(1, std::memory_order_relaxed);
        auto done = std::move(connected_);
        connected_ = nullptr;
        done(false);
    } else if (!closed_) {
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
    }
    closed_ = true;
    timer_.cancel();
}

void Client::read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->fail("read");
        const auto data = self->buffer_.cdata();
        self->on_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
        self->buffer_.consume(self->buffer_.size());
        if (!self->closed_) self->read();
    });
}

void Client::on_text(std::string_view text) {
    if (text.starts_with("42[\"message\"")) {
        on_message(text);
    } else if (text == "2") {
        send("3");
    } else if (text.starts_with("0{")) {
        std::string connect = "40{\"room\":\"room" + std::to_string(room_) + "\",\"user\":\"u" +
                              std::to_string(index_) + "\"";
        if (!options_.token.empty()) connect += ",\"token\":\"" + options_.token + "\"";
        send(connect + "}");
    } else if (text.starts_with("40")) {
        stats_.connected.fetch_add(1, std::memory_order_relaxed);
        if (connected_) {
            auto done = std::move(connected_);
            connected_ = nullptr;
            done(true);
        }
    } else if (text.starts_with("44")) {
        fail("connect_error");
    }
}

void Client::on_message(std::string_view text) {
    const auto now = now_ns();
    const auto s = field(text, "{\"s\":");
    const auto q = field(text, ",\"q\":");
    const auto t = field(text, ",\"t\":");
    const auto w = field(text, ",\"w\":");
    if (!s || !q || !t || !w || *s >= last_seq_.size()) {
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    stats_.delivered.fetch_add(1, std::memory_order_relaxed);
    auto& last = last_seq_[*s];
    const auto seq = static_cast<std::int64_t>(*q);
    if (seq == last) {
        stats_.duplicates.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (seq < last) stats_.out_of_order.fetch_add(1, std::memory_order_relaxed);
    last = std::max(last, seq);
    if (*w == 1) {
        stats_.measured_delivered.fetch_add(1, std::memory_order_relaxed);
        stats_.latency.record(now > *t ? now - *t : 0);
    }
}

void Client::send(std::string frame) {
    if (closed_) return;
    outbox_.push_back(std::move(frame));
    if (!writing_) write_next();
}

void Client::write_next() {
    if (outbox_.empty() || closed_) {
        writing_ = false;
        return;
    }
    writing_ = true;
    ws_.async_write(boost::asio::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail("write");
                        self->outbox_.pop_front();
                        self->write_next();
                    });
}

void Client::start_sending(std::chrono::nanoseconds offset) {
    if (options_.rate <= 0) return;
    // The payload's filler, sized so the whole event is about `payload` bytes.
    padding_.assign(options_.payload > 60 ? options_.payload - 60 : 1, 'x');
    next_send_ = std::chrono::steady_clock::now() + offset;
    timer_.expires_at(next_send_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->tick();
    });
}

void Client::tick() {
    const Phase phase = phase_.load(std::memory_order_relaxed);
    if (closed_ || phase == Phase::draining || phase == Phase::done) return;
    const bool measured = phase == Phase::measuring;
    std::string frame;
    frame.reserve(padding_.size() + 96);
    frame += "42[\"message\",{\"s\":";
    frame += std::to_string(index_);
    frame += ",\"q\":";
    frame += std::to_string(seq_++);
    frame += ",\"t\":";
    frame += std::to_string(now_ns());
    frame += measured ? ",\"w\":1,\"p\":\"" : ",\"w\":0,\"p\":\"";
    frame += padding_;
    frame += "\"}]";
    if (outbox_.size() >= kMaxOutbox) {
        stats_.backlog_drops.fetch_add(1, std::memory_order_relaxed);
    } else {
        stats_.sent.fetch_add(1, std::memory_order_relaxed);
        if (measured) stats_.measured_sent.fetch_add(1, std::memory_order_relaxed);
        send(std::move(frame));
    }
    // Open loop: the schedule does not wait for anything; a late tick catches up.
    next_send_ += std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / options_.rate));
    timer_.expires_at(next_send_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->tick();
    });
}

void Client::close() {
    closed_ = true;
    timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

}  // namespace relay::loadgen
