#pragma once
#include "admin/api_request.hpp"
#include "runtime/health_board.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/presence.hpp>
#include <relay/sdk/transport.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace relay::host {

/// The server API (docs/api.md) on the admin listener: what an application's backend
/// and the `relay` CLI ask of a node. Publish goes the way a client's message goes
/// (Inbound::publish: processors, queue, store) and is answered once durable; history
/// and presence as a client gets them; rooms and disconnect ask the transport about
/// this node's connections; nodes asks presence which nodes are alive; info tells what
/// runs. Every request needs the API's bearer
/// token; each is answered once, within kDeadline, as JSON.
/// Thread safety: handle() from any thread; answers run on the executor given.
class ServerApi {
public:
    struct Plugin {
        std::string slot;  ///< "transport", "queue", "processors[0]", ...
        std::string name;
        std::string version;
    };
    struct Parts {
        sdk::Inbound* inbound = nullptr;  ///< the flow
        sdk::Transport* transport = nullptr;
        sdk::Presence* presence = nullptr;
        const HealthBoard* health = nullptr;
        std::string node_id;
        std::vector<Plugin> plugins;
        unsigned threads = 0;
        bool has_store = false;
        /// Why the node is not ready ("starting", "stopping"); empty when it is.
        std::function<std::string()> not_ready;
    };
    struct Response {
        int status = 200;
        std::string body;                     ///< JSON, ending in a newline
        std::string allow;                    ///< with a 405: the methods the path takes
        std::chrono::seconds retry_after{0};  ///< zero: no Retry-After header
    };
    using Respond = std::function<void(Response)>;

    /// How long a request may take before it is answered 504 (a queue that does not
    /// answer must not hold the caller, or the connection, forever).
    static constexpr std::chrono::seconds kDeadline{30};
    /// Requests under way at once, beyond which the API answers 503.
    static constexpr std::size_t kMaxInFlight = 4096;
    /// Most bytes of messages one history answer carries (a client's history_max_bytes).
    static constexpr std::size_t kHistoryMaxBytes = std::size_t{1024} * 1024;

    /// `executor`: where deadlines and answers run (the admin server's). `token`: the
    /// bearer token every request must carry; empty: the API is off (every request is
    /// answered 403, saying how to turn it on).
    ServerApi(sdk::Executor executor, Parts parts, std::string token);

    /// Answers one request: `authorization` is its Authorization header. `respond` is
    /// called exactly once, on the executor.
    void handle(std::string_view method, std::string_view target, std::string_view authorization,
                std::string_view body, Respond respond);

    /// The answer for a body larger than the limit (the admin server reads no further).
    static Response too_large(std::uint64_t limit);

private:
    class Reply;
    void publish(api::Publish request, const std::shared_ptr<Reply>& reply) const;
    void history(const api::History& request, const std::shared_ptr<Reply>& reply);
    void presence(const api::Presence& request, const std::shared_ptr<Reply>& reply);
    void rooms(api::Rooms request, const std::shared_ptr<Reply>& reply);
    void disconnect(const api::Disconnect& request, const std::shared_ptr<Reply>& reply);
    void info(const std::shared_ptr<Reply>& reply);
    void nodes(const std::shared_ptr<Reply>& reply);
    /// 404 "unknown room" when `room` has no members either; else `found`.
    void unless_unknown(const std::string& room, Response found,
                        const std::shared_ptr<Reply>& reply) const;

    sdk::Executor executor_;
    Parts parts_;
    const std::string token_;
    std::atomic<std::size_t> in_flight_{0};
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace relay::host
