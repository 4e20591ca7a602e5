#include "reader_pool.hpp"

#include "history_statements.hpp"
#include "postgres_errors.hpp"

#include <relay/sdk/error.hpp>

#include <algorithm>
#include <utility>

namespace relay::plugins::postgres {

ReaderPool::ReaderPool(const StoreContext& ctx, const StoreReadiness& readiness, Events events)
    : ctx_(ctx), readiness_(readiness), events_(std::move(events)) {
    readers_.reserve(ctx.settings.pool_size);
    for (std::size_t i = 0; i < ctx.settings.pool_size; ++i) {
        readers_.emplace_back(ctx.executor, ctx.settings);
    }
}

void ReaderPool::connect_all(std::function<void(const std::string& error)> done) {
    start_done_ = std::move(done);
    starting_ = readers_.size();
    for (std::size_t i = 0; i < readers_.size(); ++i) {
        connect(i, [this](const std::string& error) {
            if (!start_done_) return;
            if (error.empty() && --starting_ > 0) return;
            auto started = std::move(start_done_);
            start_done_ = nullptr;
            started(error);
        });
    }
}

bool ReaderPool::reader_up() const {
    return std::any_of(readers_.begin(), readers_.end(),
                       [](const Reader& r) { return r.up && r.conn && r.conn->ready(); });
}

// ---- connections ---------------------------------------------------------------------

void ReaderPool::connect(std::size_t index, Connected then) {
    Reader& reader = readers_[index];
    reader.conn = ctx_.make_connection();
    reader.up = false;
    Connection* conn = reader.conn.get();
    reader.conn->on_lost([this, alive = ctx_.keep_alive(), index, conn](const std::string& error) {
        if (readers_[index].conn.get() != conn) return;
        lost(index, error);
    });
    auto setup = ctx_.session_setup();
    for (auto& statement : history_session_setup()) setup.push_back(std::move(statement));
    reader.conn->connect(ctx_.target, ctx_.settings.connect_timeout, std::move(setup),
                         [this, alive = ctx_.keep_alive(), index, conn,
                          then = std::move(then)](const std::string& error) {
                             Reader& r = readers_[index];
                             if (r.conn.get() != conn || closed_) return;
                             if (error.empty()) {
                                 r.up = true;
                                 r.backoff.reset();
                             }
                             then(error);
                         });
}

void ReaderPool::lost(std::size_t index, const std::string& error) {
    Reader& reader = readers_[index];
    reader.up = false;
    ctx_.metrics.errors.add();
    ctx_.log.warn("postgres store " + ctx_.where + ": lost reader connection " +
                  std::to_string(index) + " (" + error + "); reconnecting");
    if (reader.current) {
        if (reader.current->done) reads_.push_front(std::move(*reader.current));
        reader.current.reset();
    }
    schedule_reconnect(index);
    dispatch();
    events_.waiting();
}

void ReaderPool::schedule_reconnect(std::size_t index) {
    Reader& reader = readers_[index];
    reader.timer.expires_after(reader.backoff.next());
    reader.timer.async_wait([this, alive = ctx_.keep_alive(), index](boost::system::error_code ec) {
        if (ec || closed_) return;
        connect(index, [this, index](const std::string& error) {
            if (!error.empty()) {
                ctx_.log.debug("postgres store " + ctx_.where + ": reconnecting reader " +
                               std::to_string(index) + ": " + error);
                schedule_reconnect(index);
                return;
            }
            ctx_.metrics.reconnects.add();
            dispatch();
        });
    });
}

// ---- queries -------------------------------------------------------------------------

void ReaderPool::submit(std::string room, sdk::HistoryQuery query, sdk::HistoryDone done) {
    if (query.limit == 0) {
        done({}, {});
        return;
    }
    if (readiness_.unreachable() && !reader_up()) {
        // The server is out of reach: answer now rather than after history_timeout.
        ctx_.metrics.history_failures.add();
        done(make_error_code(sdk::Errc::unavailable), {});
        return;
    }
    reads_.push_back(Read{std::move(room), std::move(query), std::move(done), Clock::now()});
    ++active_reads_;
    dispatch();
    events_.waiting();
}

void ReaderPool::dispatch() {
    for (std::size_t i = 0; i < readers_.size() && !reads_.empty(); ++i) {
        Reader& reader = readers_[i];
        if (!reader.up || !reader.conn || !reader.conn->ready() || reader.current) continue;
        reader.current = std::move(reads_.front());
        reads_.pop_front();
        send(i);
    }
}

void ReaderPool::send(std::size_t index) {
    Reader& reader = readers_[index];
    const Read& read = *reader.current;
    std::vector<Statement> statements;
    statements.push_back(history_statement(read.room, read.query));
    reader.conn->send(statements, [this, alive = ctx_.keep_alive(), index, conn = reader.conn.get(),
                                   newest = newest_first(read.query)](const Outcome& outcome) {
        const Reader& r = readers_[index];
        // Lost: lost() asks again on another connection.
        if (outcome.status == Outcome::Status::lost || r.conn.get() != conn || !r.current) return;
        answered(index, outcome, newest);
    });
}

void ReaderPool::answered(std::size_t index, const Outcome& outcome, bool newest) {
    Reader& reader = readers_[index];
    Read read = std::move(*reader.current);
    reader.current.reset();
    if (outcome.status == Outcome::Status::failed) {
        ctx_.metrics.errors.add();
        ctx_.metrics.history_failures.add();
        ctx_.log.error("postgres store " + ctx_.where + ": history of room \"" + read.room +
                       "\" failed: " + outcome.message);
        finish(read, make_postgres_error(outcome.sqlstate), {});
    } else {
        std::vector<sdk::Message> found;
        if (parse_messages(outcome.results.front().get(), found)) {
            if (newest) std::reverse(found.begin(), found.end());
            ctx_.metrics.queries.add();
            finish(read, {}, std::move(found));
        } else {
            ctx_.metrics.errors.add();
            ctx_.metrics.history_failures.add();
            ctx_.log.error("postgres store " + ctx_.where + ": history of room \"" + read.room +
                           "\": malformed row");
            finish(read, make_postgres_error("XX001"), {});
        }
    }
    dispatch();
    events_.settled();
}

void ReaderPool::finish(Read& read, std::error_code ec, std::vector<sdk::Message> found) {
    auto done = std::move(read.done);
    read.done = nullptr;
    if (!done) return;  // answered already: history_timeout ran out while in flight
    --active_reads_;
    done(ec, std::move(found));
}

void ReaderPool::fail_waiting() {
    if (reader_up()) return;
    auto waiting = std::move(reads_);
    reads_.clear();
    ctx_.metrics.history_failures.add(waiting.size());
    for (auto& read : waiting) finish(read, make_error_code(sdk::Errc::unavailable), {});
    events_.settled();
}

// ---- deadlines, stop -----------------------------------------------------------------

std::size_t ReaderPool::expire(Clock::time_point expired) {
    const auto ec = make_error_code(sdk::Errc::unavailable);
    std::size_t failed = 0;
    // One in flight is answered now; its connection's answer, when it comes, is
    // dropped (the reader stays busy with it until then).
    for (auto& reader : readers_) {
        if (reader.current && reader.current->done && reader.current->arrived <= expired) {
            ++failed;
            finish(*reader.current, ec, {});
        }
    }
    for (auto it = reads_.begin(); it != reads_.end();) {
        if (it->arrived <= expired) {
            Read read = std::move(*it);
            it = reads_.erase(it);
            ++failed;
            finish(read, ec, {});
        } else {
            ++it;
        }
    }
    ctx_.metrics.history_failures.add(failed);
    return failed;
}

void ReaderPool::abandon(std::error_code ec) {
    auto reads = std::move(reads_);
    reads_.clear();
    for (auto& reader : readers_) {
        if (reader.current) reads.push_back(std::move(*reader.current));
        reader.current.reset();
    }
    for (auto& read : reads) finish(read, ec, {});
}

void ReaderPool::close() {
    closed_ = true;
    for (auto& reader : readers_) {
        if (reader.conn) reader.conn->close();
        reader.conn.reset();
        reader.up = false;
        reader.timer.cancel();
    }
}

}  // namespace relay::plugins::postgres
