// One broadcast to the 1,000 members of a room on one thread, in process: the shard's
// loop over the room, each session's queue of the shared frame (no copy), and nothing
// of the kernel. bench/compare's scenario (b) measures the same with the sockets.
//
// The sessions are real EngineSession/ChatSocket objects opened over polling (so no
// socket is needed) and connected to the room by a real CONNECT packet; their queues
// are emptied between batches of broadcasts, outside the timing.
#include "server/chat_socket.hpp"
#include "server/engine_session.hpp"
#include "server/server_context.hpp"
#include "server/shard.hpp"
#include "socketio/chat.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <benchmark/benchmark.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace ws = relay::plugins::websocket;
namespace sdk = relay::sdk;

/// The host's side as far as joining a room goes: every call succeeds at once.
class JoiningInbound final : public sdk::Inbound {
public:
    void authenticate(const sdk::Handshake&, sdk::AuthDone done) override {
        done(sdk::AuthOutcome::allow(sdk::Identity::open()));
    }
    void publish(sdk::Message, sdk::PublishedDone) override {}
    void history(std::string_view, sdk::HistoryQuery, sdk::HistoryDone) override {}
    void recover(std::string_view, std::string_view, sdk::HistoryDone) override {}
    void join(const sdk::Member&, sdk::Done done) override { done({}); }
    void leave(const sdk::Member&, sdk::Done done) override { done({}); }
    void members(std::string_view, sdk::MembersDone) override {}
};

void BM_BroadcastToRoom(benchmark::State& state) {
    const auto members = static_cast<std::size_t>(state.range(0));
    sdk::testing::TestContext ctx;
    ws::Settings settings;
    settings.max_queued_bytes = 1ULL << 40;  // the queues are emptied by hand below
    settings.presence_events = false;
    ws::ServerContext server(settings, ctx);
    JoiningInbound inbound;
    server.chat.inbound = &inbound;
    ws::Shard shard(ctx.executor(), {});
    std::vector<std::shared_ptr<ws::EngineSession>> sessions;
    for (std::size_t i = 0; i < members; ++i) {
        auto session = std::make_shared<ws::EngineSession>(
            server.sessions, shard, "sid" + std::to_string(i), ws::OpeningRequest{});
        session->open_polling();
        session->chat().receive_text(R"(0{"room":"lobby","user":"u"})");
        sessions.push_back(std::move(session));
    }
    // Each CONNECT joins on the executor once its identity is known (posted): wait
    // for those joins before broadcasting.
    std::promise<void> joined;
    boost::asio::post(ctx.executor(), [&joined] { joined.set_value(); });
    joined.get_future().wait();
    std::string frame;
    (void)ws::socketio::encode_message_broadcast(
        frame, "/", R"({"text":"hello everyone, a chat message of about a hundred bytes"})",
        {"01HZX5T3Q9V7M2K8N4P6R0S1T2", "lobby", 1700000000123, "sender", "alice"},
        std::string_view("01HZX5T3Q9V7M2K8N4P6R0S1T2"), 0);
    ws::Broadcast broadcast;
    broadcast.frames.push_back(ws::text_frame(frame));
    const auto shared = std::make_shared<const ws::Broadcast>(std::move(broadcast));
    const std::string room = "lobby";
    std::size_t since_drain = 0;
    // NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): Google Benchmark's loop
    for (auto _ : state) {
        benchmark::DoNotOptimize(shard.broadcast(room, shared, "nobody"));
        if (++since_drain == 64) {
            state.PauseTiming();
            for (auto& session : sessions) session->poll([](const std::string&) {});
            since_drain = 0;
            state.ResumeTiming();
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * members));
    for (auto& session : sessions) session->close("bench over", false);
}
BENCHMARK(BM_BroadcastToRoom)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
