// Fuzz entry point for the websocket plugin's protocol layer (engineio/, socketio/).
//
// libFuzzer (clang):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -DRELAY_LIBFUZZER
//     -Iplugins/websocket -Isdk/include plugins/websocket/{engineio,socketio}/*.cpp
//     tests/fuzz/websocket_protocol_fuzz.cpp -o websocket_protocol_fuzz   (one command)
//   ./websocket_protocol_fuzz -max_len=4096 corpus/
// Without libFuzzer (g++ included) the same file builds a replay tool:
//   ./websocket_protocol_fuzz FILE...   runs each file through the same checks.
//
// Besides "no crash, no UB", it checks invariants: what decodes re-encodes to
// something that decodes the same; the splice of a valid object is valid JSON.
#include "engineio/base64.hpp"
#include "engineio/handshake.hpp"
#include "engineio/packet.hpp"
#include "socketio/auth.hpp"
#include "socketio/chat.hpp"
#include "socketio/decoder.hpp"
#include "socketio/encode.hpp"
#include "socketio/json.hpp"
#include "socketio/packet.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace eio = relay::plugins::websocket::engineio;
namespace sio = relay::plugins::websocket::socketio;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

void fuzz_json(std::string_view text) {
    if (sio::json::validate(text)) return;
    sio::json::ElementList items;
    if (!sio::json::parse_array(text, items)) {
        for (const auto item : items) {
            check(!sio::json::validate(item), "array element is valid JSON");
            if (sio::json::kind_of(item) == sio::json::Kind::string) {
                std::string round;
                sio::json::append_string(round, sio::json::unescape(item));
                check(!sio::json::validate(round), "re-escaped string is valid JSON");
            }
        }
    }
    std::string spliced;
    const sio::ServerFields fields{
        .id = "id", .room = "room", .ts_ms = 1, .sender = "sid", .user = "u\"ser"};
    if (!sio::append_spliced_message(spliced, text, fields)) {
        check(!sio::json::validate(spliced), "splice is valid JSON");
        check(sio::string_member(spliced, "room") == "room", "server room wins");
    }
    (void)sio::recovery_request(text);
}

void fuzz_socketio(std::string_view text) {
    sio::Packet p;
    if (sio::decode_packet(text, p)) return;
    if (p.is_event() && p.attachments == 0) {
        std::vector<std::string_view> args(p.args().begin(), p.args().end());
        const std::string name = sio::json::unescape(p.event_name());
        sio::EventFrame frame;
        frame.nsp = p.nsp;
        frame.name = name;
        frame.args = args;
        frame.ack_id = p.id;
        const std::string wire = sio::encode_event(frame);
        check(wire.size() == sio::event_size(frame), "event_size is exact");
        sio::Packet again;
        check(!sio::decode_packet(std::string_view(wire).substr(1), again), "event re-decodes");
        check(again.nsp == p.nsp && again.id == p.id && again.items.size() == p.items.size(),
              "event round trip");
    }
}

void fuzz_decoder(std::string_view data) {
    // Frames separated by 0x1e; a leading 0x01 byte marks a binary frame.
    sio::Decoder decoder({.packet = {}, .max_attachment_bytes = 1024});
    sio::Packet p;
    bool ready = false;
    std::size_t pos = 0;
    while (pos <= data.size()) {
        const std::size_t sep = data.find('\x1e', pos);
        const std::size_t end = sep == std::string_view::npos ? data.size() : sep;
        const std::string_view frame = data.substr(pos, end - pos);
        const auto ec = !frame.empty() && frame[0] == '\x01'
                            ? decoder.feed_binary(frame.substr(1), p, ready)
                            : decoder.feed_text(frame, p, ready);
        if (!ec && ready && p.attachments > 0) {
            check(decoder.take_attachments().size() == p.attachments, "attachment count");
        }
        if (sep == std::string_view::npos) break;
        pos = sep + 1;
    }
}

void fuzz_engineio(std::string_view data) {
    std::vector<eio::Frame> frames;
    std::string storage;
    if (!eio::decode_payload(data, frames, storage)) {
        const std::string body = eio::encode_payload(frames);
        check(body.size() == eio::payload_size(frames), "payload_size is exact");
        std::vector<eio::Frame> again;
        std::string storage2;
        check(!eio::decode_payload(body, again, storage2), "payload re-decodes");
        check(again.size() == frames.size(), "payload round trip");
        for (std::size_t i = 0; i < frames.size(); ++i) {
            check(again[i].binary == frames[i].binary && again[i].bytes == frames[i].bytes,
                  "payload frame round trip");
            eio::Packet packet;
            std::string scratch;
            (void)eio::decode_frame(frames[i], packet, scratch);
        }
    }
    std::string decoded;
    if (eio::append_base64_decoded(decoded, data)) {
        std::string again;
        check(eio::append_base64_decoded(again, eio::base64_encode(decoded)) && again == decoded,
              "base64 round trip");
    }
    const eio::Query q = eio::parse_query(data);
    (void)eio::check_request(q, "GET", false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz_json(text);
    fuzz_socketio(text);
    fuzz_decoder(text);
    fuzz_engineio(text);
    return 0;
}

#ifndef RELAY_LIBFUZZER
int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("%d input(s) ok\n", argc - 1);
    return 0;
}
#endif
