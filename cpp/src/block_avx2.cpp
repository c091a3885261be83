// AVX2 block kernels; this file alone is compiled with -mavx2 and is only called
// after a runtime CPU check. Same summation order as the scalar kernels.
#include <immintrin.h>

#include <algorithm>

#include "block_kernels.hpp"

namespace exactpwm::detail {

// float32: one 8-entry table row is one register; vpermps looks up 8 windows at once.
void block_avx2_f32(const BlockCodes& codes, int64_t n_windows, const float* rows, int64_t length,
                    float bias, float* out) {
    const __m256 vbias = _mm256_set1_ps(bias);
    for (int64_t j = 0; j < n_windows; j += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        const int32_t* x = codes.idx + j;
        for (int64_t l = 0; l < length; ++l) {
            const __m256 row = _mm256_loadu_ps(rows + l * 8);
            const int32_t* p = x + l;
            a0 = _mm256_add_ps(a0, _mm256_permutevar8x32_ps(row, _mm256_loadu_si256((const __m256i*)(p))));
            a1 = _mm256_add_ps(a1, _mm256_permutevar8x32_ps(row, _mm256_loadu_si256((const __m256i*)(p + 8))));
            a2 = _mm256_add_ps(a2, _mm256_permutevar8x32_ps(row, _mm256_loadu_si256((const __m256i*)(p + 16))));
            a3 = _mm256_add_ps(a3, _mm256_permutevar8x32_ps(row, _mm256_loadu_si256((const __m256i*)(p + 24))));
        }
        _mm256_storeu_ps(out + j, _mm256_add_ps(a0, vbias));
        _mm256_storeu_ps(out + j + 8, _mm256_add_ps(a1, vbias));
        _mm256_storeu_ps(out + j + 16, _mm256_add_ps(a2, vbias));
        _mm256_storeu_ps(out + j + 24, _mm256_add_ps(a3, vbias));
    }
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
        for (int64_t l = 0; l < length; ++l) {
            const __m256 row = _mm256_castpd_ps(_mm256_loadu_pd(rows + l * 8));
            const int32_t* p = codes.pairs + 2 * (j + l);
            const int64_t* k = codes.keep + j + l;
            a0 = _mm256_add_pd(a0, lookup(row, p, k));
            a1 = _mm256_add_pd(a1, lookup(row, p + 8, k + 4));
            a2 = _mm256_add_pd(a2, lookup(row, p + 16, k + 8));
            a3 = _mm256_add_pd(a3, lookup(row, p + 24, k + 12));
        }
        _mm256_storeu_pd(out + j, _mm256_add_pd(a0, vbias));
        _mm256_storeu_pd(out + j + 4, _mm256_add_pd(a1, vbias));
        _mm256_storeu_pd(out + j + 8, _mm256_add_pd(a2, vbias));
        _mm256_storeu_pd(out + j + 12, _mm256_add_pd(a3, vbias));
    }
}

namespace {

// Codes of 8 windows at column offset l, widened from bytes to int32 lanes.
inline __m256i codes8(const uint8_t* x) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)x)); }

// Float stages and canonical rescoring for one vector of 8 windows starting at x (byte
// codes); `mask` holds the lanes still alive. Appends hits (positions jv + lane < n_windows).
inline int64_t finish_vector(const uint8_t* x, int64_t jv, int mask, int64_t n_windows, const float* rows,
                             int64_t length, __m256 vbias, __m256 vthr, const Lookahead& look,
                             int32_t* out_pos, float* out_score, int64_t count) {
    __m256 p = _mm256_setzero_ps();
    // when the integer stages covered every column, the float stages add nothing: rescore
    for (int64_t i0 = 0, stage = 0; look.q_cols < length && i0 < length && mask; i0 += kStage, ++stage) {
        for (int64_t i = i0; i < std::min(length, i0 + kStage); ++i) {
            const int64_t l = look.order[i];
            p = _mm256_add_ps(p, _mm256_permutevar8x32_ps(_mm256_loadu_ps(rows + l * 8), codes8(x + l)));
        }
        mask &= _mm256_movemask_ps(_mm256_cmp_ps(p, _mm256_set1_ps(look.bounds[stage]), _CMP_GE_OQ));
    }
    if (!mask) return count;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t l = 0; l < length; ++l)
        acc = _mm256_add_ps(acc, _mm256_permutevar8x32_ps(_mm256_loadu_ps(rows + l * 8), codes8(x + l)));
    acc = _mm256_add_ps(acc, vbias);
    int hit = _mm256_movemask_ps(_mm256_cmp_ps(acc, vthr, _CMP_GE_OQ)) & mask;
    if (!hit) return count;
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, acc);
    while (hit) {
        const int lane = __builtin_ctz(static_cast<unsigned>(hit));
        hit &= hit - 1;
        if (jv + lane >= n_windows) break;
        out_pos[count] = static_cast<int32_t>(jv + lane);
        out_score[count++] = lanes[lane];
    }
    return count;
}

}  // namespace

