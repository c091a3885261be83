// Internal: lookahead plans for threshold scans (see block_kernels.hpp, Lookahead).
#pragma once

#include <cstdint>
#include <vector>

#include "block_kernels.hpp"
#include "exactpwm/engine.hpp"

namespace exactpwm::detail {

// Deficit pre-filter plans, one per kernel: tuple tables, tuple order and limit.
struct LookaheadPlan {
    std::vector<uint8_t> tables;   // K x n_tuples x kTupleTable
    std::vector<int32_t> offsets;  // K x n_tuples
    std::vector<Lookahead> look;   // K
};

// width: columns per tuple, 2 or 3 (as the picked filter reads them).
template <class T>
LookaheadPlan plan_lookahead(const ScoreTable<T>& table, const T* thresholds, int width);

}  // namespace exactpwm::detail
