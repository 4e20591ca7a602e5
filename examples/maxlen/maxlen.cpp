// A processor that rejects messages whose payload is longer than `limit`: the
// smallest useful plugin, and the test that the installed SDK is enough to build one.
#include <relay/sdk/plugin.hpp>

#include <memory>
#include <string>

namespace {

namespace sdk = relay::sdk;

class MaxLength final : public sdk::Processor {
public:
    explicit MaxLength(std::uint64_t limit) : limit_(limit) {}
    void process(sdk::Message& msg, sdk::VerdictDone done) override {
        if (msg.payload_json.size() > limit_) {
            done(sdk::Verdict::reject("message longer than " + std::to_string(limit_) + " bytes"));
            return;
        }
        done(sdk::Verdict::accept());
    }

private:
    std::uint64_t limit_;
};

const sdk::Manifest& manifest() {
    static const sdk::Manifest m{
        .name = "maxlen",
        .version = "1.0.0",
        .description = "rejects messages longer than a limit",
        .schema = {sdk::config_key("limit", sdk::ValueType::size, "longest payload accepted")
                       .fallback("4KiB")},
        .factory = sdk::ProcessorFactory([](sdk::PluginContext& ctx) {
            return std::make_unique<MaxLength>(ctx.config().size("limit"));
        }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
