#pragma once
// Worker: one thread of the plugin's own that runs jobs in the order they were given.
// The store's file I/O blocks, and a blocking call on a host executor would stall every
// connection of that I/O thread; so the store hands each append and history query to
// this thread and posts the answer back to the plugin's executor.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace jsonl_store {

class Worker {
public:
    Worker();
    /// Runs the jobs already given, then joins the thread.
    ~Worker() { join(); }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// Queues `job`; false when the worker is finishing (the job is dropped).
    bool run(std::function<void()> job);
    /// Takes no more jobs; those queued still run.
    void finish();
    /// finish(), then waits until the jobs queued ran and the thread ended. Idempotent;
    /// not from a job.
    void join();

private:
    void loop();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    bool finishing_ = false;
    std::thread thread_;  // last: starts once the members above exist
};

}  // namespace jsonl_store
