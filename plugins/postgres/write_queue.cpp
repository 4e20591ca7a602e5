#include "write_queue.hpp"

#include <utility>

namespace relay::plugins::postgres {

namespace {

/// What a message adds to a batch's parameters, roughly.
std::size_t message_bytes(const sdk::Message& m) {
    std::size_t n = m.id.size() + m.room.size() + m.sender.size() + m.user.size() +
                    m.payload_json.size() + m.position.size() + 64;
    for (const auto& a : m.attachments) n += a.size() + 4;
    return n;
}

}  // namespace

void drop_completed(Batch& batch) {
    std::erase_if(batch.pieces, [](const Piece& p) { return p.job->completed; });
    batch.messages = 0;
    for (const auto& p : batch.pieces) batch.messages += p.end - p.begin;
}

void WriteQueue::push(std::shared_ptr<Job> job) {
    queued_messages_ += job->messages.size();
    gauge_.set(static_cast<std::int64_t>(queued_messages_));
    jobs_.push_back(std::move(job));
}

void WriteQueue::drop_completed_front() {
    while (!jobs_.empty() && jobs_.front()->completed) {
        queued_messages_ -= jobs_.front()->messages.size() - jobs_.front()->taken;
        jobs_.pop_front();
    }
    gauge_.set(static_cast<std::int64_t>(queued_messages_));
}

Batch WriteQueue::take(std::uint64_t seq, std::size_t max_messages, std::size_t max_bytes) {
    Batch batch;
    batch.seq = seq;
    std::size_t bytes = 0;
    bool full = false;
    while (!full && !jobs_.empty()) {
        auto& job = jobs_.front();
        if (job->completed) {
            drop_completed_front();
            continue;
        }
        const std::size_t begin = job->taken;
        std::size_t end = begin;
        while (end < job->messages.size()) {
            if (batch.messages + (end - begin) >= max_messages) {
                full = true;
                break;
            }
            const std::size_t size = message_bytes(job->messages[end]);
            if (batch.messages + (end - begin) > 0 && bytes + size > max_bytes) {
                full = true;
                break;
            }
            bytes += size;
            ++end;
        }
        if (end > begin) {
            batch.pieces.push_back({job, begin, end});
            batch.messages += end - begin;
            job->taken = end;
            queued_messages_ -= end - begin;
        }
        if (job->taken == job->messages.size()) jobs_.pop_front();
    }
    gauge_.set(static_cast<std::int64_t>(queued_messages_));
    return batch;
}

void WriteQueue::clear() {
    jobs_.clear();
    queued_messages_ = 0;
    gauge_.set(0);
}

}  // namespace relay::plugins::postgres
