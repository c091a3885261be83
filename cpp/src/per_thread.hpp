// Internal: per-thread scratch made before a parallel region.
#pragma once

#include <cstddef>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace exactpwm::detail {

// One S per thread of a parallel region of at most `threads` threads, constructed in the calling
// thread before the region: an allocation that fails throws there, where an exception may leave
// (a MemoryError in Python), and never inside the region, where it would end the process.
template <class S>
class PerThread {
  public:
    template <class... Args>
    explicit PerThread(int threads, const Args&... args) {
        items_.reserve(static_cast<size_t>(threads < 1 ? 1 : threads));
        for (int i = 0; i < (threads < 1 ? 1 : threads); ++i) items_.emplace_back(args...);
    }

    // the calling thread's S, inside the region
    S& mine() {
#ifdef _OPENMP
        return items_[static_cast<size_t>(omp_get_thread_num())];
#else
        return items_[0];
#endif
    }

    std::vector<S>& all() { return items_; }

  private:
    std::vector<S> items_;
};

}  // namespace exactpwm::detail
