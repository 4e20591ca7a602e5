// A queue plugin whose factory throws: the host must report the message and exit 2.
#include <relay/sdk/plugin.hpp>

#include <stdexcept>

namespace {

const relay::sdk::Manifest& manifest() {
    static const relay::sdk::Manifest m{
        .name = "throwing",
        .version = "0.0.1",
        .description = "a queue whose factory throws (test)",
        .schema = {},
        .factory = relay::sdk::QueueFactory(
            [](relay::sdk::PluginContext&) -> std::unique_ptr<relay::sdk::Queue> {
                throw std::runtime_error("cannot reach the moon");
            }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
