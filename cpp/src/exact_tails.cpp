// Exact upper-tail tables of real-valued score matrices by meet in the middle (see
// exactpwm.core.exact_pvalues.TailTable and engine.hpp's tail_table). Built with
// -ffp-contract=off: every sum and product rounds on its own, as the numpy version's do, so both
// give the same table bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "exactpwm/engine.hpp"

namespace exactpwm {
namespace {

// The words over columns cols[0, n) (in that order: each column's four bases extend every word
// kept so far, the words in order, the bases A, C, G, T within each) whose partial score plus
// rest[j] (the best of the columns after the j-th) reaches need.
void pruned_half(const double* M, int64_t w, const double* bg, const int64_t* cols, const double* rest, int64_t n,
                 double need, std::vector<double>& scores, std::vector<double>& probs) {
    scores.assign(1, 0.0);
    probs.assign(1, 1.0);
    std::vector<double> s2, p2;
    for (int64_t j = 0; j < n; ++j) {
        const int64_t c = cols[j];
        const double m[4] = {M[c], M[w + c], M[2 * w + c], M[3 * w + c]};
        s2.resize(scores.size() * 4);
        p2.resize(scores.size() * 4);
        size_t kept = 0;  // every candidate is written, and kept (the index moves on) when it can reach need
        for (size_t i = 0; i < scores.size(); ++i)
            for (int b = 0; b < 4; ++b) {
                const double s = scores[i] + m[b];
                s2[kept] = s;
                p2[kept] = probs[i] * bg[b];
                kept += s + rest[j] >= need;
            }
        s2.resize(kept);
        p2.resize(kept);
        scores.swap(s2);
        probs.swap(p2);
    }
}

// Indices of x (no NaN) in ascending (x, index) order, as numpy's stable argsort: an LSD radix sort
// (stable: ties keep their indices' order) of keys that order as the doubles do (-0.0 as 0.0),
// eight bits at a time, skipping the digits every key shares.
std::vector<int64_t> stable_order(const std::vector<double>& x) {
    const size_t n = x.size();
    std::vector<uint64_t> key(n), key2(n);
    std::vector<int64_t> order(n), order2(n);
    for (size_t i = 0; i < n; ++i) {
        const double v = x[i] + 0.0;
        uint64_t b;
        std::memcpy(&b, &v, sizeof b);
        key[i] = (b >> 63) ? ~b : b | (uint64_t{1} << 63);
        order[i] = static_cast<int64_t>(i);
    }
    size_t count[256];
    for (int shift = 0; shift < 64 && n > 1; shift += 8) {
        std::fill(count, count + 256, size_t{0});
        for (size_t i = 0; i < n; ++i) ++count[(key[i] >> shift) & 0xFF];
        if (count[(key[0] >> shift) & 0xFF] == n) continue;  // one digit for all
        size_t at = 0;
        for (size_t& c : count) {
            const size_t here = c;
            c = at;
            at += here;
        }
        for (size_t i = 0; i < n; ++i) {
            const size_t to = count[(key[i] >> shift) & 0xFF]++;
            key2[to] = key[i];
            order2[to] = order[i];
        }
        key.swap(key2);
        order.swap(order2);
    }
    return order;
}

}  // namespace

int64_t tail_table(const double* M, int64_t w, const double* bg, const int64_t* cols_a, const double* rest_a,
                   int64_t n_a, double need_a, const int64_t* cols_b, const double* rest_b, int64_t n_b, double need_b,
                   double lo, double tol, const double* ceilings, const int64_t* max_words, int64_t n_ranges,
                   std::vector<double>& scores, std::vector<double>& tail) {
    for (int64_t j = 0; j < n_a; ++j)
        if (cols_a[j] < 0 || cols_a[j] >= w) throw std::invalid_argument("tail_table: a column index is out of range");
    for (int64_t j = 0; j < n_b; ++j)
        if (cols_b[j] < 0 || cols_b[j] >= w) throw std::invalid_argument("tail_table: a column index is out of range");
    std::vector<double> A, PA, B0, PB0;
    pruned_half(M, w, bg, cols_a, rest_a, n_a, need_a, A, PA);
    pruned_half(M, w, bg, cols_b, rest_b, n_b, need_b, B0, PB0);
    const std::vector<int64_t> ob = stable_order(B0);
    const size_t nb = B0.size();
    std::vector<double> B(nb), PB(nb);
    for (size_t k = 0; k < nb; ++k) {
        B[k] = B0[static_cast<size_t>(ob[k])];
        PB[k] = PB0[static_cast<size_t>(ob[k])];
    }
    const size_t na = A.size();
    std::vector<int64_t> first(na), stop(na);
    for (size_t j = 0; j < na; ++j)
        first[j] = std::lower_bound(B.begin(), B.end(), lo - A[j]) - B.begin();
    for (int64_t r = 0; r < n_ranges; ++r) {
        const double ceiling = ceilings[r];
        const bool finite = std::isfinite(ceiling);
        int64_t total = 0;
        for (size_t j = 0; j < na; ++j) {
            stop[j] = finite ? std::lower_bound(B.begin(), B.end(), ceiling - tol - A[j]) - B.begin()
                             : static_cast<int64_t>(nb);
            total += std::max<int64_t>(stop[j] - first[j], 0);
        }
        if (total > max_words[r]) continue;
        double anchor = 0.0;
        if (finite) {  // the words at or above the ceiling, one exact sum: PA . (PB's tail at stop), in A's order
            std::vector<double> tail_b(nb + 1, 0.0);
            double acc = 0.0;
            for (size_t k = nb; k-- > 0;) tail_b[k] = acc += PB[k];
            for (size_t j = 0; j < na; ++j) anchor += PA[j] * tail_b[static_cast<size_t>(stop[j])];
        }
        std::vector<double> s(static_cast<size_t>(total)), p(static_cast<size_t>(total));
        size_t at = 0;
        for (size_t j = 0; j < na; ++j)
            for (int64_t k = first[j]; k < stop[j]; ++k, ++at) {
                s[at] = A[j] + B[static_cast<size_t>(k)];
                p[at] = PA[j] * PB[static_cast<size_t>(k)];
            }
        const std::vector<int64_t> order = stable_order(s);
        scores.resize(s.size());
        tail.assign(s.size() + 1, 0.0);
        double acc = 0.0;
        for (size_t k = s.size(); k-- > 0;) {
            scores[k] = s[static_cast<size_t>(order[k])];
            tail[k] = acc += p[static_cast<size_t>(order[k])];
        }
        for (double& t : tail) t += anchor;
        return r;
    }
    scores.clear();
    tail.clear();
    return -1;
}

}  // namespace exactpwm
