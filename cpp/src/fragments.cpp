// Fragments of sequences: base counts of stacked fragments (the heuristic transforms) and
// the letters of windows (the `matched` column of hit tables).
#include <algorithm>
#include <cmath>
#include <vector>

#include "exactpwm/engine.hpp"
#include "per_thread.hpp"
#include "records.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace exactpwm {

void count_fragments(const uint8_t* codes, const int64_t* starts, const int32_t* kernels,
                     const int8_t* minus, int64_t n_fragments, int64_t n_kernels, int64_t length,
                     int64_t* counts, int threads) {
    const int64_t L = length, size = n_kernels * 4 * L;
    threads = std::max(1, std::min<int>(threads, static_cast<int>(n_fragments / 4096) + 1));
    // made here (K x 4 x L counts per thread): no allocation in the region
    detail::PerThread<std::vector<int64_t>> partial(threads, static_cast<size_t>(size), int64_t{0});
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        std::vector<int64_t>& local = partial.mine();
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
    for (const auto& local : partial.all())
        for (int64_t i = 0; i < static_cast<int64_t>(local.size()); ++i) counts[i] += local[i];
}

void window_letters(const uint8_t* codes, const int64_t* starts, const int64_t* widths, const uint8_t* minus,
                    int64_t n, int64_t max_width, uint8_t* out, int threads) {
    threads = std::max(1, std::min<int>(threads, static_cast<int>(n / 65536) + 1));
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int64_t i = 0; i < n; ++i) {
        uint8_t* row = out + i * max_width;
        const int64_t L = widths[i];
        detail::window_text(codes + starts[i], L, minus[i] != 0, row);
        for (int64_t l = L; l < max_width; ++l) row[l] = 0;
    }
}

namespace {

// numpy's pairwise summation of x[0, n) (pairwise_sum in numpy/_core/src/umath/loops_utils.h).
double pairwise_sum(const double* x, int64_t n) {
    if (n < 8) {
        double s = 0.0;
        for (int64_t i = 0; i < n; ++i) s += x[i];
        return s;
    }
    if (n <= 128) {
        double r[8];
        for (int k = 0; k < 8; ++k) r[k] = x[k];
        int64_t i = 8;
        for (; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; ++k) r[k] += x[i + k];
        double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i) s += x[i];
        return s;
    }
    int64_t half = n / 2;
    half -= half % 8;
    return pairwise_sum(x, half) + pairwise_sum(x + half, n - half);
}

}  // namespace

void window_sums(const uint8_t* codes, const int64_t* starts, const int64_t* which, int64_t n,
                 const double* tables, const int64_t* table_start, double* out, int threads) {
    threads = std::max(1, std::min<int>(threads, static_cast<int>(n / 65536) + 1));
    int64_t widest = 0;  // the terms of the widest table, made here: no allocation in the region
    for (int64_t i = 0; i < n; ++i)
        widest = std::max(widest, (table_start[which[i] + 1] - table_start[which[i]]) / 4);
    detail::PerThread<std::vector<double>> scratch(threads, static_cast<size_t>(widest));
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        std::vector<double>& terms = scratch.mine();
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t i = 0; i < n; ++i) {
            const int64_t t = which[i], w = (table_start[t + 1] - table_start[t]) / 4;
            const double* T = tables + table_start[t];
            const uint8_t* win = codes + starts[i];
            bool known = true;
            for (int64_t j = 0; j < w; ++j) {
                const uint8_t c = win[j];
                known &= c < 4;
                terms[static_cast<size_t>(j)] = T[4 * j + (c & 3)];
            }
            // np.add.reduce starts from 0.0: the sign of a zero sum is +
            out[i] = known ? 0.0 + pairwise_sum(terms.data(), w) : NAN;
        }
    }
}

}  // namespace exactpwm
