// AVX-512 kernels (F, BW, VBMI); this file alone is compiled with those flags and is only
// called after a run-time CPU check.
//   * float32 block kernel: one vpermt2ps looks up a column pair (a 32-entry pair table, see
//     pair_tables) for 16 windows, so each window's score is summed in the canonical order
//     (engine.hpp): the pair sums come precomputed, rounded as every other path rounds them.
//   * threshold filter: the deficit pre-filter (block_kernels.hpp, Lookahead) on column
//     triplets, one vpermb (64-entry byte table) per triplet for 64 windows.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "block_kernels.hpp"
#include "rescore_avx2.hpp"  // the rescoring, declared before the filter skeleton that calls it
#include "deficit_filter.hpp"

namespace exactpwm::detail {
namespace {

// V vectors of 16 windows starting at window j: pair p reads indices duo5[j + 2p + 16 v].
template <int V>
inline void pairs_group(const int32_t* duo5, const float* tables, int64_t n_pairs, __m512 vbias, __m512* a) {
    for (int v = 0; v < V; ++v) a[v] = _mm512_setzero_ps();
    for (int64_t p = 0; p < n_pairs; ++p) {
        const __m512 lo = _mm512_loadu_ps(tables + p * kPairTable), hi = _mm512_loadu_ps(tables + p * kPairTable + 16);
        const int32_t* x = duo5 + 2 * p;
        for (int v = 0; v < V; ++v)
            a[v] = _mm512_add_ps(a[v], _mm512_permutex2var_ps(lo, _mm512_loadu_si512(x + 16 * v), hi));
    }
    for (int v = 0; v < V; ++v) a[v] = _mm512_add_ps(a[v], vbias);
}

// Writes exactly out[0, n_windows): a masked head up to a 64-byte boundary of `out`, then
// groups of 128 windows with aligned stores (full cache lines: no store splits a line), the
// last group's stores masked at n_windows (its index reads stay inside BlockCodes' padding).
// Stream: the aligned stores bypass the caches (outputs far larger than the caches).
template <bool Stream>
void block_f32(const BlockCodes& codes, int64_t n_windows, const float* tables, int64_t length, float bias,
               float* out) {
    constexpr int V = 8;
    const __m512 vbias = _mm512_set1_ps(bias);
    const int64_t n_pairs = (length + 1) / 2;
    int64_t j = std::min<int64_t>(n_windows, ((64 - (reinterpret_cast<uintptr_t>(out) & 63)) & 63) / sizeof(float));
    if (reinterpret_cast<uintptr_t>(out) % sizeof(float)) j = 0;  // not float-aligned: no aligned stores below
    if (j) {
        __m512 a;
        pairs_group<1>(codes.duo5, tables, n_pairs, vbias, &a);
        _mm512_mask_storeu_ps(out, static_cast<__mmask16>((1u << j) - 1), a);
    }
    const bool aligned = (reinterpret_cast<uintptr_t>(out + j) & 63) == 0;
    for (; j < n_windows; j += 16 * V) {
        __m512 a[V];
        pairs_group<V>(codes.duo5 + j, tables, n_pairs, vbias, a);
        for (int v = 0; v < V; ++v) {
            const int64_t left = n_windows - j - 16 * v;
            if (left >= 16 && aligned && Stream) _mm512_stream_ps(out + j + 16 * v, a[v]);
            else if (left >= 16 && aligned) _mm512_store_ps(out + j + 16 * v, a[v]);
            else if (left >= 16) _mm512_storeu_ps(out + j + 16 * v, a[v]);
            else if (left > 0) _mm512_mask_storeu_ps(out + j + 16 * v, static_cast<__mmask16>((1u << left) - 1), a[v]);
        }
    }
    if (Stream) _mm_sfence();  // streamed stores are visible before the call returns
}

}  // namespace

namespace {

// vpermb: 64 byte lookups in a 64-entry table. (The maskz form with every lane kept is the
// same instruction; the plain intrinsic trips GCC 12's -Wmaybe-uninitialized in its header.)
inline __m512i lookup64(__m512i idx, __m512i table) {
    return _mm512_maskz_permutexvar_epi8(~__mmask64(0), idx, table);
}

// The AVX-512 instruction set for the shared deficit filter (deficit_filter.hpp): triplet codes,
// vpermb lookups in 64-entry tables, 64 windows per vector, one triplet per later stage; live
// windows are rescored in float with AVX2, 8 at a time (rescore_avx2.hpp).
struct Avx512Filter {
    using Vec = __m512i;
    using Mask = uint64_t;
    static constexpr int64_t kLanes = 64;
    static constexpr int kFirst = kFirstTrios;
    static constexpr int kPerStage = 1;
    static const uint8_t* tuples(const BlockCodes& codes) { return codes.trio; }
    static Vec table(const Lookahead& look, int64_t i) { return _mm512_loadu_si512(look.tables + kTupleTable * i); }
    static Vec splat(int64_t limit) { return _mm512_set1_epi8(static_cast<char>(limit)); }
    static Vec load(const uint8_t* p) { return _mm512_loadu_si512(p); }
    static Vec load_aligned(const uint8_t* p) { return _mm512_load_si512(p); }
    static void store(uint8_t* p, Vec v) { _mm512_store_si512(p, v); }
    static Vec lookup(Vec table, Vec idx) { return lookup64(idx, table); }
    static Vec adds(Vec a, Vec b) { return _mm512_adds_epu8(a, b); }
    static Vec keep(bool k) { return k ? _mm512_set1_epi8(-1) : _mm512_setzero_si512(); }
    static Vec both(Vec a, Vec b) { return _mm512_and_si512(a, b); }
    static Mask alive(Vec acc, Vec limit) { return _mm512_cmple_epu8_mask(acc, limit); }
};

}  // namespace

int64_t filter_avx512_f32(const BlockCodes& codes, int64_t n_windows, const float* rows, int64_t length,
                          float bias, const Lookahead& look, float thr, int32_t* out_pos, float* out_score) {
    return threshold_filter<Avx512Filter>(codes, n_windows, rows, length, bias, look, thr, out_pos, out_score);
}

void block_avx512_f32(const BlockCodes& codes, int64_t n, const float* tables, int64_t L, float bias, float* out) {
    block_f32<false>(codes, n, tables, L, bias, out);
}

void block_avx512_f32_stream(const BlockCodes& codes, int64_t n, const float* tables, int64_t L, float bias,
                             float* out) {
    block_f32<true>(codes, n, tables, L, bias, out);
}

}  // namespace exactpwm::detail
