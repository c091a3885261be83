// Internal: the block kernels chosen for an instruction set and dtype.
#pragma once

#include "block_kernels.hpp"
#include "exactpwm/engine.hpp"

namespace exactpwm::detail {

// The block kernel and block-max helper for an ISA and dtype, and whether the
// kernel reads BlockCodes::pairs/keep.
template <class T>
struct Picked {
    BlockKernel<T> fn;
    BlockMax<T> max;
    bool needs_pairs;
    FilterKernel<T> filter;  // lookahead threshold kernel, or nullptr
};

inline Picked<float> pick_kernel(Isa isa, float) {
#ifdef EXACTPWM_HAVE_AVX2
    if (isa == Isa::Avx2) return {block_avx2_f32, max_avx2_f32, false, filter_avx2_f32};
#endif
    (void)isa;
    return {block_scalar_f32, max_scalar_f32, false, nullptr};
}

inline Picked<double> pick_kernel(Isa isa, double) {
#ifdef EXACTPWM_HAVE_AVX2
    if (isa == Isa::Avx2) return {block_avx2_f64, max_avx2_f64, true, nullptr};
#endif
    (void)isa;
    return {block_scalar_f64, max_scalar_f64, false, nullptr};
}

}  // namespace exactpwm::detail
