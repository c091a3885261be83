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
};

// rows: the kernel's L x 8 table; out: writable up to round_up(n_windows, kBlockAlign).
template <class T>
using BlockKernel = void (*)(const BlockCodes& codes, int64_t n_windows, const T* rows,
                             int64_t length, T bias, T* out);

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
double max_avx2_f64(const double*, int64_t);
#endif

}  // namespace exactpwm::detail
