// Continuous Jaccard similarity of seqlet tracks (TF-MoDISco's affinity), best over offsets and
// both strands, for a sparse set of candidate pairs. See engine.hpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "exactpwm/engine.hpp"
#include "stop.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

namespace exactpwm {
namespace {

#if defined(__GNUC__) || defined(__clang__)
#define EXACTPWM_HOT inline __attribute__((always_inline))
#else
#define EXACTPWM_HOT inline
#endif

struct Tracks {
    const int16_t* fwd;     // (n_a, width, channels)
    const int16_t* rev;     // (n_a, width, channels)
    const int32_t* fwd_abs; // (n_a, width + 1) prefix sums of |fwd| per position
    const int32_t* rev_abs; // (n_a, width + 1)
    const int16_t* b;       // (n_b, width, channels)
    int64_t width, channels, pad;
};

// The intersection and union of n aligned values: sum min(|a|, |b|) sgn(a) sgn(b), sum max(|a|, |b|),
// in integers, so every instruction set gives the same sums.
struct Overlap {
    EXACTPWM_HOT void operator()(const int16_t* xp, const int16_t* yp, int64_t n, int32_t& inter,
                                 int32_t& uni) const {
        int32_t i0 = 0, u0 = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : i0, u0)
#endif
        for (int64_t t = 0; t < n; ++t) {
            const int32_t a = xp[t], b = yp[t];
            const int32_t aa = a < 0 ? -a : a, ab = b < 0 ? -b : b;
            const int32_t m = aa < ab ? aa : ab;
            i0 += ((a ^ b) < 0) ? -m : m;  // m is 0 when either is 0
            u0 += aa < ab ? ab : aa;
        }
        inter = i0;
        uni = u0;
    }
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// The same sums sixteen lanes at a time (the rest of n plainly).
struct OverlapAvx2 {
    __attribute__((target("avx2,fma"))) void operator()(const int16_t* xp, const int16_t* yp, int64_t n,
                                                        int32_t& inter, int32_t& uni) const {
        const __m256i ones = _mm256_set1_epi16(1);
        __m256i i0 = _mm256_setzero_si256(), u0 = i0, i1 = i0, u1 = i0;
        int64_t t = 0;
        for (; t + 32 <= n; t += 32) {
            const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + t));
            const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yp + t));
            const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + t + 16));
            const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yp + t + 16));
            const __m256i aa = _mm256_abs_epi16(a), ab = _mm256_abs_epi16(b);
            const __m256i ac = _mm256_abs_epi16(c), ad = _mm256_abs_epi16(d);
            const __m256i m0 = _mm256_sign_epi16(_mm256_sign_epi16(_mm256_min_epi16(aa, ab), a), b);
            const __m256i m1 = _mm256_sign_epi16(_mm256_sign_epi16(_mm256_min_epi16(ac, ad), c), d);
            i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(m0, ones));
            u0 = _mm256_add_epi32(u0, _mm256_madd_epi16(_mm256_max_epi16(aa, ab), ones));
            i1 = _mm256_add_epi32(i1, _mm256_madd_epi16(m1, ones));
            u1 = _mm256_add_epi32(u1, _mm256_madd_epi16(_mm256_max_epi16(ac, ad), ones));
        }
        for (; t + 16 <= n; t += 16) {
            const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + t));
            const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yp + t));
            const __m256i aa = _mm256_abs_epi16(a), ab = _mm256_abs_epi16(b);
            const __m256i m0 = _mm256_sign_epi16(_mm256_sign_epi16(_mm256_min_epi16(aa, ab), a), b);
            i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(m0, ones));
            u0 = _mm256_add_epi32(u0, _mm256_madd_epi16(_mm256_max_epi16(aa, ab), ones));
        }
        alignas(32) int32_t li[8], lu[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(li), _mm256_add_epi32(i0, i1));
        _mm256_store_si256(reinterpret_cast<__m256i*>(lu), _mm256_add_epi32(u0, u1));
        int32_t si = 0, su = 0;
        for (int r = 0; r < 8; ++r) {
            si += li[r];
            su += lu[r];
        }
        int32_t ti = 0, tu = 0;
        Overlap{}(xp + t, yp + t, n - t, ti, tu);
        inter = si + ti;
        uni = su + tu;
    }
};
#endif

