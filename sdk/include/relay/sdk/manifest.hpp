#pragma once
/// What a plugin library exports: one manifest, through RELAY_PLUGIN.
#include <relay/sdk/abi.hpp>
#include <relay/sdk/auth.hpp>
#include <relay/sdk/config.hpp>
#include <relay/sdk/context.hpp>
#include <relay/sdk/presence.hpp>
#include <relay/sdk/processor.hpp>
#include <relay/sdk/queue.hpp>
#include <relay/sdk/store.hpp>
#include <relay/sdk/transport.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/alias.hpp>

namespace relay::sdk {

/// A factory builds the plugin's object from its context. It may throw (bad
/// settings, a backend that refuses to initialise); the host reports the message.
using TransportFactory = std::function<std::unique_ptr<Transport>(PluginContext&)>;
using QueueFactory = std::function<std::unique_ptr<Queue>(PluginContext&)>;
using PresenceFactory = std::function<std::unique_ptr<Presence>(PluginContext&)>;
using StoreFactory = std::function<std::unique_ptr<Store>(PluginContext&)>;
using ProcessorFactory = std::function<std::unique_ptr<Processor>(PluginContext&)>;
using AuthFactory = std::function<std::unique_ptr<Authenticator>(PluginContext&)>;

/// The kinds, in the order of Factory's alternatives.
enum class Kind { transport, queue, presence, store, processor, auth };
using Factory = std::variant<TransportFactory, QueueFactory, PresenceFactory, StoreFactory,
                             ProcessorFactory, AuthFactory>;

inline std::string_view kind_name(Kind kind) noexcept {
    switch (kind) {
        case Kind::transport: return "transport";
        case Kind::queue: return "queue";
        case Kind::presence: return "presence";
        case Kind::store: return "store";
        case Kind::processor: return "processor";
        case Kind::auth: return "auth";
    }
    return "unknown";
}

/// Cross-key checks a schema cannot express; returns the problems found (none: ok).
using ConfigCheck = std::function<std::vector<KeyProblem>(const ConfigView&)>;

/// Where a plugin keeps its state, for the host's cluster checks (`relay check` and the
/// start-up log warn about a node-local store or presence behind a shared queue: each
/// node would keep only part of the history, or see only its own members).
enum class Scope {
    unspecified,  ///< the plugin does not say; the host checks nothing
    node_local,   ///< in this process or on this machine: the memory queue, sqlite
    shared,       ///< in a backend every node reaches: kafka, valkey, postgres
};

inline std::string_view scope_name(Scope scope) noexcept {
    switch (scope) {
        case Scope::unspecified: return "unspecified";
        case Scope::node_local: return "node_local";
        case Scope::shared: return "shared";
    }
    return "unknown";
}

/// Everything the host needs to know about a plugin before it creates one.
struct Manifest {
    std::string name;                  ///< what a pipeline's `use:` names
    std::string version;               ///< the plugin's own version
    std::string description;           ///< one line for `relay plugins`
    Schema schema;                     ///< every key the plugin accepts (besides `use`)
    Factory factory;                   ///< its alternative decides the kind
    ConfigCheck check;                 ///< optional
    Scope scope = Scope::unspecified;  ///< node-local or shared state (see Scope)

    Kind kind() const noexcept { return static_cast<Kind>(factory.index()); }
};

}  // namespace relay::sdk

/// Exports `manifest_function` (a function `const relay::sdk::Manifest& ()`) as the
/// library's manifest, and the SDK ABI version it was compiled against as a plain C
/// symbol the host reads first. Use once per plugin library, at namespace scope. (A
/// macro: it defines extern "C" symbols.)
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage)
#define RELAY_PLUGIN(manifest_function)                                           \
    extern "C" BOOST_SYMBOL_EXPORT const std::uint32_t relay_sdk_abi_version;     \
    extern "C" const std::uint32_t relay_sdk_abi_version = RELAY_SDK_ABI_VERSION; \
    BOOST_DLL_ALIAS(manifest_function, relay_plugin_manifest)
