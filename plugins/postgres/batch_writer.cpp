#include "batch_writer.hpp"

#include "batch_insert.hpp"
#include "postgres_errors.hpp"

#include <relay/sdk/error.hpp>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <utility>

namespace relay::plugins::postgres {

namespace {

constexpr std::size_t kMaxBatchesInFlight = 2;
constexpr std::size_t kQueuedBatches = 64;  // appends waiting: at most this many x batch_max

}  // namespace

BatchWriter::BatchWriter(const StoreContext& ctx, StoreReadiness& readiness, Events events)
    : ctx_(ctx),
      readiness_(readiness),
      events_(std::move(events)),
      backoff_(ctx.settings.retry_backoff, ctx.settings.retry_backoff_max),
      reconnect_timer_(ctx.executor),
      delay_timer_(ctx.executor),
      queue_(ctx.metrics.queued) {}

/// The writer's session; `prepared`: the schema exists, prepare the insert too.
std::vector<Statement> BatchWriter::setup(bool prepared) const {
    auto setup = ctx_.session_setup();
    // The insert's plan does not depend on its values, and a custom plan would
    // copy the batch's arrays into the plan (measured: 7-20 % slower at
    // 1000-5000 rows; plugins/postgres/README.md).
    setup.push_back(
        Statement::query("SELECT set_config('plan_cache_mode', 'force_generic_plan', false)"));
    if (prepared) setup.push_back(prepare_insert());
    return setup;
}

void BatchWriter::connect(std::function<void(const std::string& error)> done) {
    conn_ = ctx_.make_connection();
    watch_for_loss();
    conn_->connect(ctx_.target, ctx_.settings.connect_timeout, setup(false),
                   [alive = ctx_.keep_alive(), done = std::move(done)](const std::string& error) {
                       done(error);
                   });
}

void BatchWriter::watch_for_loss() {
    conn_->on_lost([this, alive = ctx_.keep_alive(), conn = conn_.get()](const std::string& error) {
        if (conn_.get() != conn) return;
        lost(error);
    });
}

// ---- appends and batches -----------------------------------------------------------

void BatchWriter::append(std::vector<sdk::Message> batch, sdk::Done done) {
    const std::size_t limit = kQueuedBatches * ctx_.settings.batch_max;
    const std::size_t queued = queue_.queued_messages();
    if (queued > 0 && queued + batch.size() > limit) {
        ctx_.log.warn("postgres store " + ctx_.where + ": more than " + std::to_string(limit) +
                      " messages wait for the writer; rejecting an append (increase "
                      "store.batch_max, or check the database)");
        done(make_error_code(sdk::Errc::queue_full));
        return;
    }
    auto job = std::make_shared<Job>();
    job->unresolved = batch.size();
    job->messages = std::move(batch);
    job->done = std::move(done);
    job->arrived = Clock::now();
    ++active_jobs_;
    queue_.push(std::move(job));
    write();
    events_.waiting();
}

void BatchWriter::drain() {
    draining_ = true;
    write();  // no more waiting for batch_delay
}

void BatchWriter::write() {
    while (usable() && in_flight_.size() < kMaxBatchesInFlight) {
        if (!retry_.empty()) {
            Batch batch = std::move(retry_.front());
            retry_.pop_front();
            drop_completed(batch);
            if (batch.messages > 0) send(std::move(batch));
            continue;
        }
        queue_.drop_completed_front();
        const std::size_t queued = queue_.queued_messages();
        if (queued == 0) return;
        const bool full = queued >= ctx_.settings.batch_max;
        // Group commit: while a batch is in flight, the next one grows until it is
        // full; a second one goes out in the same pipeline only when it is.
        if (!in_flight_.empty() && !full) return;
        if (!full && ctx_.settings.batch_delay.count() > 0 && !draining_) {
            const auto due = queue_.oldest_arrival() + ctx_.settings.batch_delay;
            if (Clock::now() < due) {
                arm_delay(due);
                return;
            }
        }
        send(queue_.take(++batch_seq_, ctx_.settings.batch_max, ctx_.settings.batch_max_bytes));
    }
}

void BatchWriter::arm_delay(Clock::time_point due) {
    if (delay_armed_) return;
    delay_armed_ = true;
    delay_timer_.expires_at(due);
    delay_timer_.async_wait([this, alive = ctx_.keep_alive()](boost::system::error_code ec) {
        delay_armed_ = false;
        if (ec) return;
        write();
    });
}

void BatchWriter::send(Batch batch) {
    std::vector<Statement> statements;
    statements.push_back(insert_statement(batch));
    const auto seq = batch.seq;
    in_flight_.push_back(std::move(batch));
    conn_->send(statements, [this, alive = ctx_.keep_alive(), seq](const Outcome& outcome) {
        // A lost batch stays in in_flight_: the lost handler, which runs
        // next, queues it again.
        if (outcome.status == Outcome::Status::lost) return;
        batch_done(seq, outcome);
    });
}

void BatchWriter::batch_done(std::uint64_t seq, const Outcome& outcome) {
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                           [seq](const Batch& b) { return b.seq == seq; });
    if (it == in_flight_.end()) return;  // answered already (abandoned)
    Batch batch = std::move(*it);
    in_flight_.erase(it);
    if (outcome.status == Outcome::Status::ok) {
        const char* tuples = PQcmdTuples(outcome.results.front().get());
        const auto inserted = static_cast<std::size_t>(std::strtoull(tuples, nullptr, 10));
        ctx_.metrics.batches.add();
        ctx_.metrics.written.add(batch.messages);
        if (inserted < batch.messages) ctx_.metrics.duplicates.add(batch.messages - inserted);
        readiness_.writes_flow();
        resolve(batch, {});
    } else {
        ctx_.metrics.errors.add();
        const auto& first = batch.pieces.front().job->messages[batch.pieces.front().begin];
        ctx_.log.error("postgres store " + ctx_.where + ": cannot write " +
                       std::to_string(batch.messages) + " message(s) (first id " + first.id +
                       "): " + outcome.message);
        resolve(batch, make_postgres_error(outcome.sqlstate));
    }
    write();
    events_.settled();
}

