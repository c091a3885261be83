// AVX2 block kernels; this file alone is compiled with -mavx2 and is only called
// after a runtime CPU check. Same summation order as the scalar kernels.
#include <immintrin.h>

#include <algorithm>

#include "block_kernels.hpp"
#include "rescore_avx2.hpp"

namespace exactpwm::detail {

// float32: one 8-entry table row is one register; vpermps looks up 8 windows at once.
// V vectors (8 V windows) share each row load.
template <int V>
inline void block_f32_group(const int32_t* x, const float* rows, int64_t length, __m256 vbias, float* out) {
    __m256 a[V];
    for (int v = 0; v < V; ++v) a[v] = _mm256_setzero_ps();
    int64_t l = 0;
    for (; l + 1 < length; l += 2) {  // column pairs: a += (t[l][x] + t[l+1][y])
        const __m256 r0 = _mm256_loadu_ps(rows + l * 8), r1 = _mm256_loadu_ps(rows + l * 8 + 8);
        const int32_t* p = x + l;
        for (int v = 0; v < V; ++v)
            a[v] = _mm256_add_ps(
                a[v], _mm256_add_ps(_mm256_permutevar8x32_ps(r0, _mm256_loadu_si256((const __m256i*)(p + 8 * v))),
                                    _mm256_permutevar8x32_ps(r1, _mm256_loadu_si256((const __m256i*)(p + 8 * v + 1)))));
    }
    if (l < length) {  // odd L: the last column alone
        const __m256 r0 = _mm256_loadu_ps(rows + l * 8);
        for (int v = 0; v < V; ++v)
            a[v] = _mm256_add_ps(a[v], _mm256_permutevar8x32_ps(r0, _mm256_loadu_si256((const __m256i*)(x + l + 8 * v))));
    }
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(out + 8 * v, _mm256_add_ps(a[v], vbias));
}

void block_avx2_f32(const BlockCodes& codes, int64_t n_windows, const float* rows, int64_t length,
                    float bias, float* out) {
    const __m256 vbias = _mm256_set1_ps(bias);
    int64_t j = 0;
    for (; j + 64 <= n_windows; j += 64) block_f32_group<8>(codes.idx + j, rows, length, vbias, out + j);
    for (; j < n_windows; j += 32) block_f32_group<4>(codes.idx + j, rows, length, vbias, out + j);
}

// float64: the A, C, G, T entries of a row fill one register as 8 floats; a float
// permute with pair indices (2c, 2c+1) looks up 4 doubles, and `keep` zeroes N.
void block_avx2_f64(const BlockCodes& codes, int64_t n_windows, const double* rows, int64_t length,
                    double bias, double* out) {
    const __m256d vbias = _mm256_set1_pd(bias);
    auto lookup = [](__m256 row, const int32_t* pairs, const int64_t* keep) {
        const __m256 v = _mm256_permutevar8x32_ps(row, _mm256_loadu_si256((const __m256i*)pairs));
        return _mm256_and_pd(_mm256_castps_pd(v), _mm256_loadu_pd((const double*)keep));
    };
    for (int64_t j = 0; j < n_windows; j += 16) {
        __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
        __m256d a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();
        // vector v (4 windows) of column l: a lookup of row l at pair indices p + 8 v, keep k + 4 v
        auto col = [&](int64_t l, int v) {
            return lookup(_mm256_castpd_ps(_mm256_loadu_pd(rows + l * 8)), codes.pairs + 2 * (j + l) + 8 * v,
                          codes.keep + j + l + 4 * v);
        };
        int64_t l = 0;
        for (; l + 1 < length; l += 2) {  // column pairs: a += (t[l][x] + t[l+1][y])
            a0 = _mm256_add_pd(a0, _mm256_add_pd(col(l, 0), col(l + 1, 0)));
            a1 = _mm256_add_pd(a1, _mm256_add_pd(col(l, 1), col(l + 1, 1)));
            a2 = _mm256_add_pd(a2, _mm256_add_pd(col(l, 2), col(l + 1, 2)));
            a3 = _mm256_add_pd(a3, _mm256_add_pd(col(l, 3), col(l + 1, 3)));
        }
        if (l < length) {  // odd L: the last column alone
            a0 = _mm256_add_pd(a0, col(l, 0));
            a1 = _mm256_add_pd(a1, col(l, 1));
            a2 = _mm256_add_pd(a2, col(l, 2));
            a3 = _mm256_add_pd(a3, col(l, 3));
        }
        _mm256_storeu_pd(out + j, _mm256_add_pd(a0, vbias));
        _mm256_storeu_pd(out + j + 4, _mm256_add_pd(a1, vbias));
        _mm256_storeu_pd(out + j + 8, _mm256_add_pd(a2, vbias));
        _mm256_storeu_pd(out + j + 12, _mm256_add_pd(a3, vbias));
    }
}

namespace {

// float64 survivors: rescored one window at a time in the canonical order (column pairs, then
// the bias), the same sum as block_scalar_f64 and the float64 block kernels.
inline double canonical_f64(const uint8_t* x, const double* rows, int64_t length, double bias) {
    double acc = 0;
    int64_t l = 0;
    for (; l + 1 < length; l += 2) acc += rows[l * 8 + x[l]] + rows[(l + 1) * 8 + x[l + 1]];
    if (l < length) acc += rows[l * 8 + x[l]];
    return acc + bias;
}

template <int G, class Mask>
int64_t rescore_groups(const uint8_t* bytes, const int32_t* groups, const Mask* masks, int64_t live,
                       int64_t n_windows, const double* rows, int64_t length, double bias, double thr,
                       int32_t* out_pos, double* out_score) {
    int64_t count = 0;
    for (int64_t i = 0; i < live; ++i) {
        const int64_t j0 = G * int64_t(groups[i]);
        for (Mask m = masks[i]; m; m &= m - 1) {
            const int64_t j = j0 + __builtin_ctzll(static_cast<unsigned long long>(m));
            if (j >= n_windows) break;
            const double s = canonical_f64(bytes + j, rows, length, bias);
            if (s >= thr) {
                out_pos[count] = static_cast<int32_t>(j);
                out_score[count++] = s;
            }
        }
    }
    return count;
}

int64_t rescore_all(const uint8_t* bytes, int64_t n_windows, const double* rows, int64_t length, double bias,
                    double thr, int32_t* out_pos, double* out_score) {
    int64_t count = 0;
    for (int64_t j = 0; j < n_windows; ++j) {
        const double s = canonical_f64(bytes + j, rows, length, bias);
        if (s >= thr) {
            out_pos[count] = static_cast<int32_t>(j);
            out_score[count++] = s;
        }
    }
    return count;
}

}  // namespace
}  // namespace exactpwm::detail

