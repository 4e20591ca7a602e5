#pragma once
#include "runtime/plugin_context.hpp"

#include <memory>
#include <string>

#include <boost/dll/shared_library.hpp>

namespace relay::host {

/// A plugin object together with what must outlive it. Members are destroyed in
/// reverse order: the object first, then its context, then the library that holds
/// the object's code (STYLE.md: the handle is the first member, destroyed last).
template <class Interface>
struct Loaded {
    std::shared_ptr<const boost::dll::shared_library> library;  // null for built-in objects
    std::unique_ptr<HostPluginContext> context;
    std::unique_ptr<Interface> object;
    std::string label;  ///< "queue 'memory'" — for messages

    Interface* operator->() const { return object.get(); }
    Interface& operator*() const { return *object; }
    explicit operator bool() const { return object != nullptr; }
};

}  // namespace relay::host
