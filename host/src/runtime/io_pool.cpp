#include "runtime/io_pool.hpp"

#include <sched.h>

#include <spdlog/spdlog.h>

namespace relay::host {

IoPool::IoPool(unsigned threads) {
    const unsigned n = io_thread_count(threads);
    for (unsigned i = 0; i < n; ++i) {
        // Concurrency hint 1: each context is run by one thread, so Asio can skip locks.
        contexts_.push_back(std::make_unique<Context>(1));
        executors_.push_back(contexts_.back()->get_executor());
        guards_.emplace_back(executors_.back());
    }
    for (unsigned i = 0; i < n; ++i) {
        threads_.emplace_back([this, i] {
            try {
                contexts_[i]->run();
            } catch (const std::exception& e) {
                // A handler must never throw; if one did, stopping loudly beats limping.
                spdlog::critical("io thread {}: unhandled exception: {}", i, e.what());
                std::terminate();
            }
        });
    }
}

IoPool::~IoPool() {
    stop();
    join();
    for (auto& context : contexts_) context->shutdown();
}

void IoPool::release() {
    for (auto& guard : guards_) guard.reset();
}

void IoPool::stop() {
    release();
    for (auto& context : contexts_) context->stop();
}

void IoPool::join() {
    for (auto& thread : threads_) {
        if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
    }
}

unsigned io_thread_count(unsigned configured) {
    if (configured > 0) return configured;
    // The cores this process may run on (taskset, cgroup cpusets), not the machine's:
    // two threads pinned to one core only take turns.
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
        return static_cast<unsigned>(CPU_COUNT(&allowed));
    }
    const unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : cores;
}

}  // namespace relay::host
