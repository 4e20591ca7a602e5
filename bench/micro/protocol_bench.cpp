// The websocket plugin's hot path, per message: decode a client's chat event, splice
// the server fields into its object, encode the broadcast frame (once per message,
// shared by every recipient). nlohmann parse+dump of the same event is the baseline a
// DOM-based design would pay.
#include "engineio/packet.hpp"
#include "rfc6455/utf8.hpp"
#include "socketio/chat.hpp"
#include "socketio/json.hpp"
#include "socketio/packet.hpp"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <string>

namespace {

namespace eio = relay::plugins::websocket::engineio;
namespace sio = relay::plugins::websocket::socketio;

// A typical chat event as a WebSocket text frame (~100-byte message text).
const std::string kFrame =
    R"(42["message",{"text":"hello everyone, this is a typical chat message of about one hundred bytes in length!!","kind":"text"}])";

const std::string kPayload =
    R"({"text":"hello everyone, this is a typical chat message of about one hundred bytes in length!!","kind":"text"})";

const sio::ServerFields kFields{.id = "01HZX5T3Q9V7M2K8N4P6R0S1T2",
                                .room = "lobby",
                                .ts_ms = 1700000000123,
                                .sender = "wZX3oN0bSVIhsaknAAAI",
                                .user = "alice"};

void BM_DecodeMessageEvent(benchmark::State& state) {
    eio::Packet eio_packet;
    std::string scratch;
    sio::Packet packet;
    for (auto _ : state) {
        if (eio::decode_frame({kFrame, false}, eio_packet, scratch)) state.SkipWithError("eio");
        if (sio::decode_packet(eio_packet.data, packet)) state.SkipWithError("sio");
        const bool is_message = sio::json::string_equals(packet.event_name(), sio::kMessageEvent);
        benchmark::DoNotOptimize(is_message);
        benchmark::DoNotOptimize(packet.args()[0].data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kFrame.size()));
}
BENCHMARK(BM_DecodeMessageEvent);

void BM_Splice(benchmark::State& state) {
    std::string out;
    for (auto _ : state) {
        out.clear();
        if (sio::append_spliced_message(out, kPayload, kFields)) state.SkipWithError("splice");
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_Splice);

void BM_SpliceSpoofedRoom(benchmark::State& state) {
    const std::string payload = R"({"room":"admin",)" + kPayload.substr(1);
    std::string out;
    for (auto _ : state) {
        out.clear();
        if (sio::append_spliced_message(out, payload, kFields)) state.SkipWithError("splice");
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_SpliceSpoofedRoom);

// The broadcast frame into a fresh string each time, as a shared buffer would be.
void BM_EncodeBroadcastFrame(benchmark::State& state) {
    relay::sdk::Message msg;
    msg.id = "01HZX5T3Q9V7M2K8N4P6R0S1T2";
    msg.room = "lobby";
    msg.sender = "wZX3oN0bSVIhsaknAAAI";
    msg.user = "alice";
    msg.ts_ms = 1700000000123;
    msg.payload_json = kPayload;
    msg.position = "1700000000123-42";
    for (auto _ : state) {
        std::string frame;
        if (sio::encode_message_broadcast(frame, "/", msg, true)) state.SkipWithError("encode");
        benchmark::DoNotOptimize(frame.data());
    }
}
BENCHMARK(BM_EncodeBroadcastFrame);

// Everything one inbound message costs in this layer: decode, then the broadcast frame.
void BM_DecodeThenBroadcast(benchmark::State& state) {
    eio::Packet eio_packet;
    std::string scratch;
    sio::Packet packet;
    for (auto _ : state) {
        (void)eio::decode_frame({kFrame, false}, eio_packet, scratch);
        (void)sio::decode_packet(eio_packet.data, packet);
        std::string frame;
        (void)sio::encode_message_broadcast(frame, "/", packet.args()[0], kFields,
                                            std::string_view("1700000000123-42"));
        benchmark::DoNotOptimize(frame.data());
    }
}
BENCHMARK(BM_DecodeThenBroadcast);

void BM_JsonValidate(benchmark::State& state) {
    std::string doc = "[";
    for (int i = 0; i < state.range(0); ++i) doc += (i ? "," : "") + kPayload;
    doc += "]";
    for (auto _ : state) {
        benchmark::DoNotOptimize(sio::json::validate(doc));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * doc.size()));
}
BENCHMARK(BM_JsonValidate)->Arg(1)->Arg(100);

// RFC 6455: every text message is checked as UTF-8 before it is decoded. Arg 0: the
// ASCII chat frame above; arg 1: the same length of mostly non-ASCII text.
void BM_ValidUtf8(benchmark::State& state) {
    std::string text = kFrame;
    if (state.range(0) == 1) {
        text = R"(42["message",{"text":")";
        while (text.size() < kFrame.size() - 4) text += "h\xc3\xa9 \xe2\x9c\x93\xf0\x9f\x98\x80";
        text += R"("}])";
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(relay::plugins::websocket::rfc6455::valid_utf8(text));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ValidUtf8)->Arg(0)->Arg(1);

// Baseline: what parsing into a DOM and re-serialising the same event costs.
void BM_Baseline_NlohmannParseSpliceDump(benchmark::State& state) {
    const std::string_view packet = std::string_view(kFrame).substr(2);
    for (auto _ : state) {
        auto event = nlohmann::json::parse(packet);
        auto& obj = event[1];
        obj["id"] = kFields.id;
        obj["room"] = kFields.room;
        obj["ts"] = kFields.ts_ms;
        obj["sender"] = kFields.sender;
        obj["user"] = kFields.user;
        std::string frame = "42" + event.dump();
        benchmark::DoNotOptimize(frame.data());
    }
}
BENCHMARK(BM_Baseline_NlohmannParseSpliceDump);

}  // namespace
