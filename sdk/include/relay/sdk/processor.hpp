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
/// What a processor sees: `payload_json` is the client's object as JSON text, as the
/// client sent it (validated: one JSON object, UTF-8). Binary data the client sent
/// does not appear in it: the transport puts a placeholder
/// `{"_placeholder":true,"num":N}` (at any depth) where the data was, and the bytes are
/// `attachments[N]`. `id`, `ts_ms`, `room`, `sender`, `user` and `remote_address` are
/// set already. Read and change fields with sdk::PayloadEditor (`relay/sdk/payload.hpp`),
/// which leaves what it does not touch byte for byte.
///
/// What a processor may do to `msg`: change `payload_json` (it must stay one JSON
/// object) and `attachments` (every placeholder in the payload must name one of them:
/// N < attachments.size(); to add one, append the bytes and set a field to
/// sdk::placeholder_json(N)). What it must keep: `id`, `ts_ms`, `room`, `sender`,
/// `user` (the host's and the session's; changing them would forge a message).
///
/// What the server overwrites: the websocket transport sends every member the
/// object's members followed by `id`, `room`, `ts`, `sender` and `user` from the
/// fields above; a payload member with one of these names (compared unescaped) is
/// dropped from what members receive, so a processor cannot set them through the
/// payload either (the stored message keeps the payload as the processors left it).
///
/// The host checks the payload and the placeholders after the last processor
/// (sdk::processed_payload_problem): a message that breaks them is refused with an
/// error ack naming the problem (metric `relay_messages_invalid_after_processing_total`),
/// and is neither queued, stored nor broadcast. sdk::testing::ProcessorContract checks
/// the same, and the rules below, in a plugin's own tests.
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
