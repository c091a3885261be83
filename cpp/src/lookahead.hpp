// Internal: lookahead plans for threshold scans (see block_kernels.hpp, Lookahead).
#pragma once

#include <cstdint>
#include <vector>

#include "block_kernels.hpp"
#include "exactpwm/engine.hpp"

namespace exactpwm::detail {

// Deficit pre-filter plans, one per kernel: pair tables, pair order and limit.
struct LookaheadPlan {
    std::vector<uint8_t> tables;   // sum over kernels of n_pairs x 32
    std::vector<int32_t> offsets;  // K x n_pairs
    std::vector<Lookahead> look;   // K
};

template <class T>
LookaheadPlan plan_lookahead(const ScoreTable<T>& table, const T* thresholds);

}  // namespace exactpwm::detail
