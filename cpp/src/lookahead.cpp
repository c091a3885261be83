// Lookahead plans: column order, float stage bounds and the integer pre-filter tables.
#include "lookahead.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace exactpwm::detail {

template <class T>
LookaheadPlan plan_lookahead(const ScoreTable<T>& table, const T* thresholds) {
    const int64_t K = table.n_kernels, L = table.length;
    const int64_t stages = (L + kStage - 1) / kStage;
    LookaheadPlan plan;
    plan.order.resize(static_cast<size_t>(K * L));
    plan.bounds.resize(static_cast<size_t>(K * stages));
    constexpr int64_t kQCols = kStage * kQStages;
    plan.q_tables.assign(static_cast<size_t>(K * kQCols * 16), 0);
    plan.q_bounds.assign(static_cast<size_t>(K * kQStages), 0);
    plan.look.resize(static_cast<size_t>(K));
    for (int64_t k = 0; k < K; ++k) {
        const T* rows = table.values + k * L * kTableWidth;
        std::vector<double> spread(static_cast<size_t>(L)), best(static_cast<size_t>(L));
        double magnitude = 0;
        for (int64_t l = 0; l < L; ++l) {
            double mx = 0, mean = 0, amax = 0;  // mx starts at 0: the N entry
            for (int c = 0; c < 4; ++c) {
                mx = std::max(mx, double(rows[l * 8 + c]));
                mean += 0.25 * double(rows[l * 8 + c]);
                amax = std::max(amax, std::abs(double(rows[l * 8 + c])));
            }
            spread[l] = mx - mean;
            best[l] = mx;
            magnitude += amax;
        }
        int32_t* order = plan.order.data() + k * L;
        for (int64_t l = 0; l < L; ++l) order[l] = static_cast<int32_t>(l);
        std::stable_sort(order, order + L, [&](int32_t a, int32_t b) { return spread[a] > spread[b]; });
        float* bounds = plan.bounds.data() + k * stages;
        const double margin = 1e-5 * magnitude + 1e-30;
        for (int64_t st = 0; st < stages; ++st) {
            double rest = 0;
            for (int64_t i = std::min(L, (st + 1) * kStage); i < L; ++i) rest += best[order[i]];
            const double bound = double(thresholds[k]) - double(table.bias[k]) - rest - margin;
            float fb = static_cast<float>(bound);
            if (double(fb) > bound) fb = std::nextafter(fb, -std::numeric_limits<float>::infinity());
            bounds[st] = fb;
        }
        // Integer pre-filter over the first kQStages stages: q = ceil(entry / unit) never
        // underestimates an entry; after stage s keep windows with sum(q) >= ceil(bounds[s] / unit).
        // unit = largest |entry| / 15, so |q| <= 15 and the int8 sums of stages 0-1 (8 columns)
        // cannot overflow.
        // (Clamping very negative entries upwards to refine the unit was tried: it let through
        // far more windows.)
        const int64_t qc = std::min<int64_t>(L, kQCols);
        constexpr double qmax = 15.0;
        double big = 0;
        for (int64_t i = 0; i < qc; ++i)
            for (int c = 0; c < 4; ++c) big = std::max(big, std::abs(double(rows[order[i] * 8 + c])));
        int64_t q_cols = 0;
        int8_t* qt = plan.q_tables.data() + k * kQCols * 16;
        int16_t* qb = plan.q_bounds.data() + k * kQStages;
        if (big > 0 && std::isfinite(double(bounds[0]))) {
            const double unit = big / qmax;
            const double first = std::ceil(double(bounds[0]) / unit);
            if (first > -double(std::min(qc, kStage)) * qmax) {  // else stage 0 keeps everything
                q_cols = qc;
                for (int64_t i = 0; i < qc; ++i)
                    for (int c = 0; c < 4; ++c)
                        qt[i * 16 + c] = static_cast<int8_t>(std::ceil(double(rows[order[i] * 8 + c]) / unit));
                for (int64_t st = 0; st * kStage < qc; ++st) {
                    const double limit = st <= 1 ? 127.0 : 32767.0;
                    const double b = std::isfinite(double(bounds[st])) ? std::ceil(double(bounds[st]) / unit) : limit;
                    qb[st] = static_cast<int16_t>(std::max(-limit, std::min(b, limit)));
                }
            }
        }
        plan.look[k] = {order, bounds, qt, q_cols, qb};
    }
    return plan;
}

template LookaheadPlan plan_lookahead<float>(const ScoreTable<float>&, const float*);
template LookaheadPlan plan_lookahead<double>(const ScoreTable<double>&, const double*);

}  // namespace exactpwm::detail
