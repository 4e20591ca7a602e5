#include "flow/flow.hpp"

#include "flow/message_id.hpp"
#include "flow/processed_message_check.hpp"

#include <chrono>

#include <relay/sdk/error.hpp>

namespace relay::host {

struct Flow::Pending {
    std::shared_ptr<const ProcessorChain> chain;  // taken once, when the message arrived
    sdk::Message msg;
    sdk::PublishedDone done;
    std::size_t stage = 0;
    std::chrono::steady_clock::time_point arrived;  // for the ack latency
    std::atomic<bool> finished{false};              // guards against a plugin answering twice
};

Flow::Flow(Parts parts, sdk::Metrics& metrics, std::shared_ptr<spdlog::logger> log)
    : parts_(std::move(parts)),
      processors_(std::move(parts_.processors)),
      auth_(std::move(parts_.auth)),
      log_(std::move(log)),
      accepted_(metrics.counter("messages_accepted_total", "Messages made durable by the queue")),
      rejected_(metrics.counter("messages_rejected_total", "Messages rejected by a processor")),
      invalid_after_processing_(
          metrics.counter("messages_invalid_after_processing_total",
                          "Messages a processor left invalid (error acks, nothing queued)")),
      publish_failed_(metrics.counter("publish_failures_total",
                                      "Messages the queue did not accept (error acks)")),
      broadcast_(metrics.counter("messages_broadcast_total", "Messages handed to the transport")),
      stored_(metrics.counter("messages_stored_total", "Messages the store confirmed")),
      store_failed_(metrics.counter("store_failures_total", "Store batches that failed")),
      auth_allowed_(metrics.counter("auth_allowed_total",
                                    "Handshakes and refreshes the auth plugin allowed")),
      auth_refused_(metrics.counter("auth_refused_total",
                                    "Handshakes and refreshes the auth plugin refused")),
      ack_latency_(metrics) {}

void Flow::replace_processors(std::shared_ptr<const ProcessorChain> chain) {
    processors_.store(std::move(chain));
}

void Flow::replace_auth(std::shared_ptr<sdk::Authenticator> auth) {
    auth_.store(std::move(auth));
}

void Flow::authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) {
    auto auth = auth_.load();
    if (auth == nullptr) {
        done(sdk::AuthOutcome::allow(sdk::Identity::open()));
        return;
    }
    sdk::Authenticator& authenticator = *auth;
    // The callback keeps the authenticator alive until it answered, whatever a reload
    // does meanwhile.
    authenticator.authenticate(handshake, [this, auth = std::move(auth),
                                           done = std::move(done)](sdk::AuthOutcome outcome) {
        (outcome.allowed ? auth_allowed_ : auth_refused_).add();
        done(std::move(outcome));
    });
}

void Flow::connect() {
    parts_.queue->subscribe_broadcast([this](const sdk::Message& msg) {
        broadcast_.add();
        busy_rooms_.add(msg.room);
        if (parts_.store != nullptr) unstored_.add(msg);
        parts_.transport->broadcast(msg, msg.sender);
    });
    if (parts_.store != nullptr) {
        parts_.queue->subscribe_store([this](std::vector<sdk::Message> batch, sdk::Done commit) {
            on_store_batch(std::move(batch), std::move(commit));
        });
    }
    parts_.presence->on_change(
        [this](const sdk::PresenceEvent& event) { parts_.transport->presence_changed(event); });
}

void Flow::on_store_batch(std::vector<sdk::Message> batch, sdk::Done commit) {
    const std::size_t n = batch.size();
    parts_.store->append(std::move(batch), [this, n,
                                            commit = std::move(commit)](std::error_code ec) {
        if (ec) {
            store_failed_.add();
            log_->warn("store: a batch of {} messages failed ({}); the queue will deliver it again",
                       n, ec.message());
        } else {
            stored_.add(n);
        }
        // The queue forgets the batch only on success: nothing acked is lost.
        commit(ec);
    });
}

void Flow::begin_shutdown(std::function<void()> idle) {
    {
        std::lock_guard lock(idle_mutex_);
        idle_ = std::move(idle);
    }
    stopping_.store(true);
    maybe_idle();
}

void Flow::maybe_idle() {
    if (!stopping_.load() || in_flight_.load() != 0) return;
    if (idle_fired_.exchange(true)) return;
    std::function<void()> idle;
    {
        std::lock_guard lock(idle_mutex_);
        idle = std::move(idle_);
    }
    if (idle) idle();
}

void Flow::publish(sdk::Message msg, sdk::PublishedDone done) {
    if (stopping_.load()) {
        done({make_error_code(sdk::Errc::shutting_down), "server is shutting down", {}, {}, {}});
        return;
    }
    in_flight_.fetch_add(1);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    msg.ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    msg.id = next_message_id(msg.ts_ms);
    msg.position.clear();
    auto pending = std::make_shared<Pending>();
    pending->arrived = std::chrono::steady_clock::now();
    pending->chain = processors_.load();
    pending->msg = std::move(msg);
    pending->done = std::move(done);
    run_processors(std::move(pending));
}

