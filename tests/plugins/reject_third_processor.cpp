// Rejects every third message it sees (3rd, 6th, ...), asynchronously on its
// executor, to test error acks for rejections.
#include <relay/sdk/plugin.hpp>

#include <atomic>

namespace {

class RejectThird final : public relay::sdk::Processor {
public:
    explicit RejectThird(relay::sdk::Executor executor) : executor_(executor) {}
    void process(relay::sdk::Message& msg, relay::sdk::VerdictDone done) override {
        const auto n = ++seen_;
        boost::asio::post(executor_, [n, &msg, done = std::move(done)] {
            if (n % 3 == 0) {
                done(relay::sdk::Verdict::reject("every third message is rejected (" +
                                                 std::to_string(msg.payload_json.size()) +
                                                 " bytes)"));
            } else {
                done(relay::sdk::Verdict::accept());
            }
        });
    }

private:
    relay::sdk::Executor executor_;
    std::atomic<std::uint64_t> seen_{0};
};

const relay::sdk::Manifest& manifest() {
    static const relay::sdk::Manifest m{
        .name = "rejectthird",
        .version = "1.0.0",
        .description = "rejects every third message (test)",
        .schema = {},
        .factory = relay::sdk::ProcessorFactory([](relay::sdk::PluginContext& ctx) {
            return std::make_unique<RejectThird>(ctx.executor());
        }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