#include "deficit_filter.hpp"

namespace exactpwm::detail {
namespace {

// The AVX2 instruction set for the shared deficit filter (deficit_filter.hpp): pair codes,
// vpshufb lookups in 16-entry tables (both 128-bit halves), 32 windows per vector, two pairs per
// later stage.
struct Avx2Filter {
    using Vec = __m256i;
    using Mask = uint32_t;
    static constexpr int64_t kLanes = 32;
    static constexpr int kFirst = kFirstPairs;
    static constexpr int kPerStage = 2;
    static const uint8_t* tuples(const BlockCodes& codes) { return codes.duo; }
    static Vec table(const Lookahead& look, int64_t i) {
        return _mm256_loadu_si256((const __m256i*)(look.tables + kTupleTable * i));
    }
    static Vec splat(int64_t limit) { return _mm256_set1_epi8(static_cast<char>(limit)); }
    static Vec load(const uint8_t* p) { return _mm256_loadu_si256((const __m256i*)p); }
    static Vec load_aligned(const uint8_t* p) { return _mm256_load_si256((const __m256i*)p); }
    static void store(uint8_t* p, Vec v) { _mm256_store_si256((__m256i*)p, v); }
    static Vec lookup(Vec table, Vec idx) { return _mm256_shuffle_epi8(table, idx); }
    static Vec adds(Vec a, Vec b) { return _mm256_adds_epu8(a, b); }
    static Vec keep(bool k) { return k ? _mm256_set1_epi8(-1) : _mm256_setzero_si256(); }
    static Vec both(Vec a, Vec b) { return _mm256_and_si256(a, b); }
    // lanes (bytes) whose deficit sum is still within the limit, as a 32-bit mask
    static Mask alive(Vec acc, Vec limit) {
        return static_cast<Mask>(
            _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_subs_epu8(acc, limit), _mm256_setzero_si256())));
    }
};

}  // namespace

int64_t filter_avx2_f32(const BlockCodes& codes, int64_t n_windows, const float* rows, int64_t length,
                        float bias, const Lookahead& look, float thr, int32_t* out_pos, float* out_score) {
    return threshold_filter<Avx2Filter>(codes, n_windows, rows, length, bias, look, thr, out_pos, out_score);
}

// float64 (unquantized matrices): the same byte pre-filter, whose bounds hold for any real
// matrix; survivors rescored in float64.
int64_t filter_avx2_f64(const BlockCodes& codes, int64_t n_windows, const double* rows, int64_t length,
                        double bias, const Lookahead& look, double thr, int32_t* out_pos, double* out_score) {
    return threshold_filter<Avx2Filter>(codes, n_windows, rows, length, bias, look, thr, out_pos, out_score);
}

float max_avx2_f32(const float* v, int64_t n) {
    int64_t j = 0;
    __m256 m = _mm256_set1_ps(v[0]);
    for (; j + 8 <= n; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(v + j));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, m);
    float r = lanes[0];
    for (int i = 1; i < 8; ++i) r = lanes[i] > r ? lanes[i] : r;
    for (; j < n; ++j) r = v[j] > r ? v[j] : r;
    return r;
}

double max_avx2_f64(const double* v, int64_t n) {
    int64_t j = 0;
    __m256d m = _mm256_set1_pd(v[0]);
    for (; j + 4 <= n; j += 4) m = _mm256_max_pd(m, _mm256_loadu_pd(v + j));
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, m);
    double r = lanes[0];
    for (int i = 1; i < 4; ++i) r = lanes[i] > r ? lanes[i] : r;
    for (; j < n; ++j) r = v[j] > r ? v[j] : r;
    return r;
}

}  // namespace exactpwm::detail
