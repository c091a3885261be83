// Interrupting long engine calls (e.g. Ctrl-C in a host language), without the engine
// knowing who asks.
//
// While a ScopedInterruptCheck lives on a thread, every driver called from that thread
// calls poll(context) from that same thread about every `interval_ms`; when it returns
// true, all worker threads stop at their next block of windows and the driver throws
// Interrupted. Outputs then hold partial results and must be discarded.
// Without a check installed (the default) drivers never poll.
#pragma once

#include <stdexcept>

namespace exactpwm {

class Interrupted : public std::runtime_error {
  public:
    Interrupted() : std::runtime_error("interrupted") {}
};

class ScopedInterruptCheck {
  public:
    using Poll = bool (*)(void* context);
    ScopedInterruptCheck(Poll poll, void* context, int interval_ms = 50);
    ~ScopedInterruptCheck();
    ScopedInterruptCheck(const ScopedInterruptCheck&) = delete;
    ScopedInterruptCheck& operator=(const ScopedInterruptCheck&) = delete;

    Poll poll;
    void* context;
    int interval_ms;

  private:
    const ScopedInterruptCheck* previous_;
};

}  // namespace exactpwm
