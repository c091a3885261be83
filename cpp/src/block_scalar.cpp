// Portable block kernels (baseline instruction set).
#include "block_kernels.hpp"

namespace exactpwm::detail {
namespace {

template <class T>
void block_scalar(const BlockCodes& codes, int64_t n_windows, const T* rows, int64_t length,
                  T bias, T* out) {
    for (int64_t j = 0; j < n_windows; ++j) out[j] = T(0);
    int64_t l = 0;
    for (; l + 1 < length; l += 2) {  // column pairs: out += (t[l][x] + t[l+1][y])
        const T* r0 = rows + l * 8;
        const T* r1 = r0 + 8;
        const int32_t* x = codes.idx + l;
        for (int64_t j = 0; j < n_windows; ++j) out[j] += r0[x[j]] + r1[x[j + 1]];
    }
    if (l < length) {  // odd L: the last column alone
        const T* r0 = rows + l * 8;
        const int32_t* x = codes.idx + l;
        for (int64_t j = 0; j < n_windows; ++j) out[j] += r0[x[j]];
    }
    for (int64_t j = 0; j < n_windows; ++j) out[j] += bias;
}

template <class T>
T max_scalar(const T* v, int64_t n) {
    T m = v[0];
    for (int64_t j = 1; j < n; ++j) m = v[j] > m ? v[j] : m;
    return m;
}

}  // namespace

template <class T>
void pair_tables(const T* rows, int64_t length, T* out) {
    for (int64_t p = 0; 2 * p < length; ++p) {
        const T* r0 = rows + 2 * p * 8;
        T* t = out + p * kPairTable;
        for (int e = 0; e < kPairTable; ++e) t[e] = T(0);
        for (int a = 0; a < 5; ++a)
            for (int b = 0; b < 5; ++b) t[5 * a + b] = 2 * p + 1 < length ? r0[a] + r0[8 + b] : r0[a];
    }
}
template void pair_tables<float>(const float*, int64_t, float*);
template void pair_tables<double>(const double*, int64_t, double*);

float max_scalar_f32(const float* v, int64_t n) { return max_scalar<float>(v, n); }
double max_scalar_f64(const double* v, int64_t n) { return max_scalar<double>(v, n); }

void block_scalar_f32(const BlockCodes& i, int64_t n, const float* r, int64_t L, float b, float* o) {
    block_scalar<float>(i, n, r, L, b, o);
}
void block_scalar_f64(const BlockCodes& i, int64_t n, const double* r, int64_t L, double b, double* o) {
    block_scalar<double>(i, n, r, L, b, o);
}

}  // namespace exactpwm::detail
