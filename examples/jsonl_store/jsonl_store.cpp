#include "jsonl_store.hpp"

#include "json_line.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <unordered_set>

namespace jsonl_store {

namespace sdk = relay::sdk;

JsonlStore::JsonlStore(sdk::PluginContext& ctx)
    : path_(ctx.config().string("path")),
      sync_(ctx.config().boolean("sync")),
      executor_(ctx.executor()),
      log_(ctx.log()),
      health_(ctx.health()),
      appended_(ctx.metrics().counter("jsonl_store_appended_total",
                                      "messages appended to the JSON-lines file")),
      write_errors_(ctx.metrics().counter("jsonl_store_write_errors_total",
                                          "batches the JSON-lines file could not take")) {}

JsonlStore::~JsonlStore() {
    // What is still queued runs first (its answers post to the executor, which may
    // drop them when the host is gone); then no thread uses the file.
    worker_.join();
    close_file();
}

sdk::Schema JsonlStore::schema() {
    return {
        sdk::config_key("path", sdk::ValueType::string,
                        "the file messages are appended to, one JSON line each")
            .needed(),
        sdk::config_key("sync", sdk::ValueType::boolean,
                        "fdatasync after each batch, so that an acked message survives a "
                        "power loss (off: it survives a crash of relay only)")
            .fallback("true"),
    };
}

void JsonlStore::answer(sdk::Done done, std::error_code ec) {
    boost::asio::post(executor_, [done = std::move(done), ec] { done(ec); });
}

void JsonlStore::start(sdk::Done done) {
    worker_.run(
        [this, done = std::move(done)]() mutable { answer(std::move(done), open_and_index()); });
}

void JsonlStore::append(std::vector<sdk::Message> batch, sdk::Done done) {
    auto job = [this, batch = std::move(batch), done]() mutable {
        answer(std::move(done), write_batch(batch));
    };
    if (!worker_.run(std::move(job))) {
        answer(std::move(done), make_error_code(sdk::Errc::shutting_down));
    }
}

void JsonlStore::history(std::string_view room, sdk::HistoryQuery query, sdk::HistoryDone done) {
    auto job = [this, room = std::string(room), query = std::move(query), done]() mutable {
        std::vector<sdk::Message> found;
        const auto ec = fd_ < 0 ? make_error_code(sdk::Errc::unavailable)
                                : read_lines(index_.select(room, query), found);
        if (ec) found.clear();
        boost::asio::post(executor_,
                          [done = std::move(done), ec, found = std::move(found)]() mutable {
                              done(ec, std::move(found));
                          });
    };
    if (!worker_.run(std::move(job))) {
        boost::asio::post(executor_, [done = std::move(done)] {
            done(make_error_code(sdk::Errc::shutting_down), {});
        });
    }
}

void JsonlStore::stop(sdk::Done done) {
    // Queued behind every append and query asked before: those answer first.
    const bool queued = worker_.run([this, done]() mutable {
        close_file();
        answer(std::move(done), {});
    });
    worker_.finish();
    if (!queued) answer(std::move(done), {});  // stopped before
}

std::error_code JsonlStore::failed(std::string_view what, int error) {
    const std::error_code ec(error, std::generic_category());
    log_.error("jsonl store " + path_ + ": " + std::string(what) + ": " + ec.message());
    return ec;
}

std::error_code JsonlStore::open_and_index() {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return failed("cannot open", errno);
    std::ifstream in(path_, std::ios::binary);
    std::string line;
    std::uint64_t offset = 0;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (in.eof()) {
            // No '\n' after it: a write cut short by a crash, never acked. Cut it off
            // so that the next append starts a line of its own.
            log_.warn("jsonl store " + path_ + ": cutting off an unfinished last line (" +
                      std::to_string(line.size()) + " bytes)");
            if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
                const auto ec = failed("cannot cut off the unfinished last line", errno);
                close_file();
                return ec;
            }
            break;
        }
        const LineSpan span{offset, line.size()};
        auto msg = from_json_line(std::move(line));
        if (!msg) {
            log_.error("jsonl store " + path_ + ":" + std::to_string(number) +
                       ": not a stored message; move the file aside or mend that line");
            close_file();
            return make_error_code(std::errc::illegal_byte_sequence);
        }
        index_.add(msg->room, msg->id, span);
        offset += span.length + 1;
    }
    size_ = offset;
    log_.info("jsonl store " + path_ + ": " + std::to_string(number) + " lines");
    return {};
}

std::error_code JsonlStore::write_batch(const std::vector<sdk::Message>& batch) {
    if (fd_ < 0) return make_error_code(sdk::Errc::unavailable);
    std::string text;
    std::vector<std::pair<const sdk::Message*, LineSpan>> added;
    std::unordered_set<std::string_view> in_batch;
    for (const auto& msg : batch) {
        // Idempotent by id: a message stored before (or twice in the batch) is skipped.
        if (index_.contains(msg.id) || !in_batch.insert(msg.id).second) continue;
        const auto line = to_json_line(msg);
        added.emplace_back(&msg, LineSpan{size_ + text.size(), line.size() - 1});
        text += line;
    }
    if (text.empty()) return {};
    std::size_t written = 0;
    while (written < text.size()) {
        const auto n = ::write(fd_, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            // Take back a part written, so the file holds whole lines only.
            if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
                log_.error("jsonl store " + path_ + ": cannot take back a partial write");
            }
            write_errors_.add();
            health_.unavailable("jsonl store " + path_ + ": cannot write: " + std::strerror(error));
            failing_ = true;
            return failed("cannot write", error);
        }
        written += static_cast<std::size_t>(n);
    }
    if (sync_ && ::fdatasync(fd_) != 0) {
        const int error = errno;
        write_errors_.add();
        health_.unavailable("jsonl store " + path_ + ": cannot sync: " + std::strerror(error));
        failing_ = true;
        // What was written may or may not be on disk; the queue delivers the batch
        // again, and the index makes the second append skip what the first left.
        for (const auto& [msg, span] : added) index_.add(msg->room, msg->id, span);
        size_ += text.size();
        return failed("cannot sync", error);
    }
    for (const auto& [msg, span] : added) index_.add(msg->room, msg->id, span);
    size_ += text.size();
    appended_.add(added.size());
    if (failing_) {
        failing_ = false;
        health_.recovered();
    }
    return {};
}

std::error_code JsonlStore::read_lines(const std::vector<LineSpan>& lines,
                                       std::vector<sdk::Message>& found) {
    for (const auto& span : lines) {
        std::string line(span.length, '\0');
        std::size_t done = 0;
        while (done < line.size()) {
            const auto n = ::pread(fd_, line.data() + done, line.size() - done,
                                   static_cast<off_t>(span.offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return failed("cannot read history", n < 0 ? errno : EIO);
            done += static_cast<std::size_t>(n);
        }
        auto msg = from_json_line(std::move(line));
        if (!msg) {
            log_.error("jsonl store " + path_ + ": the line at byte " +
                       std::to_string(span.offset) + " changed under the store");
            return make_error_code(std::errc::illegal_byte_sequence);
        }
        found.push_back(std::move(*msg));
    }
    return {};
}

void JsonlStore::close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace jsonl_store
