// Holds every message for `delay` before passing it: keeps publishes in flight so
// tests can see what a stop does while work is pending.
#include <relay/sdk/plugin.hpp>

#include <memory>

namespace {

namespace sdk = relay::sdk;

class SlowProcessor final : public sdk::Processor {
public:
    SlowProcessor(sdk::PluginContext& ctx, std::chrono::milliseconds delay)
        : executor_(ctx.executor()), log_(ctx.log()), delay_(delay) {}
    void process(sdk::Message&, sdk::VerdictDone done) override {
        log_.info("holding a message");
        auto timer = std::make_shared<boost::asio::steady_timer>(executor_, delay_);
        timer->async_wait([timer, done = std::move(done)](const boost::system::error_code&) {
            done(sdk::Verdict::accept());
        });
    }

private:
    sdk::Executor executor_;
    sdk::Logger& log_;
    std::chrono::milliseconds delay_;
};

const sdk::Manifest& manifest() {
    static const sdk::Manifest m{
        .name = "slowpass",
        .version = "0.1.0",
        .description = "passes each message after a delay (test)",
        .schema = {sdk::config_key("delay", sdk::ValueType::duration, "how long to hold a message")
                       .fallback("60s")},
        .factory = sdk::ProcessorFactory([](sdk::PluginContext& ctx) {
            return std::make_unique<SlowProcessor>(ctx, ctx.config().duration("delay"));
        }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
