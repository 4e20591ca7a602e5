// The SDK's store contract run against JsonlStore, plus what the contract cannot know:
// the line format, base64, a crash's unfinished last line and a damaged file.
#include "jsonl_store.hpp"
#include "base64.hpp"
#include "json_line.hpp"

#include <relay/sdk/testing/store_contract.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace {

namespace sdk = relay::sdk;
using sdk::testing::Probe;
using sdk::testing::TestContext;

/// A file of this test process's own, gone after each test.
std::string scratch_file() {
    static const std::string path = (std::filesystem::temp_directory_path() /
                                     ("jsonl_store_test_" + std::to_string(::getpid()) + ".jsonl"))
                                        .string();
    return path;
}

struct JsonlTraits {
    static sdk::Schema schema() { return jsonl_store::JsonlStore::schema(); }
    static std::unique_ptr<sdk::Store> make(sdk::PluginContext& ctx) {
        return std::make_unique<jsonl_store::JsonlStore>(ctx);
    }
    static void set_up(sdk::testing::TestConfig& config) {
        std::filesystem::remove(scratch_file());
        config.set_string("path", scratch_file());
    }
    static void tear_down(sdk::testing::TestConfig&) { std::filesystem::remove(scratch_file()); }
};

sdk::Message sample(std::string id, std::string room = "general") {
    sdk::Message msg;
    msg.id = std::move(id);
    msg.room = std::move(room);
    msg.sender = "sid-1";
    msg.user = "alice";
    msg.ts_ms = 1700000000000;
    msg.payload_json = R"({"text":"hi"})";
    msg.position = "7";
    return msg;
}

/// Starts a store on scratch_file(); the error start() answered.
std::error_code start(TestContext& ctx, std::unique_ptr<sdk::Store>& store) {
    ctx.settings().set_string("path", scratch_file());
    store = std::make_unique<jsonl_store::JsonlStore>(ctx);
    Probe<std::error_code> started(ctx);
    store->start(started.callback());
    EXPECT_TRUE(started.wait());
    return started.get<0>();
}

void stop(TestContext& ctx, std::unique_ptr<sdk::Store>& store) {
    Probe<std::error_code> stopped(ctx);
    store->stop(stopped.callback());
    EXPECT_TRUE(stopped.wait());
    store.reset();
}

TEST(Base64, RoundTripsEveryLengthAndRefusesNonsense) {
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        EXPECT_EQ(jsonl_store::base64_decode(jsonl_store::base64_encode(bytes)), bytes);
        bytes.push_back(static_cast<char>(i * 7));
    }
    EXPECT_EQ(jsonl_store::base64_encode("hi!?"), "aGkhPw==");
    EXPECT_FALSE(jsonl_store::base64_decode("aGk"));
    EXPECT_FALSE(jsonl_store::base64_decode("a*kh"));
}

TEST(JsonLine, IsOneLineOfJsonWithThePayloadEmbedded) {
    auto msg = sample("01A");
    msg.attachments = {"hi!?"};
    msg.user = "Zoë \"Z\"\n";
    const auto line = jsonl_store::to_json_line(msg);
    EXPECT_EQ(line, R"({"id":"01A","room":"general","ts":1700000000000,"sender":"sid-1",)"
                    R"("user":"Zoë \"Z\"\n","position":"7","payload":{"text":"hi"},)"
                    R"("attachments":["aGkhPw=="]})"
                    "\n");
    EXPECT_EQ(jsonl_store::from_json_line(line.substr(0, line.size() - 1)), msg);
}

TEST(JsonLine, APayloadWithALineBreakIsKeptAsText) {
    auto msg = sample("01A");
    msg.payload_json = "{\n  \"text\": \"hi\"\n}";
    const auto line = jsonl_store::to_json_line(msg);
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_EQ(jsonl_store::from_json_line(line.substr(0, line.size() - 1)), msg);
}

TEST(JsonlStore, CutsOffAnUnfinishedLastLineAndAppendsAfterIt) {
    std::filesystem::remove(scratch_file());
    std::ofstream(scratch_file()) << jsonl_store::to_json_line(sample("01A"))
                                  << R"({"id":"01B","room":"gen)";
    TestContext ctx(jsonl_store::JsonlStore::schema(), "store");
    std::unique_ptr<sdk::Store> store;
    ASSERT_FALSE(start(ctx, store));
    EXPECT_TRUE(ctx.logger().contains("cutting off an unfinished last line"));
    Probe<std::error_code> appended(ctx);
    store->append({sample("01C")}, appended.callback());
    ASSERT_TRUE(appended.wait());
    EXPECT_FALSE(appended.get<0>());
    Probe<std::error_code, std::vector<sdk::Message>> history(ctx);
    store->history("general", {}, history.callback());
    ASSERT_TRUE(history.wait());
    EXPECT_EQ(history.get<1>(), (std::vector<sdk::Message>{sample("01A"), sample("01C")}));
    stop(ctx, store);
    std::filesystem::remove(scratch_file());
}

TEST(JsonlStore, ADamagedLineFailsTheStartNamingIt) {
    std::filesystem::remove(scratch_file());
    std::ofstream(scratch_file()) << jsonl_store::to_json_line(sample("01A")) << "garbage\n";
    TestContext ctx(jsonl_store::JsonlStore::schema(), "store");
    std::unique_ptr<sdk::Store> store;
    EXPECT_TRUE(start(ctx, store));
    EXPECT_TRUE(ctx.logger().contains(scratch_file() + ":2: not a stored message"));
    stop(ctx, store);
    std::filesystem::remove(scratch_file());
}

TEST(JsonlStore, AFileThatCannotBeOpenedFailsTheStart) {
    TestContext ctx(jsonl_store::JsonlStore::schema(), "store");
    ctx.settings().set_string("path", "/nonexistent-dir/history.jsonl");
    std::unique_ptr<sdk::Store> store = std::make_unique<jsonl_store::JsonlStore>(ctx);
    Probe<std::error_code> started(ctx);
    store->start(started.callback());
    ASSERT_TRUE(started.wait());
    EXPECT_EQ(started.get<0>(), std::errc::no_such_file_or_directory);
    stop(ctx, store);
}

}  // namespace

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Jsonl, StoreContract, ::testing::Types<JsonlTraits>);
}  // namespace relay::sdk::testing
