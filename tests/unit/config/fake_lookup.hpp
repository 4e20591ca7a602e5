#pragma once
// An in-memory ManifestLookup with fake manifests of every kind, for loader tests.
#include "config/env_substitution.hpp"
#include "config/manifest_lookup.hpp"

#include <relay/sdk/manifest.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace relay::host::testing {

inline sdk::ConfigKey key(std::string name, sdk::ValueType type,
                          std::optional<std::string> default_value = std::nullopt) {
    sdk::ConfigKey k;
    k.name = std::move(name);
    k.type = type;
    k.default_value = std::move(default_value);
    return k;
}

inline sdk::ConfigKey required(sdk::ConfigKey k) {
    k.required = true;
    return k;
}

inline sdk::ConfigKey bounded(sdk::ConfigKey k, std::optional<std::int64_t> min,
                              std::optional<std::int64_t> max = std::nullopt) {
    k.min = min;
    k.max = max;
    return k;
}

inline sdk::ConfigKey one_of(sdk::ConfigKey k, std::vector<std::string> choices) {
    k.choices = std::move(choices);
    return k;
}

inline sdk::Manifest scoped(sdk::Manifest m, sdk::Scope scope) {
    m.scope = scope;
    return m;
}

template <class FactoryT>
sdk::Manifest manifest(std::string name, sdk::Schema schema, sdk::ConfigCheck check = {}) {
    sdk::Manifest m;
    m.name = std::move(name);
    m.version = "1.0.0";
    m.description = "fake " + m.name;
    m.schema = std::move(schema);
    m.factory = FactoryT{};
    m.check = std::move(check);
    return m;
}

/// The fake plugins: websocket (transport); kafka, memory (queue); local, valkey
/// (presence); sqlite (store); rate_limit, profanity (processor). `broken` is a file
/// that exists but is not usable.
inline const std::vector<sdk::Manifest>& fake_manifests() {
    using sdk::ValueType;
    static const std::vector<sdk::Manifest> all = {
        manifest<sdk::TransportFactory>(
            "websocket",
            {
                key("listen", ValueType::endpoint, "0.0.0.0:3000"),
                bounded(key("max_payload", ValueType::size, "1MiB"), 1024).reloadable(),
                key("ping_interval", ValueType::duration, "25s"),
                key("compression", ValueType::boolean, "false"),
                key("cors_origins", ValueType::string_list, "[\"*\"]"),
            }),
        scoped(manifest<sdk::QueueFactory>(
                   "kafka",
                   {
                       required(key("brokers", ValueType::string)),
                       key("topic", ValueType::string, "chats"),
                       bounded(key("partitions", ValueType::integer, "12"), 1),
                       one_of(key("compression", ValueType::string, "none"),
                              {"none", "gzip", "lz4", "zstd"}),
                   },
                   [](const sdk::ConfigView& config) {
                       std::vector<sdk::KeyProblem> problems;
                       if (config.string("topic").starts_with("__")) {
                           problems.push_back(
                               {"topic", "topics starting with \"__\" are Kafka's own"});
                       }
                       return problems;
                   }),
               sdk::Scope::shared),
        scoped(manifest<sdk::QueueFactory>(
                   "memory", {bounded(key("capacity", ValueType::integer, "10000"), 1, 1000000)}),
               sdk::Scope::node_local),
        scoped(manifest<sdk::PresenceFactory>("local", {}), sdk::Scope::node_local),
        scoped(manifest<sdk::PresenceFactory>("valkey", {required(key("url", ValueType::string))}),
               sdk::Scope::shared),
        scoped(manifest<sdk::StoreFactory>("sqlite",
                                           {
                                               key("path", ValueType::string, "relay.db"),
                                               key("flush_interval", ValueType::duration, "50ms"),
                                           }),
               sdk::Scope::node_local),
        manifest<sdk::StoreFactory>("postgres", {key("dsn", ValueType::string, "")}),
        manifest<sdk::ProcessorFactory>(
            "rate_limit",
            {
                bounded(key("per_connection", ValueType::integer, "20"), 1),
                bounded(key("burst", ValueType::integer, "40"), 1),
                key("ratio", ValueType::number, "0.5"),
            },
            [](const sdk::ConfigView& config) -> std::vector<sdk::KeyProblem> {
                if (config.integer("burst") < config.integer("per_connection")) {
                    config.fail("burst", "expected at least per_connection (" +
                                             std::to_string(config.integer("per_connection")) +
                                             ")");
                }
                return {};
            }),
        manifest<sdk::ProcessorFactory>("profanity", {key("words", ValueType::string_list, "[]")}),
        manifest<sdk::AuthFactory>("jwt", {required(key("secret", ValueType::string)),
                                           key("leeway", ValueType::duration, "5s")}),
    };
    return all;
}

class FakeLookup final : public ManifestLookup {
public:
    FakeLookup(const std::vector<sdk::Manifest>& manifests,
               std::vector<std::filesystem::path> paths)
        : manifests_(manifests), paths_(std::move(paths)) {}

    const sdk::Manifest* find(std::string_view name) override {
        if (name == "broken") {
            throw PluginLoadError(
                "build/plugins/librelay_broken.so: built for SDK ABI 1, this host has ABI 2");
        }
        for (const auto& m : manifests_) {
            if (m.name == name) return &m;
        }
        return nullptr;
    }

    std::vector<std::string> names(sdk::Kind kind) override {
        std::vector<std::string> result;
        for (const auto& m : manifests_) {
            if (m.kind() == kind) result.push_back(m.name);
        }
        return result;
    }

    std::string search_path_text() const override {
        std::string text = "[";
        for (const auto& path : paths_) {
            if (text.size() > 1) text += ", ";
            text += path.string();
        }
        return text + "]";
    }

private:
    const std::vector<sdk::Manifest>& manifests_;
    std::vector<std::filesystem::path> paths_;
};

/// A factory over `manifests` that remembers the plugin paths it was given.
struct FakeCatalog {
    const std::vector<sdk::Manifest>* manifests = &fake_manifests();
    std::vector<std::filesystem::path> received_paths;

    LookupFactory factory() {
        return [this](const std::vector<std::filesystem::path>& paths) {
            received_paths = paths;
            return std::make_unique<FakeLookup>(*manifests, paths);
        };
    }
};

/// An environment from a map.
inline EnvLookup fake_env(std::map<std::string, std::string, std::less<>> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

}  // namespace relay::host::testing
