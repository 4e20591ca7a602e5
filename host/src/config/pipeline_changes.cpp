#include "config/pipeline_changes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace relay::host {
namespace {

// `key`'s value in `section` (the user's or the default), read through its schema type.
std::optional<Value> value_of(const PluginSection& section, const sdk::ConfigKey& key) {
    const auto& config = *section.config;
    if (!config.has(key.name)) return std::nullopt;
    switch (key.type) {
        case sdk::ValueType::string: return config.string(key.name);
        case sdk::ValueType::endpoint: return config.endpoint(key.name);
        case sdk::ValueType::integer: return config.integer(key.name);
        case sdk::ValueType::number: return config.number(key.name);
        case sdk::ValueType::boolean: return config.boolean(key.name);
        case sdk::ValueType::duration: return config.duration(key.name);
        case sdk::ValueType::size: return config.size(key.name);
        case sdk::ValueType::string_list: return config.string_list(key.name);
    }
    return std::nullopt;
}

// "a → b" differences between two sections of the same plugin, one per key of its
// schema (a secret's values are never shown), into `live` for a key marked
// reloadable() when `live` is given, else into `restart`.
void compare_keys(const PluginSection& running, const PluginSection& next,
                  std::vector<std::string>& restart, std::vector<std::string>* live = nullptr) {
    for (const auto& key : next.manifest->schema) {
        const auto before = value_of(running, key);
        const auto after = value_of(next, key);
        if (before == after) continue;
        auto& out = live != nullptr && key.live_reload ? *live : restart;
        if (key.secret) {
            out.push_back(fmt::format("{}.{} changed", running.slot, key.name));
            continue;
        }
        out.push_back(fmt::format("{}.{} changed ({} → {})", running.slot, key.name,
                                  value_text(before), value_text(after)));
    }
}

// A section that cannot change while running: another plugin, or any setting.
void compare_fixed(const PluginSection& running, const PluginSection& next,
                   std::vector<std::string>& out) {
    if (running.use != next.use) {
        out.push_back(fmt::format("{}.use changed ({} → {})", running.slot, running.use, next.use));
        return;
    }
    compare_keys(running, next, out);
}

void compare_optional_fixed(const std::string& slot, const std::optional<PluginSection>& running,
                            const std::optional<PluginSection>& next,
                            std::vector<std::string>& out) {
    if (running && next) {
        compare_fixed(*running, *next, out);
    } else if (next) {
        out.push_back(fmt::format("{} added ({})", slot, next->use));
    } else if (running) {
        out.push_back(fmt::format("{} removed (was {})", slot, running->use));
    }
}

template <class T>
void compare_value(const std::string& key, const T& running, const T& next,
                   std::vector<std::string>& out) {
    if (running == next) return;
    out.push_back(fmt::format("{} changed ({} → {})", key, running, next));
}

void compare_value(const std::string& key, const std::optional<std::string>& running,
                   const std::optional<std::string>& next, std::vector<std::string>& out) {
    compare_value(key, running.value_or("(none)"), next.value_or("(none)"), out);
}

std::string processor_names(const std::vector<PluginSection>& processors) {
    std::vector<std::string> names;
    for (const auto& section : processors) names.push_back(section.use);
    return fmt::format("[{}]", fmt::join(names, ", "));
}

}  // namespace

std::string value_text(const std::optional<Value>& value) {
    if (!value) return "(none)";
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) {
                return v;
            } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
                return fmt::format("{}ms", v.count());
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                return fmt::format("[{}]", fmt::join(v, ", "));
            } else {
                return fmt::format("{}", v);
            }
        },
        *value);
}

bool same_section(const PluginSection& a, const PluginSection& b) {
    if (a.use != b.use) return false;
    for (const auto& key : b.manifest->schema) {
        if (value_of(a, key) != value_of(b, key)) return false;
    }
    return true;
}

PipelineChanges compare_pipelines(const Pipeline& running, const Pipeline& next) {
    PipelineChanges changes;
    auto& restart = changes.needs_restart;
    compare_value("node.id", running.node_id, next.node_id, restart);
    compare_value("node.threads", running.threads, next.threads, restart);
    compare_value("node.drain_timeout", fmt::format("{}ms", running.drain_timeout.count()),
                  fmt::format("{}ms", next.drain_timeout.count()), restart);
    compare_value("log.level", running.log_level, next.log_level, restart);
    if (running.transport.use != next.transport.use) {
        compare_fixed(running.transport, next.transport, restart);
    } else {
        const auto live_before = changes.live.size();
        const auto restart_before = restart.size();
        compare_keys(running.transport, next.transport, restart, &changes.live);
        changes.transport = changes.live.size() != live_before;
        changes.transport_fixed = restart.size() != restart_before;
    }

    changes.processors = running.processors.size() != next.processors.size();
    for (std::size_t i = 0; !changes.processors && i < next.processors.size(); ++i) {
        changes.processors = !same_section(running.processors[i], next.processors[i]);
    }
    if (changes.processors) {
        const auto before = processor_names(running.processors);
        const auto after = processor_names(next.processors);
        changes.live.push_back(before == after
                                   ? fmt::format("processors {}: settings changed", after)
                                   : fmt::format("processors {} → {}", before, after));
    }

    compare_fixed(running.queue, next.queue, restart);
    compare_fixed(running.presence, next.presence, restart);
    compare_optional_fixed("store", running.store, next.store, restart);

    if (running.auth && next.auth) {
        if (running.auth->use != next.auth->use) {
            changes.auth = true;
            changes.live.push_back(
                fmt::format("auth '{}' → '{}'", running.auth->use, next.auth->use));
        } else if (!same_section(*running.auth, *next.auth)) {
            changes.auth = true;
            changes.live.push_back(fmt::format("auth '{}' settings changed", next.auth->use));
        }
    } else if (next.auth) {
        changes.auth = true;
        changes.live.push_back(fmt::format("auth '{}' added", next.auth->use));
    } else if (running.auth) {
        changes.auth = true;
        changes.live.push_back(
            fmt::format("auth '{}' removed: the pipeline is open", running.auth->use));
    }

    compare_value("admin.listen", running.admin_listen, next.admin_listen, restart);
    if (running.admin_token != next.admin_token) restart.emplace_back("admin.token changed");
    if (running.admin_api_token != next.admin_api_token) {
        restart.emplace_back("admin.api_token changed");
    }
    compare_value("admin.api_max_body", running.admin_api_max_body, next.admin_api_max_body,
                  restart);
    compare_value("admin.tls_cert", running.admin_tls_cert, next.admin_tls_cert, restart);
    compare_value("admin.tls_key", running.admin_tls_key, next.admin_tls_key, restart);
    return changes;
}

}  // namespace relay::host
