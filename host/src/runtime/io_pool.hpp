#pragma once
#include <relay/sdk/asio.hpp>

#include <memory>
#include <thread>
#include <vector>

namespace relay::host {

/// One io_context per thread, each run by exactly one thread for its whole life
/// (docs/architecture.md, "Threads"): a connection or a plugin bound to one of them
/// needs no locks for its own state.
/// Lifecycle: threads start in the constructor and keep running (work guards) until
/// stop(); join() waits for them. Destruction stops and joins.
class IoPool {
public:
    explicit IoPool(unsigned threads);
    ~IoPool();
    IoPool(const IoPool&) = delete;
    IoPool& operator=(const IoPool&) = delete;
    IoPool(IoPool&&) = delete;
    IoPool& operator=(IoPool&&) = delete;

    const std::vector<sdk::Executor>& executors() const { return executors_; }
    /// io_context 0, the plugins' home executor and the admin server's. It serves
    /// connections as well, so `node.threads: 1` means one thread: the plugin callbacks
    /// it runs are short and post the per-connection work to that connection's thread.
    sdk::Executor home() const { return executors_.front(); }
    std::size_t size() const { return contexts_.size(); }

    /// Lets the threads return once their queued work is done; idempotent.
    void release();
    /// Stops every io_context at once (abandoning queued work); idempotent.
    void stop();
    void join();

private:
    /// An io_context whose services can be shut down before it is destroyed. A handler
    /// queued on one context may keep work counted on another (its associated executor;
    /// ASan saw a timer's handler do so at exit, with TLS connections open): destroying
    /// it touches that other context, so every context's queued handlers are destroyed
    /// (shutdown()) while all of them still exist, and only then are the contexts freed.
    class Context : public boost::asio::io_context {
    public:
        using boost::asio::execution_context::shutdown;
        using boost::asio::io_context::io_context;
    };
    using Guard = boost::asio::executor_work_guard<sdk::Executor>;
    std::vector<std::unique_ptr<Context>> contexts_;
    std::vector<sdk::Executor> executors_;
    std::vector<Guard> guards_;
    std::vector<std::thread> threads_;
};

/// `configured` threads, or, when it is 0, one per core this process may run on.
unsigned io_thread_count(unsigned configured);

}  // namespace relay::host
