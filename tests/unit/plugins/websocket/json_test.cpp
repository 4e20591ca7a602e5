// The hot-path JSON scanner: strict validation, element/member spans, escaping, and a
// differential check against nlohmann::json on generated and mutated documents.
#include "socketio/json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace relay::plugins::websocket::socketio::json {
namespace {

using namespace std::string_literals;

TEST(Json, AcceptsValidDocuments) {
    for (const std::string_view ok :
         {"0", "-0", "1.5e10", "-1.25E-3", "123456789012345678901234567890", "true", "false",
          "null", "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"",
          "\"\\ud800\"",  // lone surrogate escape: JSON.parse accepts it
          "\"€ 😀 \xC2\xA0\"", "[]", "{}", " [ 1 , 2 ] ", "\t\r\n{\"a\" : [ {} , [ ] ]}\n",
          "{\"a\":1,\"a\":2}", "[\"\x7f\"]"}) {
        EXPECT_FALSE(validate(ok)) << ok;
    }
}

TEST(Json, RejectsWithPreciseErrors) {
    const std::vector<std::pair<std::string, Errc>> cases = {
        {"", Errc::empty},
        {"  \n", Errc::empty},
        {"[1,]", Errc::unexpected_character},
        {"[,1]", Errc::unexpected_character},
        {"{\"a\" 1}", Errc::unexpected_character},
        {"{\"a\":1,}", Errc::unexpected_character},
        {"{a:1}", Errc::unexpected_character},
        {"'a'", Errc::unexpected_character},
        {"nul", Errc::unexpected_end},
        {"nulx", Errc::unexpected_character},
        {"True", Errc::unexpected_character},
        {"[1", Errc::unexpected_end},
        {"{\"a\":", Errc::unexpected_end},
        {"\"abc", Errc::unexpected_end},
        {"\"a\\", Errc::unexpected_end},
        {"\"\\u12", Errc::unexpected_end},
        {"\"a\nb\"", Errc::bad_string},
        {"\"\t\"", Errc::bad_string},
        {"\"\\x\"", Errc::bad_string},
        {"\"\\u12g4\"", Errc::bad_string},
        {"\"\xff\"", Errc::bad_utf8},
        {"\"\xC0\xAF\"", Errc::bad_utf8},          // overlong '/'
        {"\"\xE0\x80\xAF\"", Errc::bad_utf8},      // overlong
        {"\"\xED\xA0\x80\"", Errc::bad_utf8},      // UTF-8 encoded surrogate
        {"\"\xF4\x90\x80\x80\"", Errc::bad_utf8},  // above U+10FFFF
        {"\"\xE2\x82\"", Errc::bad_utf8},          // truncated €
        {"\"\x80\"", Errc::bad_utf8},              // lone continuation byte
        {"01", Errc::bad_number},
        {"-", Errc::bad_number},
        {"-a", Errc::bad_number},
        {"1.", Errc::bad_number},
        {"1.e5", Errc::bad_number},
        {"1e", Errc::bad_number},
        {"1e+", Errc::bad_number},
        {".5", Errc::unexpected_character},
        {"+1", Errc::unexpected_character},
        {"[1] x", Errc::trailing_characters},
        {"{} {}", Errc::trailing_characters},
        {"1 2", Errc::trailing_characters},
        {"\xEF\xBB\xBF[]", Errc::unexpected_character},  // a BOM is not JSON
    };
    for (const auto& [text, errc] : cases) {
        EXPECT_EQ(validate(text), errc) << text;
    }
}

TEST(Json, ErrorMessagesArePinned) {
    EXPECT_EQ(make_error_code(Errc::empty).message(), "invalid JSON: no value");
    EXPECT_EQ(make_error_code(Errc::unexpected_character).message(),
              "invalid JSON: unexpected character");
    EXPECT_EQ(make_error_code(Errc::unexpected_end).message(),
              "invalid JSON: unexpected end of text");
    EXPECT_EQ(make_error_code(Errc::bad_string).message(),
              "invalid JSON: control character or bad escape in string");
    EXPECT_EQ(make_error_code(Errc::bad_utf8).message(), "invalid JSON: string is not valid UTF-8");
    EXPECT_EQ(make_error_code(Errc::bad_number).message(), "invalid JSON: malformed number");
    EXPECT_EQ(make_error_code(Errc::trailing_characters).message(),
              "invalid JSON: characters after the value");
    EXPECT_EQ(make_error_code(Errc::too_deep).message(), "invalid JSON: nested too deeply");
    EXPECT_EQ(make_error_code(Errc::not_an_array).message(), "expected a JSON array");
    EXPECT_EQ(make_error_code(Errc::not_an_object).message(), "expected a JSON object");
    EXPECT_STREQ(json_category().name(), "relay.websocket.json");
}

TEST(Json, DepthLimit) {
    const auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
    EXPECT_FALSE(validate(nested(64)));
    EXPECT_EQ(validate(nested(65)), Errc::too_deep);
    EXPECT_FALSE(validate(nested(3), {.max_depth = 3}));
    EXPECT_EQ(validate(nested(4), {.max_depth = 3}), Errc::too_deep);
    EXPECT_EQ(validate("{\"a\":{\"b\":{}}}", {.max_depth = 2}), Errc::too_deep);
    // Hostile depth is refused without recursing through it.
    EXPECT_EQ(validate(std::string(1'000'000, '[')), Errc::too_deep);
}

TEST(Json, ParseArrayGivesRawElements) {
    ElementList items;
    const std::string text = " [ \"message\" , {\"text\" : \"hi\"},1.5e3,[1, 2],null ] ";
    ASSERT_FALSE(parse_array(text, items));
    ASSERT_EQ(items.size(), 5u);
    EXPECT_EQ(items[0], "\"message\"");
    EXPECT_EQ(items[1], "{\"text\" : \"hi\"}");
    EXPECT_EQ(items[2], "1.5e3");
    EXPECT_EQ(items[3], "[1, 2]");
    EXPECT_EQ(items[4], "null");
    EXPECT_EQ(items[1].data(), text.data() + text.find('{'));  // views, not copies
    EXPECT_EQ(kind_of(items[0]), Kind::string);
    EXPECT_EQ(kind_of(items[1]), Kind::object);
    EXPECT_EQ(kind_of(items[2]), Kind::number);
    EXPECT_EQ(kind_of(items[3]), Kind::array);
    EXPECT_EQ(kind_of(items[4]), Kind::null);
    EXPECT_EQ(kind_of("false"), Kind::boolean);
}

TEST(Json, ParseArrayErrors) {
    ElementList items;
    EXPECT_EQ(parse_array("{}", items), Errc::not_an_array);
    EXPECT_EQ(parse_array("\"x\"", items), Errc::not_an_array);
    EXPECT_EQ(parse_array("{", items), Errc::unexpected_end);  // invalid beats wrong kind
    EXPECT_EQ(parse_array("[1] 2", items), Errc::trailing_characters);
    EXPECT_EQ(parse_array("", items), Errc::empty);
    items.clear();
    ASSERT_FALSE(parse_array("[]", items));
    EXPECT_TRUE(items.empty());
}

TEST(Json, ParseObjectGivesMembers) {
    MemberList members;
    ASSERT_FALSE(parse_object("{\"a\":1, \"b\" : {\"c\":[2]} ,\"a\":\"x\"}", members));
    ASSERT_EQ(members.size(), 3u);
    EXPECT_EQ(members[0].key, "\"a\"");
    EXPECT_EQ(members[0].value, "1");
    EXPECT_EQ(members[0].text, "\"a\":1");
    EXPECT_EQ(members[1].key, "\"b\"");
    EXPECT_EQ(members[1].value, "{\"c\":[2]}");
    EXPECT_EQ(members[1].text, "\"b\" : {\"c\":[2]}");
    EXPECT_EQ(members[2].value, "\"x\"");
    members.clear();
    EXPECT_EQ(parse_object("[]", members), Errc::not_an_object);
    EXPECT_EQ(parse_object("{\"a\"}", members), Errc::unexpected_character);
}

TEST(Json, WalkVisitsObjectsInnermostFirst) {
    struct Recorder final : Visitor {
        std::string log;
        void begin_object() override { log += "{"; }
        void member(std::string_view key, std::string_view value) override {
            log += std::string(key) + "=" + std::string(value) + ";";
        }
        void end_object() override { log += "}"; }
    } rec;
    ASSERT_FALSE(walk("[{\"a\":{\"b\":1}},2,{}]", rec));
    EXPECT_EQ(rec.log, "{{\"b\"=1;}\"a\"={\"b\":1};}{}");
}

TEST(Json, StringEqualsAndUnescape) {
    EXPECT_TRUE(string_equals("\"room\"", "room"));
    EXPECT_TRUE(string_equals("\"r\\u006fom\"", "room"));
    EXPECT_FALSE(string_equals("\"rooms\"", "room"));
    EXPECT_FALSE(string_equals("\"\"", "room"));
    EXPECT_TRUE(string_equals("\"\"", ""));
    EXPECT_EQ(unescape("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""), "a\"b\\c/d\b\f\n\r\t");
    EXPECT_EQ(unescape("\"\\u00e9\\u20AC\""), "é€");
    EXPECT_EQ(unescape("\"\\ud83d\\ude00\""), "😀");
    EXPECT_EQ(unescape("\"\\ud800x\""), "\xEF\xBF\xBDx");  // lone high surrogate
    EXPECT_EQ(unescape("\"\\udc00\""), "\xEF\xBF\xBD");    // lone low surrogate
    EXPECT_EQ(unescape("\"\\ud800\\u0041\""),
              "\xEF\xBF\xBD"
              "A");  // high + non-low
    EXPECT_EQ(unescape("\"€ raw\""), "€ raw");
}

TEST(Json, AppendStringMatchesJsonStringify) {
    // JSON.stringify("a\"b\\c\n\r\t\b\f\u0001\u001f\u007f/é€😀\u2028") in Node 20.
    const std::string in = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f/é€😀\xE2\x80\xA8";
    std::string out;
    append_string(out, in);
    EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/é€😀\xE2\x80\xA8\"");
    EXPECT_EQ(out.size(), quoted_size(in));
    EXPECT_FALSE(validate(out));
    EXPECT_EQ(unescape(out), in);
    std::string zero;
    append_string(zero, "\0"s);
    EXPECT_EQ(zero, "\"\\u0000\"");
}

// --- differential check against nlohmann::json ----------------------------------

// A random JSON document, sometimes broken by a mutation. Lone-surrogate escapes,
// which JSON.parse (and we) accept but nlohmann refuses, are never generated.
class Generator {
public:
    explicit Generator(unsigned seed) : rng_(seed) {}

