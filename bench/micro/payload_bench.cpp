// What a processor pays to read and change a payload field: sdk::PayloadEditor (one
// strict scan, then splices) against nlohmann::json (parse into a tree, change it, dump
// it again), on a small chat message and on a larger one (2 KiB of nested data). Each
// iteration starts from a fresh copy of the text, as a processor gets each message.
//   Read:  the `text` field as a string.
//   Edit:  mask `text`, add `lang`, remove `debug`: the message is then sent on.
// And against the text written by hand (`handwritten_*`): std::string::find for the key
// and splices, as an author without a JSON library would write it. No validation, no
// unescaping, and wrong as soon as `"text"` occurs nested or inside a string before the
// member: the floor the editor is measured against, not something to ship.
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

/// Just after the string value whose opening quote is at `open`.
std::size_t string_end(const std::string& text, std::size_t open) {
    std::size_t i = open + 1;
    while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    return i + 1;
}

/// Just after the object or array value opening at `open`, skipping strings.
std::size_t container_end(const std::string& text, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < text.size(); ++i) {
        if (text[i] == '"') {
            i = string_end(text, i) - 1;
        } else if (text[i] == '{' || text[i] == '[') {
            ++depth;
        } else if ((text[i] == '}' || text[i] == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return text.size();
}

void handwritten_read(benchmark::State& state, const std::string& source) {
    for (auto _ : state) {
        std::string text = source;
        const auto key = text.find("\"text\":\"");
        const auto open = key + 7;
        auto value = text.substr(open + 1, string_end(text, open) - open - 2);
        benchmark::DoNotOptimize(value);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * source.size()));
}

void handwritten_edit(benchmark::State& state, const std::string& source) {
    for (auto _ : state) {
        std::string text = source;
        const auto open = text.find("\"text\":\"") + 7;
        text.replace(open, string_end(text, open) - open, "\"***\"");
        const auto debug = text.find("\"debug\":");
        const auto end = container_end(text, debug + 8);
        // With the comma before it (it is not the first member in these payloads).
        text.erase(debug - 1, end - debug + 1);
        text.insert(text.rfind('}'), ",\"lang\":\"en\"");
        benchmark::DoNotOptimize(text);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * source.size()));
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
BENCHMARK_CAPTURE(handwritten_read, small, small_payload());
BENCHMARK_CAPTURE(nlohmann_read, small, small_payload());
BENCHMARK_CAPTURE(editor_edit, small, small_payload());
BENCHMARK_CAPTURE(handwritten_edit, small, small_payload());
BENCHMARK_CAPTURE(nlohmann_edit, small, small_payload());
BENCHMARK_CAPTURE(editor_read, large, large_payload());
BENCHMARK_CAPTURE(handwritten_read, large, large_payload());
BENCHMARK_CAPTURE(nlohmann_read, large, large_payload());
BENCHMARK_CAPTURE(editor_edit, large, large_payload());
BENCHMARK_CAPTURE(handwritten_edit, large, large_payload());
BENCHMARK_CAPTURE(nlohmann_edit, large, large_payload());

}  // namespace