// One candidate x (width * channels) against row y at every offset: the best score, its offset
// (ties: the lowest offset) written to best/off. Positions of x over y's padding add |x| to the
// union (y is zero there), read from the prefix sums.
template <class Sum>
EXACTPWM_HOT void best_offset(const Sum& sum, const int16_t* x, const int32_t* x_abs, const int16_t* y, int64_t W,
                              int64_t C, int64_t pad, float& best, int32_t& off) {
    for (int64_t o = -pad; o <= pad; ++o) {
        const int64_t j0 = std::max<int64_t>(0, -o), j1 = std::min<int64_t>(W, W - o);
        int32_t inter = 0, uni = x_abs[W];
        if (j1 > j0) {
            int32_t u = 0;
            sum(x + j0 * C, y + (j0 + o) * C, (j1 - j0) * C, inter, u);
            uni += u - (x_abs[j1] - x_abs[j0]);
        }
        const float score = uni > 0 ? static_cast<float>(static_cast<double>(inter) / uni) : 0.0f;
        if (score > best) {
            best = score;
            off = static_cast<int32_t>(o);
        }
    }
}

template <class Sum>
EXACTPWM_HOT void rows_impl(const Sum& sum, const Tracks& t, const int32_t* neighbors, int64_t k, int64_t l,
                            float* best, int32_t* offset, uint8_t* strand) {
    const int64_t W = t.width, C = t.channels, row = W * C;
    const int16_t* y = t.b + l * row;
    for (int64_t i = 0; i < k; ++i) {
        const int64_t n = neighbors[l * k + i];
        float b = -std::numeric_limits<float>::infinity();
        int32_t o = 0;
        uint8_t s = 0;
        if (n >= 0) {
            best_offset(sum, t.fwd + n * row, t.fwd_abs + n * (W + 1), y, W, C, t.pad, b, o);
            const float fwd_best = b;
            best_offset(sum, t.rev + n * row, t.rev_abs + n * (W + 1), y, W, C, t.pad, b, o);
            s = b > fwd_best ? 1 : 0;
        } else {
            b = std::numeric_limits<float>::quiet_NaN();
        }
        best[l * k + i] = b;
        offset[l * k + i] = o;
        strand[l * k + i] = s;
    }
}

void rows_generic(const Tracks& t, const int32_t* nb, int64_t k, int64_t l, float* best, int32_t* off,
                  uint8_t* strand) {
    rows_impl(Overlap{}, t, nb, k, l, best, off, strand);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void rows_avx2(const Tracks& t, const int32_t* nb, int64_t k, int64_t l,
                                                   float* best, int32_t* off, uint8_t* strand) {
    rows_impl(OverlapAvx2{}, t, nb, k, l, best, off, strand);
}
#endif

void prefix_abs(const int16_t* x, int64_t n, int64_t W, int64_t C, int32_t* out) {
    for (int64_t i = 0; i < n; ++i) {
        int32_t s = 0;
        out[i * (W + 1)] = 0;
        for (int64_t j = 0; j < W; ++j) {
            for (int64_t c = 0; c < C; ++c) {
                const int32_t v = x[(i * W + j) * C + c];
                s += v < 0 ? -v : v;
            }
            out[i * (W + 1) + j + 1] = s;
        }
    }
}

}  // namespace

void seqlet_jaccard(const int16_t* a_fwd, const int16_t* a_rev, int64_t n_a, const int16_t* b, int64_t n_b, int64_t width,
                    int64_t channels, const int32_t* neighbors, int64_t k, int64_t max_shift, float* best,
                    int32_t* offset, uint8_t* strand, int threads, Isa isa) {
    const Isa use = resolve_isa(isa);
    std::vector<int32_t> fwd_abs(static_cast<size_t>(n_a * (width + 1))), rev_abs(fwd_abs.size());
    prefix_abs(a_fwd, n_a, width, channels, fwd_abs.data());
    prefix_abs(a_rev, n_a, width, channels, rev_abs.data());
    const Tracks t{a_fwd, a_rev, fwd_abs.data(), rev_abs.data(), b, width, channels, max_shift};
    bool avx2 = false;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    avx2 = use != Isa::Scalar && cpu_supports(Isa::Avx2);
#endif
    (void)use;
    threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<int64_t>(1, n_b / 16))));
    detail::StopFlag stop;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic, 16)
#endif
    for (int64_t l = 0; l < n_b; ++l) {
        if (stop.stopped()) continue;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        if (avx2) {
            rows_avx2(t, neighbors, k, l, best, offset, strand);
            continue;
        }
#endif
        rows_generic(t, neighbors, k, l, best, offset, strand);
    }
    stop.throw_if_stopped();
}

}  // namespace exactpwm
