#pragma once
#include "runtime/plugin_context.hpp"

#include <memory>
#include <string>

namespace relay::host {

/// A plugin object the host made, with the context it was made with, which must
/// outlive it (members are destroyed in reverse order: the object, then its context).
/// The library holding the object's code is kept loaded by the pipeline's catalog,
/// which the Host holds longer than any of these.
template <class Interface>
struct PluginInstance {
    std::unique_ptr<HostPluginContext> context;
    std::unique_ptr<Interface> object;
    std::string label;  ///< "queue 'memory'" — for messages

    Interface* operator->() const { return object.get(); }
    Interface& operator*() const { return *object; }
    explicit operator bool() const { return object != nullptr; }
};

}  // namespace relay::host
