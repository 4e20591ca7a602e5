#include "word_filter.hpp"

#include <relay/sdk/payload.hpp>

namespace word_filter {

namespace sdk = relay::sdk;

WordFilter::WordFilter(sdk::PluginContext& ctx)
    : field_(ctx.config().string("field")),
      mask_(ctx.config().string_list("words"), ctx.config().string("replacement")),
      masked_(ctx.metrics().counter("word_filter_masked_total",
                                    "words replaced by the word_filter processor")) {
    if (mask_.empty()) ctx.log().warn("no words to mask: messages pass unchanged");
}

sdk::Schema WordFilter::schema() {
    return {
        sdk::config_key("words", sdk::ValueType::string_list,
                        "the words to mask, whole words, any ASCII case")
            .fallback("[]"),
        sdk::config_key("field", sdk::ValueType::string,
                        "the top-level payload field to filter (a string field)")
            .fallback("text"),
        // A YAML default: quoted, because *** unquoted would be a YAML alias.
        sdk::config_key("replacement", sdk::ValueType::string, "what each masked word becomes")
            .fallback("\"***\""),
    };
}

void WordFilter::process(sdk::Message& msg, sdk::VerdictDone done) {
    sdk::PayloadEditor payload(msg.payload_json);
    // The transport sends only JSON objects; anything else is the host's to refuse.
    if (!payload.ok() || mask_.empty()) return done(sdk::Verdict::accept());
    // A field that is absent, or not a string, has no words to mask.
    const auto text = payload.string(field_);
    if (!text) return done(sdk::Verdict::accept());
    auto result = mask_.apply(*text);
    if (result.masked > 0) {
        // The input was valid UTF-8 and masking splices whole words, so this cannot
        // fail but for a replacement that is not UTF-8; the message then passes as sent.
        if (!payload.set_string(field_, result.text)) masked_.add(result.masked);
    }
    done(sdk::Verdict::accept());
}

}  // namespace word_filter
