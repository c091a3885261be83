// Internal: the per-call stop flag that implements ScopedInterruptCheck.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "exactpwm/interrupt.hpp"

namespace exactpwm::detail {

// The check installed on the calling thread, if any.
const ScopedInterruptCheck* current_interrupt_check();

// Created by a driver on the calling thread before its parallel region. Any thread may
// call stopped() between blocks; only the calling thread ever polls.
class StopFlag {
  public:
    StopFlag() : check_(current_interrupt_check()), owner_(std::this_thread::get_id()),
                 last_(std::chrono::steady_clock::now()) {}

    bool stopped() {
        if (stop_.load(std::memory_order_relaxed)) return true;
        if (check_ == nullptr || std::this_thread::get_id() != owner_) return false;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(check_->interval_ms)) return false;
        last_ = now;
        if (!check_->poll(check_->context)) return false;
        stop_.store(true, std::memory_order_relaxed);
        return true;
    }

    // Runs f on any thread; an exception it throws (std::bad_alloc, say) is kept, the first of all
    // threads', and stops the call: no exception may leave a parallel region.
    template <class F>
    void guard(F&& f) noexcept {
        try {
            f();
        } catch (...) {
            const std::lock_guard<std::mutex> lock(error_mutex_);
            if (!error_) error_ = std::current_exception();
            stop_.store(true, std::memory_order_relaxed);
        }
    }

    // After the parallel region: rethrow what guard kept, or throw if the call was interrupted.
    void throw_if_stopped() const {
        if (error_) std::rethrow_exception(error_);
        if (stop_.load(std::memory_order_relaxed)) throw Interrupted();
    }

  private:
    std::atomic<bool> stop_{false};
    const ScopedInterruptCheck* check_;
    std::thread::id owner_;
    std::chrono::steady_clock::time_point last_;
    std::mutex error_mutex_;
    std::exception_ptr error_;
};

}  // namespace exactpwm::detail
