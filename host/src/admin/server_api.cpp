#include "admin/server_api.hpp"

#include "admin/api_json.hpp"
#include "admin/bearer_token.hpp"
#include "flow/processed_message_check.hpp"

#include <relay/sdk/abi.hpp>
#include <relay/sdk/error.hpp>

#include <algorithm>
#include <mutex>

#include <nlohmann/json.hpp>

namespace relay::host {
namespace {

using json = nlohmann::json;
using Response = ServerApi::Response;

std::string dump(const json& doc) {
    return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Response error_response(const ApiError& error) {
    return {error.status, error.body(), {}, {}};
}

/// The answer to a pipeline error, with the status that says whose it is.
Response pipeline_error(const std::error_code& ec, const std::string& reason,
                        std::chrono::milliseconds retry_after = {}) {
    const auto text = reason.empty() ? ec.message() : reason;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(retry_after);
    if (sdk::same_error(ec, sdk::Errc::rejected)) {
        // A processor's no: a rate limit says when to come back.
        if (retry_after.count() > 0)
            return {429, ApiError{429, "rate limited", text}.body(), {}, seconds};
        return error_response({422, "rejected", text});
    }
    if (sdk::same_error(ec, sdk::Errc::queue_full)) {
        return {503, ApiError{503, "queue full", text}.body(), {}, std::chrono::seconds(1)};
    }
    if (sdk::same_error(ec, sdk::Errc::shutting_down)) {
        return error_response({503, "shutting down", text});
    }
    if (sdk::same_error(ec, sdk::Errc::unavailable)) {
        return {503, ApiError{503, "unavailable", text}.body(), {}, std::chrono::seconds(1)};
    }
    if (sdk::same_error(ec, sdk::Errc::timed_out)) return error_response({504, "timed out", text});
    if (sdk::same_error(ec, sdk::Errc::invalid_argument)) {
        return error_response({400, "bad request", text});
    }
    if (sdk::same_error(ec, sdk::Errc::payload_too_large)) {
        return error_response({413, "payload too large", text});
    }
    if (sdk::same_error(ec, sdk::Errc::not_supported)) {
        return error_response({501, "not supported", text});
    }
    return error_response({500, "internal error", text});
}

Response unknown_room(const std::string& room) {
    return error_response(
        {404, "unknown room", "room '" + room + "' has no messages and no members"});
}

}  // namespace

/// One request's answer: sent once, on the executor, by whichever comes first of the
/// pipeline's answer and the deadline.
class ServerApi::Reply : public std::enable_shared_from_this<Reply> {
public:
    Reply(const sdk::Executor& executor, Respond respond, std::atomic<std::size_t>& in_flight)
        : executor_(executor),
          timer_(executor),
          respond_(std::move(respond)),
          in_flight_(in_flight) {}
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;
    Reply(Reply&&) = delete;
    Reply& operator=(Reply&&) = delete;
    ~Reply() = default;

    void arm() {
        timer_.expires_after(kDeadline);
        // The timer holds the reply: even a plugin that dropped its callback unanswered
        // cannot leave the caller, and its connection, waiting for ever.
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return;
            self->finish(error_response({504, "timed out",
                                         "the pipeline did not answer within " +
                                             std::to_string(kDeadline.count()) + " s"}));
        });
    }

    /// From any thread.
    void send(Response response) {
        boost::asio::post(executor_,
                          [self = shared_from_this(), response = std::move(response)]() mutable {
                              self->finish(std::move(response));
                          });
    }

private:
    void finish(Response response) {
        if (sent_) return;
        sent_ = true;
        timer_.cancel();
        in_flight_.fetch_sub(1);
        auto respond = std::move(respond_);
        respond(std::move(response));
    }

    sdk::Executor executor_;
    boost::asio::steady_timer timer_;
    Respond respond_;
    std::atomic<std::size_t>& in_flight_;
    bool sent_ = false;  // on the executor only
};

ServerApi::ServerApi(sdk::Executor executor, Parts parts, std::string token)
    : executor_(std::move(executor)), parts_(std::move(parts)), token_(std::move(token)) {}

ServerApi::Response ServerApi::too_large(std::uint64_t limit) {
    return error_response({413, "body too large",
                           "the request body is larger than admin.api_max_body (" +
                               std::to_string(limit) + " bytes)"});
}