void Flow::run_processors(std::shared_ptr<Pending> pending) {
    const std::size_t stages = pending->chain ? pending->chain->size() : 0;
    if (pending->stage == stages) {
        if (stages != 0) {
            // What the processors made of it must still be a message the transports can
            // deliver: never ack, store or broadcast one that no receiver would get.
            if (auto reason = check_processed_message(pending->msg); !reason.empty()) {
                if (invalid_after_processing_.value() % 1000 == 0) {
                    log_->warn("message {} refused: {} (a processor bug; 1 in 1000 logged)",
                               pending->msg.id, reason);
                }
                invalid_after_processing_.add();
                finish(*pending, {make_error_code(sdk::Errc::rejected),
                                  std::move(reason),
                                  pending->msg.id,
                                  {},
                                  {}});
                return;
            }
        }
        enqueue(std::move(pending));
        return;
    }
    const std::size_t stage = pending->stage++;
    sdk::Processor* processor = (*pending->chain)[stage].get();
    try {
        processor->process(pending->msg, [this, pending](sdk::Verdict verdict) mutable {
            if (verdict.pass) {
                run_processors(std::move(pending));
                return;
            }
            rejected_.add();
            finish(*pending, {make_error_code(sdk::Errc::rejected),
                              std::move(verdict.reason),
                              pending->msg.id,
                              {},
                              verdict.retry_after});
        });
    } catch (const std::exception& e) {
        // Exceptions must not cross the plugin boundary; one that does costs only this
        // message, which the sender learns from an error ack.
        log_->error("processors[{}] threw: {}", stage, e.what());
        finish(*pending, {make_error_code(sdk::Errc::rejected),
                          "message could not be processed",
                          pending->msg.id,
                          {},
                          {}});
    }
}

void Flow::enqueue(std::shared_ptr<Pending> pending) {
    // With a store, the ack's message is kept for history until the store has it.
    std::shared_ptr<sdk::Message> kept;
    if (parts_.store != nullptr) kept = std::make_shared<sdk::Message>(pending->msg);
    sdk::Message msg = std::move(pending->msg);
    pending->msg.id = msg.id;  // all the ack needs of it
    parts_.queue->publish(std::move(msg),
                          [this, pending = std::move(pending), kept = std::move(kept)](
                              std::error_code ec, std::string position) {
                              if (ec) {
                                  publish_failed_.add();
                                  finish(*pending, {ec, ec.message(), pending->msg.id, {}, {}});
                                  return;
                              }
                              if (kept) {
                                  kept->position = position;
                                  unstored_.add(kept);
                              }
                              accepted_.add();
                              finish(*pending, {{}, {}, pending->msg.id, std::move(position), {}});
                          });
}

void Flow::finish(Pending& pending, const sdk::Published& result) {
    if (pending.finished.exchange(true)) {
        log_->error("a plugin completed message {} twice; ignored the second", pending.msg.id);
        return;
    }
    ack_latency_.record(std::chrono::steady_clock::now() - pending.arrived);
    auto done = std::move(pending.done);
    done(result);
    in_flight_.fetch_sub(1);
    maybe_idle();
}

void Flow::history(std::string_view room, sdk::HistoryQuery query, sdk::HistoryDone done) {
    if (parts_.store == nullptr) {
        done(make_error_code(sdk::Errc::not_supported), {});
        return;
    }
    parts_.store->history(room, query,
                          [this, room = std::string(room), query, done = std::move(done)](
                              std::error_code ec, std::vector<sdk::Message> stored) {
                              if (ec) {
                                  done(ec, {});
                                  return;
                              }
                              done({}, unstored_.merge(room, query, std::move(stored)));
                          });
}

void Flow::recover(std::string_view room, std::string_view after_id, sdk::HistoryDone done) {
    if (parts_.store == nullptr) {
        // No history: the queue's log (if it keeps one) is where the missed messages are.
        parts_.queue->read_after(room, after_id, kRecoveryLimit, std::move(done));
        return;
    }
    sdk::HistoryQuery query;
    query.limit = kRecoveryLimit;
    query.after_id = std::string(after_id);
    history(room, std::move(query), std::move(done));
}

void Flow::join(const sdk::Member& member, sdk::Done done) {
    parts_.presence->join(member, std::move(done));
}

void Flow::leave(const sdk::Member& member, sdk::Done done) {
    parts_.presence->leave(member, std::move(done));
}

void Flow::members(std::string_view room, sdk::MembersDone done) {
    parts_.presence->members(room, std::move(done));
}

}  // namespace relay::host
