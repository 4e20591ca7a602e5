#pragma once
// JsonlStore: message history in one file of JSON lines (json_line.hpp), appended to
// and never rewritten. Every file operation runs on the store's own thread (Worker),
// in the order asked, and each answer is posted to the plugin's executor.
#include "message_index.hpp"
#include "worker.hpp"

#include <relay/sdk/plugin.hpp>

#include <cstdint>
#include <string>

namespace jsonl_store {

class JsonlStore final : public relay::sdk::Store {
public:
    explicit JsonlStore(relay::sdk::PluginContext& ctx);
    ~JsonlStore() override;

    /// Opens (or creates) the file and indexes what it holds. A last line cut short by
    /// a crash is cut off; any other line that is not a message fails the start.
    void start(relay::sdk::Done done) override;
    /// Appends the messages not stored yet, then (with `sync`) fdatasync()s the file:
    /// `done` succeeds once they are on disk.
    void append(std::vector<relay::sdk::Message> batch, relay::sdk::Done done) override;
    void history(std::string_view room, relay::sdk::HistoryQuery query,
                 relay::sdk::HistoryDone done) override;
    /// Completes after every append and query asked before it.
    void stop(relay::sdk::Done done) override;

    /// The plugin's settings, for its manifest and its tests.
    static relay::sdk::Schema schema();

private:
    // On the worker thread only:
    std::error_code open_and_index();
    std::error_code write_batch(const std::vector<relay::sdk::Message>& batch);
    std::error_code read_lines(const std::vector<LineSpan>& lines,
                               std::vector<relay::sdk::Message>& found);
    std::error_code failed(std::string_view what, int error);
    void close_file();

    void answer(relay::sdk::Done done, std::error_code ec);

    const std::string path_;
    const bool sync_;
    relay::sdk::Executor executor_;
    relay::sdk::Logger& log_;
    relay::sdk::Health& health_;
    relay::sdk::Counter& appended_;
    relay::sdk::Counter& write_errors_;

    // The worker thread's own state.
    int fd_ = -1;
    std::uint64_t size_ = 0;
    MessageIndex index_;
    bool failing_ = false;

    Worker worker_;  // last: destroyed first, so its jobs never see the members gone
};

}  // namespace jsonl_store