void ServerApi::handle(std::string_view method, std::string_view target,
                       std::string_view authorization, std::string_view body, Respond respond) {
    if (in_flight_.fetch_add(1) >= kMaxInFlight) {
        in_flight_.fetch_sub(1);
        Response busy =
            error_response({503, "busy", "too many API requests under way; try again in a moment"});
        busy.retry_after = std::chrono::seconds(1);
        boost::asio::post(executor_,
                          [respond = std::move(respond), busy = std::move(busy)]() mutable {
                              respond(std::move(busy));
                          });
        return;
    }
    auto reply = std::make_shared<Reply>(executor_, std::move(respond), in_flight_);
    if (token_.empty()) {
        reply->send(error_response({403, "api disabled",
                                    "the server API needs a token: set admin.api_token (or "
                                    "admin.token) in the pipeline"}));
        return;
    }
    if (!bearer_matches(authorization, token_)) {
        reply->send(error_response({401, "unauthorized",
                                    authorization.empty()
                                        ? "an Authorization: Bearer <admin.api_token> header is "
                                          "required"
                                        : "the bearer token is not the API's"}));
        return;
    }
    auto parsed = api::parse(method, target, body);
    if (!parsed.request) {
        Response response = error_response(parsed.error);
        response.allow = std::move(parsed.allow);
        reply->send(std::move(response));
        return;
    }
    reply->arm();
    std::visit(
        [&](auto& request) {
            using T = std::decay_t<decltype(request)>;
            if constexpr (std::is_same_v<T, api::Publish>) publish(std::move(request), reply);
            if constexpr (std::is_same_v<T, api::History>) history(std::move(request), reply);
            if constexpr (std::is_same_v<T, api::Presence>) presence(std::move(request), reply);
            if constexpr (std::is_same_v<T, api::Rooms>) rooms(request, reply);
            if constexpr (std::is_same_v<T, api::Disconnect>) disconnect(request, reply);
            if constexpr (std::is_same_v<T, api::Info>) info(reply);
            if constexpr (std::is_same_v<T, api::Nodes>) nodes(reply);
        },
        *parsed.request);
}

void ServerApi::publish(api::Publish request, const std::shared_ptr<Reply>& reply) const {
    // What a transport sets from a client's session, the API sets from the request:
    // the room from the path, the user from the body. There is no connection, so no
    // sender (every member gets the message) and no address for per-address limits.
    sdk::Message msg;
    msg.room = std::move(request.room);
    msg.user = std::move(request.user);
    msg.payload_json = std::move(request.payload_json);
    if (auto problem = check_processed_message(msg); !problem.empty()) {
        reply->send(error_response({400, "bad request", problem}));
        return;
    }
    parts_.inbound->publish(std::move(msg), [reply](const sdk::Published& published) {
        if (published.error) {
            reply->send(pipeline_error(published.error, published.reason, published.retry_after));
            return;
        }
        reply->send({200, dump({{"id", published.id}}), {}, {}});
    });
}

void ServerApi::history(const api::History& request, const std::shared_ptr<Reply>& reply) {
    if (!parts_.has_store) {
        reply->send(error_response(
            {501, "no history", "the pipeline has no store, so there is no history"}));
        return;
    }
    const bool first_page = request.query.before_id.empty() && request.query.after_id.empty();
    auto query = request.query;
    parts_.inbound->history(
        request.room, query,
        [this, reply, room = request.room, query, first_page](
            std::error_code ec, const std::vector<sdk::Message>& messages) {
            if (ec) {
                reply->send(pipeline_error(ec, {}));
                return;
            }
            Response found{200, api::history_page_json(messages, query, kHistoryMaxBytes), {}, {}};
            // A room no one wrote to and no one is in is most likely a typo.
            if (!messages.empty() || !first_page) {
                reply->send(std::move(found));
                return;
            }
            unless_unknown(room, std::move(found), reply);
        });
}

void ServerApi::unless_unknown(const std::string& room, Response found,
                               const std::shared_ptr<Reply>& reply) const {
    parts_.inbound->members(
        room, [reply, room, found = std::move(found)](
                  std::error_code ec, const std::vector<sdk::Member>& members) mutable {
            if (ec || !members.empty()) {
                reply->send(std::move(found));
                return;
            }
            reply->send(unknown_room(room));
        });
}

void ServerApi::presence(const api::Presence& request, const std::shared_ptr<Reply>& reply) {
    parts_.inbound->members(
        request.room, [this, reply, room = request.room](std::error_code ec,
                                                         const std::vector<sdk::Member>& members) {
            if (ec) {
                reply->send(pipeline_error(ec, {}));
                return;
            }
            Response found{200, api::presence_json(room, members), {}, {}};
            if (!members.empty() || !parts_.has_store) {
                if (members.empty()) {
                    reply->send(unknown_room(room));
                } else {
                    reply->send(std::move(found));
                }
                return;
            }
            // No one here: a room with history is known (and empty now), else unknown.
            sdk::HistoryQuery one;
            one.limit = 1;
            parts_.inbound->history(
                room, one,
                [reply, room, found = std::move(found)](
                    std::error_code history_ec, const std::vector<sdk::Message>& messages) mutable {
                    if (!history_ec && messages.empty()) {
                        reply->send(unknown_room(room));
                    } else {
                        reply->send(std::move(found));
                    }
                });
        });
}

