#include "config/cluster_check.hpp"

#include "config/pipeline_loader.hpp"
#include "unit/config/fake_lookup.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relay::host {
namespace {

using testing::fake_env;
using testing::FakeCatalog;

std::vector<std::string> warnings_of(const std::string& yaml) {
    FakeCatalog catalog;
    const Pipeline pipeline =
        load_pipeline_text(yaml, "pipeline.yaml", catalog.factory(), fake_env({}));
    return cluster_warnings(pipeline);
}

TEST(ClusterCheck, ANodeLocalStoreBehindASharedQueueIsWarnedAboutWordForWord) {
    const auto warnings = warnings_of(
        "transport: { use: websocket }\n"
        "queue: { use: kafka, brokers: \"k:9092\" }\n"
        "presence: { use: valkey, url: \"redis://v\" }\n"
        "store: { use: sqlite, path: relay.db }\n");
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0],
              "pipeline.yaml:4:8: warning: store 'sqlite' keeps history on this node only, but "
              "queue 'kafka' is shared by every node: with two nodes or more each stores only "
              "the messages its share of the store group reads, so history and recovery miss "
              "the rest. Use a shared store (postgres), or run one node");
}

TEST(ClusterCheck, ANodeLocalPresenceBehindASharedQueueIsWarnedAboutWordForWord) {
    const auto warnings = warnings_of(
        "transport: { use: websocket }\n"
        "queue: { use: kafka, brokers: \"k:9092\" }\n"
        "presence: { use: local }\n"
        "store: { use: postgres }\n");
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0],
              "pipeline.yaml:3:11: warning: presence 'local' knows this node's members only, "
              "but queue 'kafka' is shared by every node: with two nodes or more presence "
              "answers and join/leave events miss the members of the other nodes. Use a "
              "shared presence (valkey), or run one node");
}

TEST(ClusterCheck, BothAreWarnedAboutAndTheDefaultPresenceIsLocal) {
    const auto warnings = warnings_of(
        "transport: { use: websocket }\n"
        "queue: { use: kafka, brokers: \"k:9092\" }\n"
        "store: { use: sqlite }\n");
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_NE(warnings[0].find("warning: store 'sqlite'"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[1].find("warning: presence 'local'"), std::string::npos) << warnings[1];
}

TEST(ClusterCheck, ASingleNodePipelineOrAFullySharedOneIsNotWarnedAbout) {
    // Everything node-local: one node, as intended.
    EXPECT_TRUE(warnings_of("transport: { use: websocket }\n"
                            "queue: { use: memory }\n"
                            "store: { use: sqlite }\n")
                    .empty());
    // Everything shared.
    EXPECT_TRUE(warnings_of("transport: { use: websocket }\n"
                            "queue: { use: kafka, brokers: \"k:9092\" }\n"
                            "presence: { use: valkey, url: \"redis://v\" }\n"
                            "store: { use: postgres }\n")
                    .empty());
    // No store at all: nothing to split.
    EXPECT_TRUE(warnings_of("transport: { use: websocket }\n"
                            "queue: { use: kafka, brokers: \"k:9092\" }\n"
                            "presence: { use: valkey, url: \"redis://v\" }\n")
                    .empty());
}

}  // namespace
}  // namespace relay::host
