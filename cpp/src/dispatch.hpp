// Internal: the block kernels chosen for an instruction set and dtype.
#pragma once

#include <vector>

#include "block_kernels.hpp"
#include "exactpwm/engine.hpp"

namespace exactpwm::detail {

// The block kernel and block-max helper for an ISA and dtype, and whether the
// kernel reads BlockCodes::pairs/keep (needs_pairs) or pair tables and BlockCodes::duo5
// (pair_tables).
template <class T>
struct Picked {
    BlockKernel<T> fn;
    BlockMax<T> max;
    bool needs_pairs;
    FilterKernel<T> filter;  // lookahead threshold kernel, or nullptr
    bool pair_tables = false;
    BlockKernel<T> stream = nullptr;  // as fn, bypassing the caches for big outputs; or nullptr
    int filter_width = 2;             // columns per tuple the filter reads (Lookahead)
};

inline Picked<float> pick_kernel(Isa isa, float) {
#ifdef EXACTPWM_HAVE_AVX512
    if (isa == Isa::Avx512)
        return {block_avx512_f32, max_avx2_f32, false, filter_avx512_f32, true, block_avx512_f32_stream, 3};
#endif
#ifdef EXACTPWM_HAVE_AVX2
    if (isa == Isa::Avx2) return {block_avx2_f32, max_avx2_f32, false, filter_avx2_f32};
#endif
    (void)isa;
    return {block_scalar_f32, max_scalar_f32, false, nullptr};
}

inline Picked<double> pick_kernel(Isa isa, double) {
#ifdef EXACTPWM_HAVE_AVX2
    if (isa == Isa::Avx2 || isa == Isa::Avx512) return {block_avx2_f64, max_avx2_f64, true, filter_avx2_f64};
#endif
    (void)isa;
    return {block_scalar_f64, max_scalar_f64, false, nullptr};
}

// The rows each block-kernel call reads, in the picked kernel's layout: the score table
// itself, or pair tables built once per engine call.
template <class T>
class KernelRows {
public:
    KernelRows(const ScoreTable<T>& table, bool pairs) : values_(table.values), stride_(table.length * kTableWidth) {
        if (!pairs) return;
        const int64_t P = (table.length + 1) / 2;
        tables_.resize(static_cast<size_t>(table.n_kernels * P * kPairTable));
        for (int64_t k = 0; k < table.n_kernels; ++k)
            pair_tables(table.values + k * stride_, table.length, tables_.data() + k * P * kPairTable);
        values_ = tables_.data();
        stride_ = P * kPairTable;
    }
    const T* operator[](int64_t k) const { return values_ + k * stride_; }

private:
    std::vector<T> tables_;
    const T* values_;
    int64_t stride_;
};

}  // namespace exactpwm::detail
