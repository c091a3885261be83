// Internal: the per-call stop flag that implements ScopedInterruptCheck.
#pragma once

#include <atomic>
#include <chrono>
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

    // After the parallel region: throw if the call was interrupted.
    void throw_if_stopped() const {
        if (stop_.load(std::memory_order_relaxed)) throw Interrupted();
    }

  private:
    std::atomic<bool> stop_{false};
    const ScopedInterruptCheck* check_;
    std::thread::id owner_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace exactpwm::detail
