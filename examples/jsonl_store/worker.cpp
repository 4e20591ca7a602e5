#include "worker.hpp"

namespace jsonl_store {

Worker::Worker() : thread_([this] { loop(); }) {}

void Worker::join() {
    finish();
    if (thread_.joinable()) thread_.join();
}

bool Worker::run(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (finishing_) return false;
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

void Worker::finish() {
    {
        std::lock_guard lock(mutex_);
        finishing_ = true;
    }
    wake_.notify_one();
}

void Worker::loop() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return finishing_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // finishing, and nothing left
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

}  // namespace jsonl_store
