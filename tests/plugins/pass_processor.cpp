// A processor that passes every message unchanged: the smallest valid plugin.
#include <relay/sdk/plugin.hpp>

#ifndef RELAY_TEST_PLUGIN_NAME
#define RELAY_TEST_PLUGIN_NAME "testpass"
#endif

namespace {

class PassProcessor final : public relay::sdk::Processor {
public:
    void process(relay::sdk::Message&, relay::sdk::VerdictDone done) override {
        done(relay::sdk::Verdict::accept());
    }
};

const relay::sdk::Manifest& manifest() {
    static const relay::sdk::Manifest m{
        .name = RELAY_TEST_PLUGIN_NAME,
        .version = "1.2.3",
        .description = "passes every message (test)",
        .schema = {relay::sdk::config_key("note", relay::sdk::ValueType::string,
                                          "an unused setting")
                       .fallback("none")},
        .factory = relay::sdk::ProcessorFactory(
            [](relay::sdk::PluginContext&) { return std::make_unique<PassProcessor>(); }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