void BatchWriter::resolve(const Batch& batch, std::error_code ec) {
    for (const auto& piece : batch.pieces) {
        Job& job = *piece.job;
        if (job.completed) continue;
        if (ec) {
            complete(job, ec);  // at once: the queue delivers the whole batch again
            continue;
        }
        job.unresolved -= piece.end - piece.begin;
        if (job.unresolved == 0) complete(job, {});
    }
}

void BatchWriter::complete(Job& job, std::error_code ec) {
    if (job.completed) return;
    job.completed = true;
    --active_jobs_;
    auto done = std::move(job.done);
    job.done = nullptr;
    if (done) done(ec);
}

// ---- connection loss -----------------------------------------------------------------

void BatchWriter::lost(const std::string& error) {
    up_ = false;
    ctx_.metrics.errors.add();
    readiness_.writer_lost(error);
    ctx_.log.warn("postgres store " + ctx_.where + ": lost the writer connection (" + error +
                  "); " + std::to_string(in_flight_.size()) +
                  " batch(es) in flight will be written again after reconnecting");
    // Unknown whether they committed: write them again (the insert is idempotent).
    retry_.insert(retry_.begin(), std::make_move_iterator(in_flight_.begin()),
                  std::make_move_iterator(in_flight_.end()));
    in_flight_.clear();
    schedule_reconnect();
    events_.waiting();
}

void BatchWriter::schedule_reconnect() {
    reconnect_timer_.expires_after(backoff_.next());
    reconnect_timer_.async_wait([this, alive = ctx_.keep_alive()](boost::system::error_code ec) {
        if (ec || closed_) return;
        reconnect();
    });
}

void BatchWriter::reconnect() {
    conn_ = ctx_.make_connection();
    watch_for_loss();
    conn_->connect(ctx_.target, ctx_.settings.connect_timeout, setup(true),
                   [this, alive = ctx_.keep_alive(), conn = conn_.get()](const std::string& error) {
                       if (conn_.get() != conn || closed_) return;
                       if (!error.empty()) {
                           ctx_.log.debug("postgres store " + ctx_.where +
                                          ": reconnecting the writer: " + error);
                           // Not a lost connection but a server out of reach: history waiting
                           // for a reader fails now, and from now on at once.
                           readiness_.server_unreachable();
                           events_.server_unreachable();
                           schedule_reconnect();
                           return;
                       }
                       readiness_.server_reached();
                       ctx_.metrics.reconnects.add();
                       ctx_.log.info("postgres store " + ctx_.where +
                                     ": writer reconnected; writing " +
                                     std::to_string(retry_.size()) + " batch(es) again");
                       up_ = true;
                       backoff_.reset();
                       // With nothing to write, the answered set-up statements are the proof
                       // that writes go through; else the first committed batch is.
                       if (retry_.empty() && queue_.queued_messages() == 0)
                           readiness_.writes_flow();
                       write();
                   });
}

// ---- deadlines, stop -----------------------------------------------------------------

std::size_t BatchWriter::expire(Clock::time_point expired) {
    const auto ec = make_error_code(sdk::Errc::unavailable);
    std::size_t failed = 0;
    auto fail_job = [&](Job& job) {
        if (job.completed || job.arrived > expired) return;
        ++failed;
        complete(job, ec);
    };
    for (auto& job : queue_.jobs()) fail_job(*job);
    for (auto& batch : retry_) {
        for (auto& piece : batch.pieces) fail_job(*piece.job);
    }
    return failed;
}

void BatchWriter::prune() {
    std::erase_if(retry_, [](Batch& b) {
        drop_completed(b);
        return b.messages == 0;
    });
    queue_.drop_completed_front();
}

void BatchWriter::abandon(std::error_code ec) {
    auto jobs = std::move(queue_.jobs());
    queue_.jobs().clear();
    for (auto& batch : retry_) {
        for (auto& piece : batch.pieces) jobs.push_back(piece.job);
    }
    for (auto& batch : in_flight_) {
        for (auto& piece : batch.pieces) jobs.push_back(piece.job);
    }
    retry_.clear();
    in_flight_.clear();
    for (auto& job : jobs) complete(*job, ec);
}

void BatchWriter::close() {
    closed_ = true;
    up_ = false;
    if (conn_) conn_->close();
    conn_.reset();
    reconnect_timer_.cancel();
    delay_timer_.cancel();
    queue_.clear();
    retry_.clear();
    in_flight_.clear();
}

}  // namespace relay::plugins::postgres
