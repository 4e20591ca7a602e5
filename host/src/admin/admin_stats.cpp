#include "admin/admin_stats.hpp"

#include "admin/api_json.hpp"

#include <memory>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace relay::host {
namespace {

/// One answer waiting for presence's node list, or for the deadline, whichever is first.
struct PendingStats {
    PendingStats(const sdk::Executor& executor, nlohmann::ordered_json doc,
                 AdminStats::Rendered answer)
        : out(std::move(doc)), done(std::move(answer)), deadline(executor) {}

    nlohmann::ordered_json out;
    AdminStats::Rendered done;
    boost::asio::steady_timer deadline;
    bool sent = false;  // on the executor only

    /// `nodes`: the list, or null with `problem`.
    void finish(nlohmann::json nodes, const std::string& problem) {
        if (sent) return;
        sent = true;
        deadline.cancel();
        out["nodes"] = std::move(nodes);
        if (!problem.empty()) out["nodes_problem"] = problem;
        // Room and node names are other people's UTF-8; replace, never throw.
        auto answer = std::move(done);
        answer(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
};

}  // namespace

AdminStats::AdminStats(std::string node_id, const MetricsRegistry& metrics,
                       const HealthBoard& health, const BusyRooms& rooms, sdk::Presence& presence,
                       sdk::Executor executor)
    : node_id_(std::move(node_id)),
      metrics_(metrics),
      health_(health),
      rooms_(rooms),
      presence_(presence),
      executor_(std::move(executor)) {}

void AdminStats::render(Rendered done) const {
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

    auto pending = std::make_shared<PendingStats>(executor_, std::move(out), std::move(done));
    pending->deadline.expires_after(kNodesDeadline);
    // The timer holds the answer: a presence that never calls back cannot hold the page.
    pending->deadline.async_wait([pending](boost::system::error_code ec) {
        if (ec) return;
        pending->finish(nullptr, "presence did not list the nodes within " +
                                     std::to_string(kNodesDeadline.count()) + " s");
    });
    presence_.nodes([pending, executor = executor_, self = node_id_](
                        std::error_code ec, std::vector<sdk::NodeInfo> nodes) {
        boost::asio::post(executor, [pending, ec, nodes = std::move(nodes), self] {
            if (ec) {
                pending->finish(nullptr, api::nodes_problem(ec));
            } else {
                pending->finish(api::nodes_list(nodes, self), {});
            }
        });
    });
}

}  // namespace relay::host
