// Per-ISA block kernels: score `n_windows` consecutive windows of one kernel.
// Internal to the engine.
#pragma once

#include <cstdint>

namespace exactpwm::detail {

constexpr int64_t kBlockAlign = 32;
constexpr int64_t kCodesPad = 128;  // codes are readable this far past a block's last window (+ L)
constexpr int64_t kBlock = 1024;  // windows per block-kernel call (dense scores, max pooling), at most
// windows per block in threshold scans, at most: the filter's per-call costs are spread over
// more windows (measured: 16384 scans 100 JASPAR motifs 1.3x faster than 1024)
constexpr int64_t kThresholdBlock = 16384;

// The codes of one block, prepared once and shared by all kernels:
//   idx[i]   = code & 7 of position i, as int32;
//   pairs    = (2*idx, 2*idx + 1) per position (float64 lookups by float-pair permutes);
//   keep[i]  = all ones where code < 4, else 0 (N contributes 0).
// Valid for positions [0, n_windows + L - 1) and readable up to n_windows + L + kCodesPad.
// `pairs` and `keep` are only filled when the chosen kernel asks for them (needs_pairs),
// `duo5` likewise (pair_tables).
struct BlockCodes {
    const int32_t* idx;
    const int32_t* pairs;
    const int64_t* keep;
    const uint8_t* bytes;  // code & 7 as bytes (byte-lookup filters)
    const uint8_t* duo;    // 4 * (bytes[i] & 3) + (bytes[i + 1] & 3): pair codes (w = 2 filters)
    const uint8_t* trio;   // 16 * (bytes[i] & 3) + 4 * (bytes[i + 1] & 3) + (bytes[i + 2] & 3) (w = 3)
    const int32_t* duo5;   // 5 * min(idx[i], 4) + min(idx[i + 1], 4): pair indices (pair-table kernels)
    bool score_n;          // the block holds N and windows with N must be scored (filters)
    // filters: 255 for each window holding an N that is skipped, 0 for the others (readable for
    // whole vectors past the last window), or null when the block has none to skip
    const uint8_t* dead = nullptr;
};

// rows: the kernel's L x 8 table, or for pair-table kernels its pair tables (see
// pair_tables below); out: writable up to round_up(n_windows, kBlockAlign).
template <class T>
using BlockKernel = void (*)(const BlockCodes& codes, int64_t n_windows, const T* rows,
                             int64_t length, T bias, T* out);

// Lookahead for threshold scans (the "deficit" pre-filter). A window's score is
// best_sum + bias - deficit, where best_sum sums each column's best entry (N's 0
// included) and deficit >= 0 sums how far each base falls below its column's best.
// A window can only reach the threshold when deficit <= slack = best_sum + bias - thr
// (plus a float rounding margin). Columns are taken in tuples of w = 2 (AVX2 vpshufb) or
// w = 3 (AVX-512 VBMI vpermb) successive columns: one byte table of 4^w entries per tuple,
// indexed by the tuple code (4 * x[l] + x[l + 1], or 16 * x[l] + 4 * x[l + 1] + x[l + 2]),
// holds the tuple's deficit in units of slack / kSlackUnits, rounded down, saturated at 255.
// Summing tuples most-informative first with saturating byte adds, a window whose sum exceeds
// `limit` provably cannot reach the threshold; survivors are rescored in the canonical
// order (engine.hpp), so a hit's score is bit-identical to the full block kernel's. Tuple
// codes read N as A: blocks holding N whose windows must be scored (skip_n_windows false)
// are rescored in full instead.
constexpr int kSlackUnits = 200;  // limit; sums saturate at 255 > limit
constexpr int64_t kTupleTable = 64;  // bytes per tuple table
constexpr int64_t kFirstPairs = 4;  // w = 2: tuples summed before the first check, then 2 per check
constexpr int64_t kFirstTrios = 3;  // w = 3: tuples summed before the first check, then 1 per check

enum class FilterMode : int { Filter, NoHits, ScoreAll };

struct Lookahead {
    const uint8_t* tables;   // n_tuples x kTupleTable: the 4^w entries repeated (w = 2: once per 128-bit lane)
    const int32_t* offsets;  // n_tuples: first column of each tuple, most informative first
    int64_t n_tuples;        // ceil(L / w); a last tuple reaching past column L - 1 ignores those bases
    uint8_t limit;           // largest deficit sum (in units) that may still reach thr
    FilterMode mode;         // NoHits: slack < 0; ScoreAll: the filter cannot drop any window
};

// Writes positions j < n_windows (<= kThresholdBlock; ascending) with score >= thr, and their scores;
// returns how many. out_pos/out_score hold round_up(n_windows, kBlockAlign) entries.
// Reads BlockCodes::bytes, duo (w = 2) or trio (w = 3), and score_n.
template <class T>
using FilterKernel = int64_t (*)(const BlockCodes& codes, int64_t n_windows, const T* rows, int64_t length,
                                 T bias, const Lookahead& look, T thr, int32_t* out_pos, T* out_score);

// The largest of values[0, n), n >= 1 (no NaN can occur: inputs are finite).
template <class T>
using BlockMax = T (*)(const T* values, int64_t n);

// Pair tables of one kernel, for pair-table block kernels: ceil(L / 2) tables of 32 values;
// table p holds t[2p][a] + t[2p+1][b] (rounded in T) at 5a + b for codes a, b in 0..4 (N = 4),
// or t[L-1][a] for the lone last column of an odd L; entries 25..31 are 0.
template <class T>
void pair_tables(const T* rows, int64_t length, T* out);
constexpr int64_t kPairTable = 32;

void block_scalar_f32(const BlockCodes&, int64_t, const float*, int64_t, float, float*);
void block_scalar_f64(const BlockCodes&, int64_t, const double*, int64_t, double, double*);
float max_scalar_f32(const float*, int64_t);
double max_scalar_f64(const double*, int64_t);
#ifdef EXACTPWM_HAVE_AVX2
void block_avx2_f32(const BlockCodes&, int64_t, const float*, int64_t, float, float*);
void block_avx2_f64(const BlockCodes&, int64_t, const double*, int64_t, double, double*);
float max_avx2_f32(const float*, int64_t);
int64_t filter_avx2_f32(const BlockCodes&, int64_t, const float*, int64_t, float, const Lookahead&, float,
                        int32_t*, float*);
int64_t filter_avx2_f64(const BlockCodes&, int64_t, const double*, int64_t, double, const Lookahead&, double,
                        int32_t*, double*);
double max_avx2_f64(const double*, int64_t);
#endif
#ifdef EXACTPWM_HAVE_AVX512
void block_avx512_f32(const BlockCodes&, int64_t, const float*, int64_t, float, float*);
void block_avx512_f32_stream(const BlockCodes&, int64_t, const float*, int64_t, float, float*);
int64_t filter_avx512_f32(const BlockCodes&, int64_t, const float*, int64_t, float, const Lookahead&, float,
                          int32_t*, float*);
#endif

}  // namespace exactpwm::detail
