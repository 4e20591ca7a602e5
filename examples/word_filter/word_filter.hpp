#pragma once
// WordFilter: a processor that masks listed words in one string field of every
// message's payload (`text` by default), editing only that field with
// sdk::PayloadEditor, so the rest of the client's JSON keeps its bytes.
#include "word_mask.hpp"

#include <relay/sdk/plugin.hpp>

#include <string>

namespace word_filter {

class WordFilter final : public relay::sdk::Processor {
public:
    explicit WordFilter(relay::sdk::PluginContext& ctx);

    /// Masks the field when it is a string holding a listed word; passes every
    /// message, changed or not (a filter that rejected would tell the sender which
    /// word it caught, and make them rephrase until it passes).
    void process(relay::sdk::Message& msg, relay::sdk::VerdictDone done) override;

    /// The plugin's settings, for its manifest and its tests.
    static relay::sdk::Schema schema();

private:
    const std::string field_;
    const WordMask mask_;
    relay::sdk::Counter& masked_;
};

}  // namespace word_filter