// The integer pre-filter, 32 windows at a time, entries |q| <= 15. The first two stages
// (up to 8 columns; C0 of them, compile-time, in stage 0) sum int8 lookups directly
// (8 x 15 < 128) and check after each stage; later stages sum their 4 columns into a fresh
// int8 partial (4 x 15), widened once per stage into int16 totals. Whenever no window of
// the 32 can still pass, the group is left. Survivors go to finish_vector.
template <int C0>
inline void prefilter_blocks(const BlockCodes& codes, int64_t n_windows, const float* rows, int64_t length,
                             __m256 vbias, __m256 vthr, const Lookahead& look, int32_t* out_pos,
                             float* out_score, int64_t& count) {
    __m256i t[kStage * kQStages];
    int64_t o[kStage * kQStages];
    for (int64_t i = 0; i < look.q_cols; ++i) {
        t[i] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)(look.q_tables + 16 * i)));
        o[i] = look.order[i];
    }
    const int64_t n_stages = (look.q_cols + kStage - 1) / kStage;
    const int64_t c1 = std::min(look.q_cols, 2 * kStage);
    const __m256i b0 = _mm256_set1_epi8(static_cast<char>(look.q_bounds[0] - 1));
    const __m256i b1 = _mm256_set1_epi8(static_cast<char>(n_stages > 1 ? look.q_bounds[1] - 1 : 0));
    for (int64_t j = 0; j < n_windows; j += 32) {
        const uint8_t* x = codes.bytes + j;
        __m256i acc = _mm256_setzero_si256();
        for (int i = 0; i < C0; ++i)
            acc = _mm256_add_epi8(acc, _mm256_shuffle_epi8(t[i], _mm256_loadu_si256((const __m256i*)(x + o[i]))));
        // stages 0 and 1 (int8) run without a branch between them: about half the groups
        // survive stage 0, so a branch there would be mispredicted often
        __m256i pass = _mm256_cmpgt_epi8(acc, b0);
        if (n_stages > 1) {
            for (int64_t i = kStage; i < c1; ++i)
                acc = _mm256_add_epi8(acc, _mm256_shuffle_epi8(t[i], _mm256_loadu_si256((const __m256i*)(x + o[i]))));
            pass = _mm256_and_si256(pass, _mm256_cmpgt_epi8(acc, b1));
        }
        unsigned keep = static_cast<unsigned>(_mm256_movemask_epi8(pass));
        if (!keep) continue;
        if (n_stages > 2) {  // later stages: int8 partial per stage, int16 totals
            __m256i lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(acc));
            __m256i hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(acc, 1));
            for (int64_t st = 2; st < n_stages && keep; ++st) {
                __m256i part = _mm256_setzero_si256();
                const int64_t i1 = std::min(look.q_cols, (st + 1) * kStage);
                for (int64_t i = st * kStage; i < i1; ++i)
                    part = _mm256_add_epi8(part, _mm256_shuffle_epi8(t[i], _mm256_loadu_si256((const __m256i*)(x + o[i]))));
                lo = _mm256_add_epi16(lo, _mm256_cvtepi8_epi16(_mm256_castsi256_si128(part)));
                hi = _mm256_add_epi16(hi, _mm256_cvtepi8_epi16(_mm256_extracti128_si256(part, 1)));
                const __m256i b = _mm256_set1_epi16(static_cast<int16_t>(look.q_bounds[st] - 1));
                // packs works per 128-bit half: (lo0, hi0 | lo1, hi1); the permute restores window order
                const __m256i ok = _mm256_permute4x64_epi64(
                    _mm256_packs_epi16(_mm256_cmpgt_epi16(lo, b), _mm256_cmpgt_epi16(hi, b)), 0xD8);
                keep &= static_cast<unsigned>(_mm256_movemask_epi8(ok));
            }
            if (!keep) continue;
        }
        for (int v = 0; v < 4; ++v) {
            const int mask = static_cast<int>((keep >> (8 * v)) & 0xFFu);
            if (mask)
                count = finish_vector(x + 8 * v, j + 8 * v, mask, n_windows, rows, length, vbias, vthr, look,
                                      out_pos, out_score, count);
        }
    }
}

int64_t filter_avx2_f32(const BlockCodes& codes, int64_t n_windows, const float* rows, int64_t length,
                        float bias, const Lookahead& look, float thr, int32_t* out_pos, float* out_score) {
    const __m256 vthr = _mm256_set1_ps(thr), vbias = _mm256_set1_ps(bias);
    int64_t count = 0;
    switch (std::min(look.q_cols, kStage)) {
        case 1: prefilter_blocks<1>(codes, n_windows, rows, length, vbias, vthr, look, out_pos, out_score, count); return count;
        case 2: prefilter_blocks<2>(codes, n_windows, rows, length, vbias, vthr, look, out_pos, out_score, count); return count;
        case 3: prefilter_blocks<3>(codes, n_windows, rows, length, vbias, vthr, look, out_pos, out_score, count); return count;
        case 4: prefilter_blocks<4>(codes, n_windows, rows, length, vbias, vthr, look, out_pos, out_score, count); return count;
        default: break;
    }
    for (int64_t j = 0; j < n_windows; j += 8)  // no pre-filter: float stages only
        count = finish_vector(codes.bytes + j, j, 0xFF, n_windows, rows, length, vbias, vthr, look, out_pos,
                              out_score, count);
    return count;
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
