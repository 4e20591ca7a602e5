// A processor that calls a function no library defines: it links only without the
// --no-undefined check (ALLOW_UNDEFINED), and the loader must refuse it, naming the
// function as C++ spells it.
#include <relay/sdk/plugin.hpp>

namespace relay::tests {
int missing_function(int value);  // defined nowhere, on purpose
}  // namespace relay::tests

namespace {

class CallsMissing final : public relay::sdk::Processor {
public:
    void process(relay::sdk::Message& msg, relay::sdk::VerdictDone done) override {
        if (relay::tests::missing_function(static_cast<int>(msg.payload_json.size())) < 0) {
            return done(relay::sdk::Verdict::reject("never"));
        }
        done(relay::sdk::Verdict::accept());
    }
};

const relay::sdk::Manifest& manifest() {
    static const relay::sdk::Manifest m{
        .name = "undefined",
        .version = "1.0.0",
        .description = "needs a function nothing defines (test)",
        .schema = {},
        .factory = relay::sdk::ProcessorFactory(
            [](relay::sdk::PluginContext&) { return std::make_unique<CallsMissing>(); }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