void ServerApi::rooms(api::Rooms request, const std::shared_ptr<Reply>& reply) {
    parts_.transport->rooms([this, reply, limit = request.limit](
                                std::error_code ec, std::vector<sdk::LocalRoom> local) {
        if (ec) {
            reply->send(pipeline_error(ec, "the transport cannot list its rooms"));
            return;
        }
        // The busiest first; ties by name, so that the answer is stable.
        std::sort(local.begin(), local.end(), [](const auto& a, const auto& b) {
            return a.members != b.members ? a.members > b.members : a.room < b.room;
        });
        const bool truncated = local.size() > limit;
        if (truncated) local.resize(limit);
        // Each room's count across the cluster, as presence knows it; gathered, then sent.
        struct Gathering {
            std::mutex mutex;
            std::vector<sdk::LocalRoom> local;
            std::vector<std::optional<std::size_t>> cluster;
            std::size_t remaining = 0;
            bool truncated = false;
        };
        auto gathering = std::make_shared<Gathering>();
        gathering->local = std::move(local);
        gathering->cluster.resize(gathering->local.size());
        gathering->remaining = gathering->local.size();
        gathering->truncated = truncated;
        auto answer = [this, reply, gathering] {
            json rooms = json::array();
            for (std::size_t i = 0; i < gathering->local.size(); ++i) {
                const auto& cluster = gathering->cluster[i];
                rooms.push_back({{"room", gathering->local[i].room},
                                 {"members_here", gathering->local[i].members},
                                 {"members", cluster ? json(*cluster) : json(nullptr)}});
            }
            reply->send({200,
                         dump({{"node", parts_.node_id},
                               {"rooms", std::move(rooms)},
                               {"truncated", gathering->truncated}}),
                         {},
                         {}});
        };
        if (gathering->local.empty()) {
            answer();
            return;
        }
        for (std::size_t i = 0; i < gathering->local.size(); ++i) {
            auto record = [gathering, answer, i](std::optional<std::size_t> count) {
                std::unique_lock lock(gathering->mutex);
                gathering->cluster[i] = count;
                if (--gathering->remaining != 0) return;
                lock.unlock();
                answer();
            };
            const auto& room = gathering->local[i].room;
            parts_.presence->count(room, [this, room, record](std::error_code count_ec,
                                                              std::size_t count) {
                if (!count_ec) {
                    record(count);
                    return;
                }
                // A presence without count(): its member list says as much.
                parts_.inbound->members(room, [record](std::error_code members_ec,
                                                       const std::vector<sdk::Member>& members) {
                    record(members_ec ? std::nullopt : std::optional(members.size()));
                });
            });
        }
    });
}

void ServerApi::disconnect(const api::Disconnect& request, const std::shared_ptr<Reply>& reply) {
    parts_.transport->disconnect(
        request.target, [this, reply](std::error_code ec, std::size_t disconnected) {
            if (ec) {
                reply->send(pipeline_error(ec, "the transport cannot disconnect clients"));
                return;
            }
            reply->send(
                {200, dump({{"node", parts_.node_id}, {"disconnected", disconnected}}), {}, {}});
        });
}

void ServerApi::nodes(const std::shared_ptr<Reply>& reply) {
    parts_.presence->nodes([this, reply](std::error_code ec, std::vector<sdk::NodeInfo> nodes) {
        if (ec) {
            reply->send(pipeline_error(ec, api::nodes_problem(ec)));
            return;
        }
        reply->send(
            {200,
             dump({{"node", parts_.node_id}, {"nodes", api::nodes_list(nodes, parts_.node_id)}}),
             {},
             {}});
    });
}

void ServerApi::info(const std::shared_ptr<Reply>& reply) {
    json plugins = json::array();
    for (const auto& p : parts_.plugins) {
        plugins.push_back({{"slot", p.slot}, {"name", p.name}, {"version", p.version}});
    }
    const auto lines = [](const std::string& text) {
        json list = json::array();
        std::size_t start = 0;
        while (start < text.size()) {
            const auto end = text.find('\n', start);
            list.push_back(text.substr(start, end - start));
            if (end == std::string::npos) break;
            start = end + 1;
        }
        return list;
    };
    const auto not_ready = parts_.not_ready ? parts_.not_ready() : std::string();
    const auto unavailable = lines(parts_.health->unavailabilities());
    const auto degraded = lines(parts_.health->degradations());
    std::string status = "ready";
    if (!not_ready.empty()) {
        status = not_ready;
    } else if (!unavailable.empty()) {
        status = "unavailable";
    } else if (!degraded.empty()) {
        status = "degraded";
    }
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - started_);
    json health = {{"ready", not_ready.empty() && unavailable.empty()},
                   {"status", status},
                   {"unavailable", unavailable},
                   {"degraded", degraded}};
    reply->send({200,
                 dump({{"node", parts_.node_id},
                       {"version", RELAY_VERSION},
                       {"abi", sdk::kAbiVersion},
                       {"threads", parts_.threads},
                       {"uptime_s", uptime.count()},
                       {"plugins", std::move(plugins)},
                       {"health", std::move(health)}}),
                 {},
                 {}});
}

}  // namespace relay::host
