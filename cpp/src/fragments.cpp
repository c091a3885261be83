// Base counts of stacked fragments, for the heuristic transforms.
#include <algorithm>
#include <vector>

#include "exactpwm/engine.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace exactpwm {

void count_fragments(const uint8_t* codes, const int64_t* starts, const int32_t* kernels,
                     const int8_t* minus, int64_t n_fragments, int64_t n_kernels, int64_t length,
                     int64_t* counts, int threads) {
    const int64_t L = length, size = n_kernels * 4 * L;
    threads = std::max(1, std::min<int>(threads, static_cast<int>(n_fragments / 4096) + 1));
    std::vector<std::vector<int64_t>> partial(static_cast<size_t>(threads));
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        int me = 0;
#ifdef _OPENMP
        me = omp_get_thread_num();
#endif
        std::vector<int64_t>& local = partial[static_cast<size_t>(me)];
        local.assign(static_cast<size_t>(size), 0);
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t i = 0; i < n_fragments; ++i) {
            const uint8_t* frag = codes + starts[i];
            int64_t* row = local.data() + static_cast<int64_t>(kernels[i]) * 4 * L;
            if (minus[i]) {
                for (int64_t l = 0; l < L; ++l) {
                    const uint8_t c = frag[L - 1 - l];
                    if (c < 4) ++row[(3 - c) * L + l];
                }
            } else {
                for (int64_t l = 0; l < L; ++l) {
                    const uint8_t c = frag[l];
                    if (c < 4) ++row[c * L + l];
                }
            }
        }
    }
    for (const auto& local : partial)
        for (int64_t i = 0; i < static_cast<int64_t>(local.size()); ++i) counts[i] += local[i];
}

}  // namespace exactpwm
