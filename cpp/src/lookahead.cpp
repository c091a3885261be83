// Deficit pre-filter plans: tuple tables of rounded-down deficits, their order and limit.
#include "lookahead.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace exactpwm::detail {

template <class T>
LookaheadPlan plan_lookahead(const ScoreTable<T>& table, const T* thresholds, int width) {
    if (width != 2 && width != 3) throw std::invalid_argument("tuples hold 2 or 3 columns");
    const int64_t K = table.n_kernels, L = table.length, P = (L + width - 1) / width;
    const int entries = 1 << (2 * width);
    LookaheadPlan plan;
    plan.tables.assign(static_cast<size_t>(K * P * kTupleTable), 0);
    plan.offsets.resize(static_cast<size_t>(K * P));
    plan.look.resize(static_cast<size_t>(K));
    std::vector<double> deficit(static_cast<size_t>(L * 4));
    std::vector<double> tuple(static_cast<size_t>(P * entries)), gain(static_cast<size_t>(P));
    std::vector<int32_t> order(static_cast<size_t>(P));
    for (int64_t k = 0; k < K; ++k) {
        const T* rows = table.values + k * L * kTableWidth;
        Lookahead& look = plan.look[k];
        look.tables = plan.tables.data() + k * P * kTupleTable;
        look.offsets = plan.offsets.data() + k * P;
        look.n_tuples = P;
        look.limit = 0;
        // slack = best_sum + bias - thr, widened by a margin for float rounding: the
        // canonical float sum may exceed the exact sum by about L * eps * magnitude
        double best_sum = 0, magnitude = 0, worst = 0;
        for (int64_t l = 0; l < L; ++l) {
            double mx = 0, mn = 0, amax = 0;  // mx, mn start at 0: the N entry
            for (int c = 0; c < 4; ++c) {
                const double v = double(rows[l * 8 + c]);
                mx = std::max(mx, v);
                mn = std::min(mn, v);
                amax = std::max(amax, std::abs(v));
            }
            for (int c = 0; c < 4; ++c) deficit[l * 4 + c] = mx - double(rows[l * 8 + c]);
            best_sum += mx;
            magnitude += amax;
            worst += mx - mn;
        }
        const double margin = (1e-5 + 1.2e-7 * double(L)) * magnitude + 1e-30;
        const double slack = best_sum + double(table.bias[k]) - double(thresholds[k]) + margin;
        if (!(slack >= 0)) {  // no window can reach thr (a NaN threshold also lands here)
            look.mode = FilterMode::NoHits;
            continue;
        }
        if (worst <= slack) {  // every window reaches thr: nothing to filter
            look.mode = FilterMode::ScoreAll;
            continue;
        }
        look.mode = FilterMode::Filter;
        // q = floor(deficit / unit), shrunk by a relative 1e-12 so that division rounding never
        // rounds a deficit up: sum(q) <= deficit / unit <= slack / unit = limit
        look.limit = static_cast<uint8_t>(slack > 0 ? kSlackUnits : 0);
        const double unit = slack > 0 ? slack / kSlackUnits : worst;
        for (int64_t p = 0; p < P; ++p) {
            const int64_t l = width * p;
            double total = 0;
            for (int e = 0; e < entries; ++e) {  // e's base-4 digits, first column first
                double d = 0;
                for (int i = 0; i < width; ++i)
                    if (l + i < L) d += deficit[(l + i) * 4 + ((e >> (2 * (width - 1 - i))) & 3)];
                const double q = std::min(255.0, std::max(0.0, std::floor(d / unit * (1 - 1e-12))));
                tuple[p * entries + e] = q;
                total += q;
            }
            gain[p] = total;
        }
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return gain[a] > gain[b]; });
        for (int64_t i = 0; i < P; ++i) {
            const int32_t p = order[i];
            plan.offsets[static_cast<size_t>(k * P + i)] = static_cast<int32_t>(width * p);
            uint8_t* t = plan.tables.data() + (k * P + i) * kTupleTable;
            for (int e = 0; e < kTupleTable; ++e) t[e] = static_cast<uint8_t>(tuple[p * entries + e % entries]);
        }
    }
    return plan;
}

template LookaheadPlan plan_lookahead<float>(const ScoreTable<float>&, const float*, int);
template LookaheadPlan plan_lookahead<double>(const ScoreTable<double>&, const double*, int);

}  // namespace exactpwm::detail
