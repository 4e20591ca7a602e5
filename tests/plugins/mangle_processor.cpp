// Replaces each message's payload with what its `make` setting names, to test that the
// host refuses what a processor made undeliverable: `not_json` (text that is not JSON),
// `array` (JSON, not an object), `orphan_placeholder` (an object with a binary
// placeholder and no attachment).
#include <relay/sdk/plugin.hpp>

#include <string>

namespace {

namespace sdk = relay::sdk;

class Mangle final : public sdk::Processor {
public:
    explicit Mangle(std::string payload) : payload_(std::move(payload)) {}
    void process(sdk::Message& msg, sdk::VerdictDone done) override {
        msg.payload_json = payload_;
        msg.attachments.clear();
        done(sdk::Verdict::accept());
    }

private:
    std::string payload_;
};

std::string payload_for(const std::string& make) {
    if (make == "not_json") return "hello, not JSON";
    if (make == "array") return "[1,2,3]";
    return R"({"file":{"_placeholder":true,"num":0}})";
}

const sdk::Manifest& manifest() {
    static const sdk::Manifest m{
        .name = "mangle",
        .version = "1.0.0",
        .description = "replaces every payload with an undeliverable one (test)",
        .schema = {sdk::config_key("make", sdk::ValueType::string, "what to make of the payload")
                       .one_of({"not_json", "array", "orphan_placeholder"})
                       .needed()},
        .factory = sdk::ProcessorFactory([](sdk::PluginContext& ctx) {
            return std::make_unique<Mangle>(payload_for(ctx.config().string("make")));
        }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
