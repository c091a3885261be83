// Null score distributions for exact p-values (see python/exactpwm/pvalues.py).
// Built with -ffp-contract=off: every product and sum is rounded as numpy rounds it, so the
// result equals the numpy fallback bit for bit.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "exactpwm/engine.hpp"
#include "stop.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace exactpwm {

namespace {

// Checks a distribution's arguments: column scores >= 0, size = 1 + the sum of the column maxima,
// 0 <= floor <= size (std::invalid_argument otherwise).
void check_survival(const int64_t* shifts, int64_t length, int64_t size, int64_t floor) {
    int64_t need = 1;
    for (int64_t l = 0; l < length; ++l) {
        int64_t width = 0;
        for (int c = 0; c < 4; ++c) {
            if (shifts[l * 4 + c] < 0) throw std::invalid_argument("column scores must be >= 0");
            width = std::max(width, shifts[l * 4 + c]);
        }
        need += width;
    }
    if (size != need) throw std::invalid_argument("size must be 1 + the sum of the column maxima");
    if (floor < 0 || floor > size) throw std::invalid_argument("floor must lie in [0, size]");
}

#if defined(__GNUC__) || defined(__clang__)
#define EXACTPWM_HOT inline __attribute__((always_inline))
#else
#define EXACTPWM_HOT inline
#endif

// null_survival without the checks. Each output is the same four products added in the same order
// on every instruction set (no contraction into FMA: see the top), so the vector clones below give
// the scalar build's numbers.
EXACTPWM_HOT void survival_impl(const int64_t* shifts, int64_t length, const double* background, int64_t size,
                                int64_t floor, double* sf) {
    // pmf and next live at offset `pad` in zero-padded buffers, so every read below is in range;
    // a term reading a padding zero adds exactly 0, as numpy's shifted slices leave it out
    int64_t pad = 0;
    for (int64_t i = 0; i < 4 * length; ++i) pad = std::max(pad, shifts[i]);
    std::vector<double> buf_a(static_cast<size_t>(size + 2 * pad), 0.0), buf_b(buf_a);
    double* pmf = buf_a.data() + pad;
    double* next = buf_b.data() + pad;
    pmf[0] = 1.0;
    // Only sums that can still reach `floor` matter: after column l, a partial sum i with
    // i + (maxima of the columns after l) < floor never does, so it is not computed (its cell
    // may hold a stale value: no computed cell reads it, since a cell that can reach the floor
    // only reads cells that can). The cells computed are exactly those of the full recursion.
    int64_t rest = size - 1;  // sum of the maxima of the columns not yet added
    int64_t top = 0;  // pmf lives on [0, top]; zeros beyond
    for (int64_t l = 0; l < length; ++l) {
        const int64_t* s = shifts + l * 4;
        const int64_t width = std::max(std::max(s[0], s[1]), std::max(s[2], s[3]));
        rest -= width;
        const int64_t first = std::max<int64_t>(0, floor - rest);
        const double* __restrict p0 = pmf - s[0];
        const double* __restrict p1 = pmf - s[1];
        const double* __restrict p2 = pmf - s[2];
        const double* __restrict p3 = pmf - s[3];
        double* __restrict out = next;
        const double w0 = background[0], w1 = background[1], w2 = background[2], w3 = background[3];
        for (int64_t i = first; i <= top + width; ++i) {  // bases in order A, C, G, T, as numpy adds them
            double acc = 0.0;
            acc += w0 * p0[i];
            acc += w1 * p1[i];
            acc += w2 * p2[i];
            acc += w3 * p3[i];
            out[i] = acc;
        }
        top += width;
        std::swap(pmf, next);
    }
    double acc = 0.0;  // survival function, summed from the top as numpy's reversed cumsum
    for (int64_t i = size - 1; i >= floor; --i) {
        acc += pmf[i];
        sf[i - floor] = acc;
    }
}

void survival_scalar(const int64_t* shifts, int64_t length, const double* background, int64_t size, int64_t floor,
                     double* sf) {
    survival_impl(shifts, length, background, size, floor, sf);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// The same loop compiled for AVX2 and AVX-512 (chosen at run time): four or eight sums at a time.
__attribute__((target("avx2,fma"))) void survival_avx2(const int64_t* shifts, int64_t length,
                                                       const double* background, int64_t size, int64_t floor,
                                                       double* sf) {
    survival_impl(shifts, length, background, size, floor, sf);
}

__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) void survival_avx512(
    const int64_t* shifts, int64_t length, const double* background, int64_t size, int64_t floor, double* sf) {
    survival_impl(shifts, length, background, size, floor, sf);
}
#endif

using SurvivalFn = void (*)(const int64_t*, int64_t, const double*, int64_t, int64_t, double*);

SurvivalFn pick_survival(Isa isa) {
    const Isa use = resolve_isa(isa);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (use == Isa::Avx512) return survival_avx512;
    if (use == Isa::Avx2) return survival_avx2;
#endif
    (void)use;
    return survival_scalar;
}

}  // namespace

void null_survival(const int64_t* shifts, int64_t length, const double* background, int64_t size, int64_t floor,
                   double* sf, Isa isa) {
    check_survival(shifts, length, size, floor);
    pick_survival(isa)(shifts, length, background, size, floor, sf);
}

void null_survivals(const int64_t* shifts, const int64_t* col_start, int64_t n, const double* background,
                    const int64_t* floors, const int64_t* sf_start, double* sf, int threads, Isa isa) {
    for (int64_t k = 0; k < n; ++k)  // every check before any work: no exception leaves the parallel loop
        check_survival(shifts + 4 * col_start[k], col_start[k + 1] - col_start[k],
                       floors[k] + sf_start[k + 1] - sf_start[k], floors[k]);
    const SurvivalFn survival = pick_survival(isa);
    threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<int64_t>(n, 1))));
    detail::StopFlag stop;  // an allocation that fails is rethrown after the loop
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
#endif
    for (int64_t k = 0; k < n; ++k)
        stop.guard([&] {
            survival(shifts + 4 * col_start[k], col_start[k + 1] - col_start[k], background,
                     floors[k] + sf_start[k + 1] - sf_start[k], floors[k], sf + sf_start[k]);
        });
    stop.throw_if_stopped();
}

}  // namespace exactpwm
