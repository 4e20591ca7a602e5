// The SDK's processor contract run against WordFilter, plus what the contract cannot
// know: which words it masks, and that it touches nothing else of the payload.
#include "word_filter.hpp"

#include <relay/sdk/testing/processor_contract.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

namespace sdk = relay::sdk;
using sdk::testing::Probe;
using sdk::testing::TestContext;

struct WordFilterTraits {
    static sdk::Schema schema() { return word_filter::WordFilter::schema(); }
    static std::unique_ptr<sdk::Processor> make(sdk::PluginContext& ctx) {
        return std::make_unique<word_filter::WordFilter>(ctx);
    }
    // The kit's samples, and some with words to mask, so that the contract also runs
    // over payloads the filter changes.
    static std::vector<std::string> payloads() {
        auto payloads = sdk::testing::sample_payloads();
        payloads.push_back(R"({"text":"darn it, Heck!","n":1})");
        payloads.push_back(R"({"file":{"_placeholder":true,"num":0},"text":"heck \"darn\""})");
        return payloads;
    }
    static void set_up(sdk::testing::TestConfig& config) {
        config.set_string_list("words", {"darn", "heck"});
    }
};

/// Runs `payload` through a WordFilter made with `configure`; returns what it became.
template <class Configure>
std::string filtered(std::string payload, Configure configure) {
    TestContext ctx(word_filter::WordFilter::schema(), "processors[0]");
    configure(ctx.settings());
    word_filter::WordFilter filter(ctx);
    sdk::Message msg;
    msg.payload_json = std::move(payload);
    Probe<sdk::Verdict> verdict(ctx);
    filter.process(msg, verdict.callback());
    EXPECT_TRUE(verdict.wait());
    EXPECT_TRUE(verdict.get<0>().pass);
    return msg.payload_json;
}

std::string filtered(std::string payload) {
    return filtered(std::move(payload), [](sdk::testing::TestConfig& config) {
        config.set_string_list("words", {"darn", "heck"});
    });
}

TEST(WordMask, MasksWholeWordsInAnyAsciiCase) {
    const word_filter::WordMask mask({"darn", "", "Heck"}, "***");
    const auto result = mask.apply("Darn, HECK darned heckle darn_it 'darn' darn.");
    EXPECT_EQ(result.text, "***, *** darned heckle darn_it 'darn' ***.");
    EXPECT_EQ(result.masked, 3U);
    EXPECT_EQ(mask.apply("").text, "");
    EXPECT_EQ(mask.apply("darn").text, "***");
}

TEST(WordMask, NonAsciiLettersBelongToTheWord) {
    const word_filter::WordMask mask({"caf"}, "#");
    EXPECT_EQ(mask.apply("café caf").text, "café #");
}

TEST(WordFilter, MasksTheFieldAndKeepsEverythingElseByteForByte) {
    EXPECT_EQ(filtered(R"({ "n" : 1.50, "text" : "oh darn it", "x":"darn" })"),
              R"({ "n" : 1.50, "text" : "oh *** it", "x":"darn" })");
}

TEST(WordFilter, ReadsEscapesAndWritesTheFieldBackAsJson) {
    EXPECT_EQ(filtered(R"({"text":"\"darn\"\nd\u0061rn \u00e9"})"), R"({"text":"\"***\"\n*** é"})");
}

TEST(WordFilter, LeavesAPayloadWithNothingToMaskAsItWas) {
    for (const std::string payload :
         {R"({"text":"fine words"})", R"({"text":42})", R"({"other":"darn"})", "{}",
          R"({"text":null,"file":{"_placeholder":true,"num":0}})"}) {
        EXPECT_EQ(filtered(payload), payload);
    }
}

TEST(WordFilter, FieldAndReplacementAreSettings) {
    EXPECT_EQ(filtered(R"({"text":"darn","body":"darn heck"})",
                       [](sdk::testing::TestConfig& config) {
                           config.set_string_list("words", {"darn", "heck"})
                               .set_string("field", "body")
                               .set_text("replacement", "\"[removed]\"");
                       }),
              R"({"text":"darn","body":"[removed] [removed]"})");
}

TEST(WordFilter, TheDefaultReplacementIsThreeStars) {
    TestContext ctx(word_filter::WordFilter::schema());
    EXPECT_EQ(ctx.settings().string("replacement"), "***");
    EXPECT_EQ(ctx.settings().string("field"), "text");
    EXPECT_TRUE(ctx.settings().string_list("words").empty());
}

TEST(WordFilter, CountsMaskedWords) {
    TestContext ctx(word_filter::WordFilter::schema());
    ctx.settings().set_string_list("words", {"darn"});
    word_filter::WordFilter filter(ctx);
    sdk::Message msg;
    msg.payload_json = R"({"text":"darn darn fine"})";
    Probe<sdk::Verdict> verdict(ctx);
    filter.process(msg, verdict.callback());
    ASSERT_TRUE(verdict.wait());
    EXPECT_EQ(ctx.test_metrics().counter_value("word_filter_masked_total"), 2U);
}

}  // namespace

namespace relay::sdk::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(WordFilter, ProcessorContract, ::testing::Types<WordFilterTraits>);
}  // namespace relay::sdk::testing
