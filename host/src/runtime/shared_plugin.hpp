#pragma once
#include "config/manifest_lookup.hpp"
#include "runtime/plugin_instance.hpp"

#include <relay/sdk/asio.hpp>

#include <memory>
#include <utility>

namespace relay::host {

/// A plugin object that a reload may replace while messages or handshakes still use it
/// (processors, the authenticator): shared by the Host and by whatever the Flow is
/// running through it.
///
/// Ownership: the record holds the lookup its manifest came from (for relay, the plugin
/// catalog of the pipeline file that named it, which keeps its library loaded) as its
/// first member, so the code outlives the object, its context and its callbacks, even
/// when a later reload loaded that library through another catalog, or none names it
/// any more.
template <class Interface>
struct SharedPlugin {
    std::shared_ptr<ManifestLookup> lookup;
    PluginInstance<Interface> instance;
};

/// Shares `record`. The last owner may be a callback that the plugin itself is running
/// (a verdict it calls back with): destroying the object and unloading its code there
/// would pull them from under the plugin's feet. So the record is destroyed in a handler
/// of its own on `home`, or at once when the I/O threads no longer run.
template <class Interface>
std::shared_ptr<SharedPlugin<Interface>> share_plugin(SharedPlugin<Interface> record,
                                                      sdk::Executor home) {
    auto* raw = new SharedPlugin<Interface>(std::move(record));
    return std::shared_ptr<SharedPlugin<Interface>>(raw, [home](SharedPlugin<Interface>* last) {
        std::unique_ptr<SharedPlugin<Interface>> owned(last);
        if (home.context().stopped()) return;
        boost::asio::post(home, [owned = std::move(owned)]() mutable { owned.reset(); });
    });
}

/// The object of a shared record, keeping the whole record alive.
template <class Interface>
std::shared_ptr<Interface> object_of(const std::shared_ptr<SharedPlugin<Interface>>& record) {
    if (!record) return nullptr;
    return std::shared_ptr<Interface>(record, record->instance.object.get());
}

}  // namespace relay::host
