// Internal, for the files built with -mavx2 only: canonical float32 rescoring of 8 windows,
// shared by the AVX2 and AVX-512 threshold filters.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace exactpwm::detail {
namespace {

// Codes of 8 windows at column offset l, widened from bytes to int32 lanes.
inline __m256i codes8(const uint8_t* x) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)x)); }

// Canonical rescoring of one vector of 8 windows starting at x (byte codes); `mask` holds
// the lanes to check. Appends hits (positions jv + lane < n_windows, ascending).
inline int64_t rescore_vector(const uint8_t* x, int64_t jv, int mask, int64_t n_windows, const float* rows,
                              int64_t length, __m256 vbias, __m256 vthr, int32_t* out_pos, float* out_score,
                              int64_t count) {
    auto col = [&](int64_t l) { return _mm256_permutevar8x32_ps(_mm256_loadu_ps(rows + l * 8), codes8(x + l)); };
    __m256 acc = _mm256_setzero_ps();
    int64_t l = 0;
    for (; l + 1 < length; l += 2) acc = _mm256_add_ps(acc, _mm256_add_ps(col(l), col(l + 1)));  // canonical pairs
    if (l < length) acc = _mm256_add_ps(acc, col(l));
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

// The live windows of a filter's groups rescored: group i covers windows
// [G * groups[i], G * (groups[i] + 1)) and bit b of masks[i] marks window G * groups[i] + b.
// Hits in ascending order (groups ascending); returns how many.
template <int G, class Mask>
inline int64_t rescore_groups(const uint8_t* bytes, const int32_t* groups, const Mask* masks, int64_t live,
                              int64_t n_windows, const float* rows, int64_t length, float bias, float thr,
                              int32_t* out_pos, float* out_score) {
    const __m256 vthr = _mm256_set1_ps(thr), vbias = _mm256_set1_ps(bias);
    int64_t count = 0;
    for (int64_t i = 0; i < live; ++i) {
        const int64_t j = G * int64_t(groups[i]);
        Mask m = masks[i];
        for (int v = 0; v < G / 8 && m; ++v, m >>= 8)
            if (m & 0xFFu)
                count = rescore_vector(bytes + j + 8 * v, j + 8 * v, static_cast<int>(m & 0xFFu), n_windows, rows,
                                       length, vbias, vthr, out_pos, out_score, count);
    }
    return count;
}

// All windows of a block rescored (no filter): hits in ascending order; returns how many.
inline int64_t rescore_all(const uint8_t* bytes, int64_t n_windows, const float* rows, int64_t length, float bias,
                           float thr, int32_t* out_pos, float* out_score) {
    const __m256 vthr = _mm256_set1_ps(thr), vbias = _mm256_set1_ps(bias);
    int64_t count = 0;
    for (int64_t j = 0; j < n_windows; j += 8)
        count = rescore_vector(bytes + j, j, 0xFF, n_windows, rows, length, vbias, vthr, out_pos, out_score, count);
    return count;
}

}  // namespace
}  // namespace exactpwm::detail
