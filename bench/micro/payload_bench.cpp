// What a processor pays to read and change a payload field: sdk::PayloadEditor (one
// strict scan, then splices) against nlohmann::json (parse into a tree, change it, dump
// it again), on a small chat message and on a larger one (2 KiB of nested data). Each
// iteration starts from a fresh copy of the text, as a processor gets each message.
//   Read:  the `text` field as a string.
//   Edit:  mask `text`, add `lang`, remove `debug`: the message is then sent on.
#include <relay/sdk/payload.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <string>

namespace {

namespace sdk = relay::sdk;

const std::string& small_payload() {
    static const std::string text =
        R"({"text":"hello everyone, see you at 10:30 in room B","client_ts":1733550000123,)"
        R"("debug":{"build":"web-2.3.1"}})";
    return text;
}

const std::string& large_payload() {
    static const std::string text = [] {
        std::string items;
        for (int i = 0; i < 24; ++i) {
            if (i > 0) items += ",";
            items += R"({"id":)" + std::to_string(i) + R"(,"name":"attachment \")" +
                     std::to_string(i) + R"(\" ✓","size":12345.5,"tags":["a","b","c"],"ok":true})";
        }
        return R"({"meta":{"items":[)" + items + R"(]},"text":"the text comes after the rest",)" +
               R"("debug":{"trace":[1,2,3,4,5,6,7,8]}})";
    }();
    return text;
}

void editor_read(benchmark::State& state, const std::string& source) {
    for (auto _ : state) {
        std::string text = source;
        sdk::PayloadEditor payload(text);
        auto value = payload.string("text");
        benchmark::DoNotOptimize(value);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * source.size()));
}

void nlohmann_read(benchmark::State& state, const std::string& source) {
    for (auto _ : state) {
        std::string text = source;
        const auto json = nlohmann::json::parse(text, nullptr, false);
        auto value = json["text"].get<std::string>();
        benchmark::DoNotOptimize(value);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * source.size()));
}

void editor_edit(benchmark::State& state, const std::string& source) {
    for (auto _ : state) {
        std::string text = source;
        sdk::PayloadEditor payload(text);
        payload.set_string("text", "***");
        payload.set_string("lang", "en");
        payload.remove("debug");
        benchmark::DoNotOptimize(text);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * source.size()));
}

void nlohmann_edit(benchmark::State& state, const std::string& source) {
    for (auto _ : state) {
        std::string text = source;
        auto json = nlohmann::json::parse(text, nullptr, false);
        json["text"] = "***";
        json["lang"] = "en";
        json.erase("debug");
        text = json.dump();
        benchmark::DoNotOptimize(text);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * source.size()));
}

BENCHMARK_CAPTURE(editor_read, small, small_payload());
BENCHMARK_CAPTURE(nlohmann_read, small, small_payload());
BENCHMARK_CAPTURE(editor_edit, small, small_payload());
BENCHMARK_CAPTURE(nlohmann_edit, small, small_payload());
BENCHMARK_CAPTURE(editor_read, large, large_payload());
BENCHMARK_CAPTURE(nlohmann_read, large, large_payload());
BENCHMARK_CAPTURE(editor_edit, large, large_payload());
BENCHMARK_CAPTURE(nlohmann_edit, large, large_payload());

}  // namespace