    std::string document() {
        std::string out;
        value(out, 0);
        return out;
    }

    std::string mutate(std::string s) {
        static constexpr std::string_view kBytes =
            "[]{}\",:\\ -+.eE0123456789tfnrlux\x01\x7f\xc3\xa9\xff";
        const int edits = 1 + pick(3);
        for (int i = 0; i < edits && !s.empty(); ++i) {
            const auto at = static_cast<std::size_t>(pick(static_cast<int>(s.size())));
            switch (pick(3)) {
                case 0: s.erase(at, 1); break;
                case 1:
                    s.insert(at, 1, kBytes[static_cast<std::size_t>(pick(kBytes.size()))]);
                    break;
                default: s[at] = kBytes[static_cast<std::size_t>(pick(kBytes.size()))];
            }
        }
        return s;
    }

private:
    int pick(std::size_t n) { return static_cast<int>(rng_() % n); }

    void ws(std::string& out) {
        static constexpr std::string_view kWs[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
        out += kWs[pick(std::size(kWs))];
    }

    void string(std::string& out) {
        static constexpr std::string_view kParts[] = {
            "a", "hello", " ", "\\\"", "\\\\", "\\/", "\\n", "\\u00e9", "\\uD83D\\uDE00",
            "é", "€",     "😀", "\\t",  "x y",  "\\b"};
        out += '"';
        const int n = pick(5);
        for (int i = 0; i < n; ++i) out += kParts[pick(std::size(kParts))];
        out += '"';
    }

    void value(std::string& out, int depth) {
        ws(out);
        const int k = depth > 5 ? pick(4) : pick(6);
        static constexpr std::string_view kNumbers[] = {"0",   "-1",      "3.25",
                                                        "1e9", "-0.5E-2", "12345678901234567890"};
        static constexpr std::string_view kLiterals[] = {"true", "false", "null"};
        switch (k) {
            case 0: string(out); break;
            case 1: out += kNumbers[pick(std::size(kNumbers))]; break;
            case 2: out += kLiterals[pick(std::size(kLiterals))]; break;
            case 3: string(out); break;
            case 4: {
                out += '[';
                const int n = pick(4);
                for (int i = 0; i < n; ++i) {
                    if (i) out += ',';
                    value(out, depth + 1);
                }
                ws(out);
                out += ']';
                break;
            }
            default: {
                out += '{';
                const int n = pick(4);
                for (int i = 0; i < n; ++i) {
                    if (i) out += ',';
                    ws(out);
                    string(out);
                    ws(out);
                    out += ':';
                    value(out, depth + 1);
                }
                ws(out);
                out += '}';
            }
        }
        ws(out);
    }

    std::mt19937 rng_;
};

// nlohmann's verdict: accepted, refused, or unknown (it stops at a number beyond a
// double, "406 number overflow", which is valid JSON text that JSON.parse reads as
// Infinity, before it has seen the rest).
std::optional<bool> nlohmann_accepts(const std::string& doc) {
    try {
        const auto parsed = nlohmann::json::parse(doc);
        return !parsed.is_discarded();
    } catch (const nlohmann::json::out_of_range&) {
        return std::nullopt;
    } catch (const nlohmann::json::parse_error&) {
        return false;
    }
}

TEST(Json, AgreesWithNlohmannOnGeneratedDocuments) {
    Generator gen(20240601);
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string doc = gen.document();
        if (i % 2 == 1) doc = gen.mutate(std::move(doc));
        const bool ours = !validate(doc, {.max_depth = 1000});
        const std::optional<bool> verdict = nlohmann_accepts(doc);
        if (!verdict) continue;
        const bool theirs = *verdict;
        // A mutation can split a surrogate pair: escaped lone surrogates are JSON that
        // JSON.parse (and we) accept and nlohmann refuses.
        if (ours && !theirs && doc.find("\\uD") != std::string::npos) continue;
        ASSERT_EQ(ours, theirs) << "document: " << doc;
        accepted += ours ? 1 : 0;
        if (ours) {
            // Every element of a valid array is itself a valid document.
            ElementList items;
            if (!parse_array(doc, items)) {
                for (const auto item : items) ASSERT_FALSE(validate(item)) << item;
            }
        }
    }
    EXPECT_GT(accepted, 10000);  // the generator mostly produces valid JSON
}

}  // namespace
}  // namespace relay::plugins::websocket::socketio::json
