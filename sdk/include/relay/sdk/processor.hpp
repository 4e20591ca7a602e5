#pragma once
#include <relay/sdk/message.hpp>

#include <functional>
#include <string>

namespace relay::sdk {

/// A processor's decision about one message.
struct Verdict {
    bool pass = true;
    std::string reason;  ///< why it was rejected; reaches the sender in the error ack

    static Verdict accept() { return {}; }
    static Verdict reject(std::string why) { return {false, std::move(why)}; }
};

using VerdictDone = std::function<void(Verdict)>;

/// An optional stage between the transport and the queue: validate, filter,
/// rate-limit, enrich. Processors run in pipeline order; the first rejection stops
/// the chain and becomes the sender's error ack.
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
