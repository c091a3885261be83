// Per-ISA block kernels: score `n_windows` consecutive windows of one kernel.
// Internal to the engine.
//
//   idx:    int32 codes (already masked & 7) for positions [0, n_windows + L - 1),
//           readable up to round_up(n_windows, kBlockAlign) + L - 1 + kBlockAlign.
//   row:    the kernel's L x 8 table.
//   out:    writable up to round_up(n_windows, kBlockAlign) values.
#pragma once

#include <cstdint>

namespace exactpwm::detail {

constexpr int64_t kBlockAlign = 32;

template <class T>
using BlockKernel = void (*)(const int32_t* idx, int64_t n_windows, const T* rows,
                             int64_t length, T bias, T* out);

void block_scalar_f32(const int32_t*, int64_t, const float*, int64_t, float, float*);
void block_scalar_f64(const int32_t*, int64_t, const double*, int64_t, double, double*);
#ifdef EXACTPWM_HAVE_AVX2
void block_avx2_f32(const int32_t*, int64_t, const float*, int64_t, float, float*);
void block_avx2_f64(const int32_t*, int64_t, const double*, int64_t, double, double*);
#endif

}  // namespace exactpwm::detail
