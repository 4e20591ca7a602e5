#pragma once
#include <relay/sdk/message.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace relay::sdk {

/// A processor's decision about one message.
///
/// A rejection reaches the sender as its error ack, `{error: reason}`. A rejection for
/// going too fast may say when to try again: with `retry_after` above zero the ack is
/// `{error: reason, retry_after_ms: N}` (the transport rounds up to whole
/// milliseconds), so a client can back off instead of retrying at once.
struct Verdict {
    bool pass = true;
    std::string reason;  ///< why it was rejected; reaches the sender in the error ack
    /// When a rejected sender may try again; zero: the processor does not say.
    std::chrono::milliseconds retry_after{0};

    static Verdict accept() { return {}; }
    static Verdict reject(std::string why) { return {false, std::move(why), {}}; }
    /// A rejection the sender may retry after `after` (a rate limit).
    static Verdict throttle(std::string why, std::chrono::milliseconds after) {
        return {false, std::move(why), after};
    }
};

using VerdictDone = std::function<void(Verdict)>;

/// An optional stage between the transport and the queue: validate, filter,
/// rate-limit, enrich. Processors run in pipeline order; the first rejection stops
/// the chain and becomes the sender's error ack.
///
/// What a processor may do to `msg`: change `payload_json` (it must stay one JSON
/// object) and `attachments` (every binary placeholder `{"_placeholder":true,"num":N}`
/// in the payload must name one of them: N < attachments.size()). What it must keep:
/// `id`, `ts_ms`, `room`, `sender`, `user` (the host's and the session's; changing them
/// would forge a message). The host checks the payload and the placeholders after the
/// last processor: a message that breaks them is refused with an error ack naming the
/// problem (metric `relay_messages_invalid_after_processing_total`), and is neither
/// queued, stored nor broadcast.
/// Thread safety: process() is called from any I/O thread, concurrently; `msg` stays
/// valid and untouched by others until `done` runs. `done` runs exactly once, on any
/// host executor (calling it inline is fine). Never throws.
class Processor {
public:
    virtual ~Processor() = default;
    /// Inspect or change `msg` (id, ts, room and sender are the host's: keep them).
    virtual void process(Message& msg, VerdictDone done) = 0;
};

}  // namespace relay::sdk
