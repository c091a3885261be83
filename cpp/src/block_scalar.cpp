// Portable block kernels (baseline instruction set).
#include "block_kernels.hpp"

namespace exactpwm::detail {
namespace {

template <class T>
void block_scalar(const BlockCodes& codes, int64_t n_windows, const T* rows, int64_t length,
                  T bias, T* out) {
    for (int64_t j = 0; j < n_windows; ++j) out[j] = T(0);
    for (int64_t l = 0; l < length; ++l) {
        const T* row = rows + l * 8;
        const int32_t* x = codes.idx + l;
        for (int64_t j = 0; j < n_windows; ++j) out[j] += row[x[j]];
    }
    for (int64_t j = 0; j < n_windows; ++j) out[j] += bias;
}

}  // namespace

void block_scalar_f32(const BlockCodes& i, int64_t n, const float* r, int64_t L, float b, float* o) {
    block_scalar<float>(i, n, r, L, b, o);
}
void block_scalar_f64(const BlockCodes& i, int64_t n, const double* r, int64_t L, double b, double* o) {
    block_scalar<double>(i, n, r, L, b, o);
}

}  // namespace exactpwm::detail
