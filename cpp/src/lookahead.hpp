// Internal: lookahead plans for threshold scans (see block_kernels.hpp, Lookahead).
#pragma once

#include <cstdint>
#include <vector>

#include "block_kernels.hpp"
#include "exactpwm/engine.hpp"

namespace exactpwm::detail {

// Lookahead plans, one per kernel: columns by decreasing spread (max - mean of A, C, G, T)
// and, after each stage of kStage columns, the bound below which the partial sum
// cannot reach the threshold. A column's best entry includes N (0), which a window may hold;
// the margin covers float32 rounding of partial sums taken in a different order.
struct LookaheadPlan {
    std::vector<int32_t> order;  // K x L
    std::vector<float> bounds;   // K x n_stages
    std::vector<int8_t> q_tables;  // K x (kStage * kQStages) x 16
    std::vector<int16_t> q_bounds;  // K x kQStages
    std::vector<Lookahead> look;
};

template <class T>
LookaheadPlan plan_lookahead(const ScoreTable<T>& table, const T* thresholds);

}  // namespace exactpwm::detail
