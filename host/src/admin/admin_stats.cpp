#include "admin/admin_stats.hpp"

#include <nlohmann/json.hpp>

namespace relay::host {

AdminStats::AdminStats(std::string node_id, const MetricsRegistry& metrics,
                       const HealthBoard& health, const BusyRooms& rooms)
    : node_id_(std::move(node_id)), metrics_(metrics), health_(health), rooms_(rooms) {}

std::string AdminStats::render() const {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    nlohmann::ordered_json out;
    out["node"] = node_id_;
    out["version"] = RELAY_VERSION;
    out["uptime_ms"] =
        duration_cast<milliseconds>(std::chrono::steady_clock::now() - started_).count();
    out["time_ms"] =
        duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto& metrics = out["metrics"] = nlohmann::ordered_json::object();
    for (const auto& sample : metrics_.samples()) {
        const auto name =
            sample.labels.empty() ? sample.name : sample.name + "{" + sample.labels + "}";
        metrics[name] = sample.value;
    }
    auto& plugins = out["plugins"] = nlohmann::ordered_json::array();
    for (const auto& plugin : health_.plugins()) {
        plugins.push_back({{"name", plugin.label},
                           {"metric", plugin.metric_name},
                           {"state", plugin.state},
                           {"reason", plugin.reason}});
    }
    const auto top = rooms_.top(kTopRooms);
    auto& rooms = out["rooms"];
    rooms["span_ms"] = duration_cast<milliseconds>(top.span).count();
    auto& list = rooms["top"] = nlohmann::ordered_json::array();
    for (const auto& room : top.rooms) {
        list.push_back({{"room", room.name},
                        {"messages", room.messages},
                        {"per_second", room.per_second},
                        {"overcount", room.overcount}});
    }
    out["nodes"] = nlohmann::ordered_json::array({{{"id", node_id_}, {"self", true}}});
    // Room names are the clients' UTF-8, checked by the transport; replace, never throw.
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace relay::host
