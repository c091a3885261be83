// Per-ISA block kernels: score `n_windows` consecutive windows of one kernel.
// Internal to the engine.
#pragma once

#include <cstdint>

namespace exactpwm::detail {

constexpr int64_t kBlockAlign = 32;

// The codes of one block, prepared once and shared by all kernels:
//   idx[i]   = code & 7 of position i, as int32;
//   pairs    = (2*idx, 2*idx + 1) per position (float64 lookups by float-pair permutes);
//   keep[i]  = all ones where code < 4, else 0 (N contributes 0).
// Valid for positions [0, n_windows + L - 1) and readable kBlockAlign + L past
// round_up(n_windows, kBlockAlign). `pairs` and `keep` are only filled when the
// chosen kernel asks for them (needs_pairs).
struct BlockCodes {
    const int32_t* idx;
    const int32_t* pairs;
    const int64_t* keep;
    const uint8_t* bytes;  // code & 7 as bytes (byte-lookup filters)
};

// rows: the kernel's L x 8 table; out: writable up to round_up(n_windows, kBlockAlign).
template <class T>
using BlockKernel = void (*)(const BlockCodes& codes, int64_t n_windows, const T* rows,
                             int64_t length, T bias, T* out);

// Lookahead for threshold scans. Columns are summed in order[0..L) (most informative
// first), in stages of kStage columns; after stage i, windows whose partial sum is below
// bounds[i] cannot reach the threshold (bound = threshold - best possible sum of the
// remaining columns - a rounding margin) and are dropped. Survivors are rescored in
// canonical order (l = 0..L-1, then bias), so a hit's score is bit-identical to the
// full block kernel's.
constexpr int64_t kStage = 4;

//
// Before the float stages, an integer pre-filter may sum the first q_cols columns of
// `order` (up to kQStages stages) from q_tables (16 int8 per column, indexed by code,
// |q| <= 15): entries rounded up to a per-kernel grid, so partial sums never
// underestimate; windows whose sum after stage s is below q_bounds[s] cannot pass float
// stage s. Stages 0 and 1 sum in int8 (8 x 15 < 128), later stages in int16.
constexpr int64_t kQStages = 5;  // up to 20 columns; |q| <= 15 keeps int16 sums far from overflow

struct Lookahead {
    const int32_t* order;   // L column indices
    const float* bounds;    // one per stage: ceil(L / kStage)
    const int8_t* q_tables; // q_cols x 16
    int64_t q_cols;         // 0: no int8 pre-filter
    const int16_t* q_bounds; // one per integer stage: ceil(q_cols / kStage)
};

// Writes positions j < n_windows (ascending) with score >= thr, and their scores;
// returns how many. out_pos/out_score hold round_up(n_windows, kBlockAlign) entries.
// Reads only BlockCodes::bytes.
template <class T>
using FilterKernel = int64_t (*)(const BlockCodes& codes, int64_t n_windows, const T* rows, int64_t length,
                                 T bias, const Lookahead& look, T thr, int32_t* out_pos, T* out_score);

// The largest of values[0, n), n >= 1 (no NaN can occur: inputs are finite).
template <class T>
using BlockMax = T (*)(const T* values, int64_t n);

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
double max_avx2_f64(const double*, int64_t);
#endif

}  // namespace exactpwm::detail
