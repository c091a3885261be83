#include "exactpwm/interrupt.hpp"

#include "stop.hpp"

namespace exactpwm {
namespace {
thread_local const ScopedInterruptCheck* installed = nullptr;
}

ScopedInterruptCheck::ScopedInterruptCheck(Poll p, void* ctx, int interval)
    : poll(p), context(ctx), interval_ms(interval), previous_(installed) {
    installed = this;
}

ScopedInterruptCheck::~ScopedInterruptCheck() { installed = previous_; }

namespace detail {
const ScopedInterruptCheck* current_interrupt_check() { return installed; }
}  // namespace detail

}  // namespace exactpwm
