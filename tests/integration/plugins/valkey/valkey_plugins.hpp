#pragma once
/// The Valkey plugins as the host loads them (librelay_valkey.so and
/// librelay_valkey_streams.so from build/plugins), a Valkey server shared by the tests of
/// one process, and helpers to make and drive plugin objects on a TestContext.
#include "plugins/plugin_catalog.hpp"
#include "support/valkey_server.hpp"

#include <relay/sdk/manifest.hpp>
#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace relay::testing::valkey {

using namespace std::chrono_literals;

inline const sdk::Manifest& manifest_of(std::string_view name) {
    // Kept open for the whole process: objects and handlers of the plugins may outlive
    // any one test's scope until exit.
    static auto* catalog = new host::PluginCatalog({RELAY_PLUGIN_DIR});
    const sdk::Manifest* found = catalog->find(name);
    if (found == nullptr) {
        throw std::runtime_error("plugin '" + std::string(name) + "' not found in " +
                                 RELAY_PLUGIN_DIR + " (build relay_plugin_" + std::string(name) +
                                 ")");
    }
    return *found;
}

inline const sdk::Manifest& presence_manifest() {
    return manifest_of("valkey");
}
inline const sdk::Manifest& queue_manifest() {
    return manifest_of("valkey_streams");
}

/// One server for the tests of this process that do not restart or kill it. Tests
/// keep apart by unique key prefixes.
inline ValkeyServer& shared_server() {
    static auto* server = new ValkeyServer();  // stopped at exit, by pid
    static const bool registered = [] {
        std::atexit([] { delete server; });
        return true;
    }();
    (void)registered;
    return *server;
}

inline std::unique_ptr<sdk::Presence> make_presence(sdk::PluginContext& ctx) {
    return std::get<sdk::PresenceFactory>(presence_manifest().factory)(ctx);
}

inline std::unique_ptr<sdk::Queue> make_queue(sdk::PluginContext& ctx) {
    return std::get<sdk::QueueFactory>(queue_manifest().factory)(ctx);
}

/// Runs `op(callback)` and waits for its Done.
template <class Op>
std::error_code wait_done(sdk::testing::TestContext& ctx, Op op,
                          std::chrono::milliseconds timeout = sdk::testing::kDeadline) {
    sdk::testing::Probe<std::error_code> done(ctx);
    op(done.callback());
    if (!done.wait(timeout)) return make_error_code(sdk::Errc::timed_out);
    return done.template get<0>();
}

}  // namespace relay::testing::valkey
