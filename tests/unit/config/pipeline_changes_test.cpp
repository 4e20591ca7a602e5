#include "config/pipeline_changes.hpp"

#include "config/pipeline_loader.hpp"
#include "unit/config/fake_lookup.hpp"

#include <gtest/gtest.h>

namespace relay::host {
namespace {

using testing::fake_env;
using testing::FakeCatalog;

Pipeline load(const std::string& yaml) {
    FakeCatalog catalog;
    return load_pipeline_text(yaml, "pipeline.yaml", catalog.factory(), fake_env({}));
}

// A pipeline with these processors (YAML for the `processors` key) and more sections.
std::string with(const std::string& processors, const std::string& more = "") {
    return "node: { id: n1 }\n"
           "transport: { use: websocket, listen: 127.0.0.1:3000 }\n"
           "processors: " +
           processors +
           "\n"
           "queue: { use: memory }\n" +
           more;
}

const std::string kLimit = "[{ use: rate_limit, per_connection: 20, burst: 40 }]";
const std::string kBase = with(kLimit);

TEST(PipelineChanges, TheSameFileChangesNothing) {
    const auto changes = compare_pipelines(load(kBase), load(kBase));
    EXPECT_TRUE(changes.none());
    EXPECT_FALSE(changes.processors);
    EXPECT_FALSE(changes.auth);
}

TEST(PipelineChanges, ADefaultWrittenOutIsNoChange) {
    const auto changes = compare_pipelines(
        load(kBase), load(with("[{ use: rate_limit, per_connection: 20, burst: 40, ratio: 0.5 }]",
                               "presence: { use: local }\n")));
    EXPECT_TRUE(changes.none()) << (changes.live.empty() ? "" : changes.live[0]);
}

TEST(PipelineChanges, AnAddedProcessorAppliesLive) {
    const auto changes = compare_pipelines(
        load(kBase), load(with("[{ use: rate_limit, per_connection: 20, burst: 40 }, "
                               "{ use: profanity, words: [darn] }]")));
    EXPECT_TRUE(changes.processors);
    EXPECT_FALSE(changes.auth);
    EXPECT_EQ(changes.live,
              std::vector<std::string>{"processors [rate_limit] → [rate_limit, profanity]"});
    EXPECT_TRUE(changes.needs_restart.empty());
}

TEST(PipelineChanges, ProcessorSettingsAndOrderApplyLive) {
    const auto settings = compare_pipelines(
        load(kBase), load(with("[{ use: rate_limit, per_connection: 5, burst: 40 }]")));
    EXPECT_TRUE(settings.processors);
    EXPECT_EQ(settings.live, std::vector<std::string>{"processors [rate_limit]: settings changed"});

    const auto two = with("[{ use: rate_limit }, { use: profanity }]");
    const auto reordered =
        compare_pipelines(load(two), load(with("[{ use: profanity }, { use: rate_limit }]")));
    EXPECT_TRUE(reordered.processors);
    EXPECT_EQ(reordered.live, std::vector<std::string>{
                                  "processors [rate_limit, profanity] → [profanity, rate_limit]"});

    const auto removed = compare_pipelines(load(two), load(with("[]")));
    EXPECT_TRUE(removed.processors);
    EXPECT_EQ(removed.live, std::vector<std::string>{"processors [rate_limit, profanity] → []"});
}

TEST(PipelineChanges, TheAuthSectionAppliesLiveWhetherAddedChangedOrRemoved) {
    const auto with_auth = with(kLimit, "auth: { use: jwt, secret: s1 }\n");
    const auto added = compare_pipelines(load(kBase), load(with_auth));
    EXPECT_TRUE(added.auth);
    EXPECT_EQ(added.live, std::vector<std::string>{"auth 'jwt' added"});

    const auto changed =
        compare_pipelines(load(with_auth), load(with(kLimit, "auth: { use: jwt, secret: s2 }\n")));
    EXPECT_TRUE(changed.auth);
    EXPECT_EQ(changed.live, std::vector<std::string>{"auth 'jwt' settings changed"});

    const auto removed = compare_pipelines(load(with_auth), load(kBase));
    EXPECT_TRUE(removed.auth);
    EXPECT_EQ(removed.live, std::vector<std::string>{"auth 'jwt' removed: the pipeline is open"});
    EXPECT_TRUE(removed.needs_restart.empty());
}

TEST(PipelineChanges, BackendsAndHostSettingsNeedARestartAndAreNamed) {
    const auto next = load(
        "node: { id: n2, threads: 4 }\n"
        "log: { level: debug }\n"
        "transport: { use: websocket, listen: 127.0.0.1:3001, max_payload: 2048 }\n"
        "processors:\n"
        "  - { use: rate_limit, per_connection: 20, burst: 40 }\n"
        "queue: { use: kafka, brokers: k:9092 }\n"
        "presence: { use: local }\n"
        "store: { use: sqlite }\n"
        "admin: { listen: 127.0.0.1:9100 }\n");
    const auto changes = compare_pipelines(load(kBase), next);
    EXPECT_FALSE(changes.processors);
    EXPECT_FALSE(changes.auth);
    EXPECT_EQ(changes.live,
              std::vector<std::string>{"transport.max_payload changed (1048576 → 2048)"});
    EXPECT_EQ(changes.needs_restart,
              (std::vector<std::string>{
                  "node.id changed (n1 → n2)",
                  "node.threads changed (0 → 4)",
                  "log.level changed (info → debug)",
                  "transport.listen changed (127.0.0.1:3000 → 127.0.0.1:3001)",
                  "queue.use changed (memory → kafka)",
                  "store added (sqlite)",
                  "admin.listen changed ((none) → 127.0.0.1:9100)",
              }));
}

TEST(PipelineChanges, LiveAndRestartChangesAreToldApart) {
    const auto changes = compare_pipelines(
        load(kBase), load("node: { id: n1 }\n"
                          "transport: { use: websocket, listen: 127.0.0.1:3001 }\n"
                          "processors: [{ use: profanity }]\n"
                          "queue: { use: memory }\n"));
    EXPECT_TRUE(changes.processors);
    EXPECT_EQ(changes.live, std::vector<std::string>{"processors [rate_limit] → [profanity]"});
    EXPECT_EQ(
        changes.needs_restart,
        std::vector<std::string>{"transport.listen changed (127.0.0.1:3000 → 127.0.0.1:3001)"});
}

TEST(PipelineChanges, TheTransportsReloadableKeysApplyLiveAndTheOthersNeedARestart) {
    const auto transport = [](const std::string& settings) {
        return load(
            "node: { id: n1 }\n"
            "transport: { use: websocket, listen: 127.0.0.1:3000" +
            settings +
            " }\n"
            "queue: { use: memory }\n");
    };
    const auto live = compare_pipelines(transport(""), transport(", max_payload: 4096"));
    EXPECT_TRUE(live.transport);
    EXPECT_FALSE(live.transport_fixed);
    EXPECT_EQ(live.live,
              std::vector<std::string>{"transport.max_payload changed (1048576 → 4096)"});
    EXPECT_TRUE(live.needs_restart.empty());

    // Both kinds at once: the reloadable one still applies, the other is named.
    const auto both =
        compare_pipelines(transport(""), transport(", max_payload: 4096, ping_interval: 5s"));
    EXPECT_TRUE(both.transport);
    EXPECT_TRUE(both.transport_fixed);
    EXPECT_EQ(both.live,
              std::vector<std::string>{"transport.max_payload changed (1048576 → 4096)"});
    EXPECT_EQ(both.needs_restart,
              std::vector<std::string>{"transport.ping_interval changed (25000ms → 5000ms)"});

    const auto fixed = compare_pipelines(transport(""), transport(", ping_interval: 5s"));
    EXPECT_FALSE(fixed.transport);
    EXPECT_TRUE(fixed.transport_fixed);
    EXPECT_TRUE(fixed.live.empty());
}

TEST(PipelineChanges, SameSectionComparesThePluginAndEveryValue) {
    const auto a = load(kBase);
    const auto b = load(with("[{ use: rate_limit, burst: 41 }]"));
    EXPECT_TRUE(same_section(a.processors[0], a.processors[0]));
    EXPECT_FALSE(same_section(a.processors[0], b.processors[0]));
    EXPECT_FALSE(same_section(a.transport, a.queue));
}

TEST(PipelineChanges, ValuesReadAsTheFileWritesThem) {
    EXPECT_EQ(value_text(std::nullopt), "(none)");
    EXPECT_EQ(value_text(Value{std::string("x")}), "x");
    EXPECT_EQ(value_text(Value{std::int64_t{7}}), "7");
    EXPECT_EQ(value_text(Value{true}), "true");
    EXPECT_EQ(value_text(Value{std::chrono::milliseconds(250)}), "250ms");
    EXPECT_EQ(value_text(Value{std::vector<std::string>{"a", "b"}}), "[a, b]");
}

}  // namespace
}  // namespace relay::host
