// Exact upper-tail tables of real-valued score matrices by meet in the middle (see
// exactpwm.core.exact_pvalues.TailTable and engine.hpp's tail_tables). Built with
// -ffp-contract=off: every sum and product rounds on its own, as the numpy version's do, so both
// give the same table bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "exactpwm/engine.hpp"
#include "stop.hpp"

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

// A key that orders as the double does (-0.0 as 0.0), and back. The scores sorted here are never
// -0.0 (every word's sum starts at +0.0, and +0.0 + -0.0 is +0.0), so decoding gives each score's
// own bits.
inline uint64_t order_key(double x) {
    const double v = x + 0.0;
    uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    return (b >> 63) ? ~b : b | (uint64_t{1} << 63);
}

inline double from_key(uint64_t k) {
    const uint64_t b = (k >> 63) ? k & ~(uint64_t{1} << 63) : ~k;
    double x;
    std::memcpy(&x, &b, sizeof x);
    return x;
}

// Sorts x[0, n) ascending with val[0, n) carried along, stably (ties keep their order, as numpy's
// stable argsort): an LSD radix sort of order keys, eight bits at a time, all eight digits counted in
// one pass and the digits every key shares skipped. x holds the scores on entry and on return.
template <class T>
void sort_with(std::vector<double>& x, std::vector<T>& val, size_t n) {
    std::vector<uint64_t> keys(n), keys2(n);
    std::vector<T> vals2(n);
    std::vector<size_t> count(8 * 256, 0);
    for (size_t i = 0; i < n; ++i) {
        const uint64_t k = order_key(x[i]);
        keys[i] = k;
        for (int d = 0; d < 8; ++d) ++count[static_cast<size_t>(d * 256) + ((k >> (8 * d)) & 0xFF)];
    }
    uint64_t *key = keys.data(), *key_to = keys2.data();
    T *v = val.data(), *v_to = vals2.data();
    for (int d = 0; d < 8 && n > 1; ++d) {
        size_t* c = count.data() + d * 256;
        const int shift = 8 * d;
        if (c[(key[0] >> shift) & 0xFF] == n) continue;  // one digit for all
        size_t at = 0;
        for (int b = 0; b < 256; ++b) {
            const size_t here = c[b];
            c[b] = at;
            at += here;
        }
        for (size_t i = 0; i < n; ++i) {
            const size_t to = c[(key[i] >> shift) & 0xFF]++;
            key_to[to] = key[i];
            v_to[to] = v[i];
        }
        std::swap(key, key_to);
        std::swap(v, v_to);
    }
    if (v != val.data()) std::copy(v, v + n, val.data());
    for (size_t i = 0; i < n; ++i) x[i] = from_key(key[i]);
}

// at[j] = lower_bound(B, x - A[j]) for every word j of A (B ascending), as std::lower_bound finds
// it: the targets x - A[j] rise as A falls (rounding is monotone), so one sweep of B along A's words
// in descending order (desc: their indices in ascending order of score) finds them all.
void lower_bounds(const std::vector<double>& A, const std::vector<int64_t>& desc, const std::vector<double>& B,
                  double x, std::vector<int64_t>& at) {
    size_t p = 0;
    for (size_t k = desc.size(); k-- > 0;) {
        const size_t j = static_cast<size_t>(desc[k]);
        const double target = x - A[j];
        while (p < B.size() && B[p] < target) ++p;
        at[j] = static_cast<int64_t>(p);
    }
}

void check_columns(const int64_t* cols, int64_t n, int64_t w) {
    for (int64_t j = 0; j < n; ++j)
        if (cols[j] < 0 || cols[j] >= w) throw std::invalid_argument("tail_tables: a column index is out of range");
}

// one tail table (engine.hpp), its column indices already checked
int64_t tail_table_unchecked(const double* M, int64_t w, const double* bg, const int64_t* cols_a,
                             const double* rest_a, int64_t n_a, double need_a, const int64_t* cols_b,
                             const double* rest_b, int64_t n_b, double need_b, double lo, double tol,
                             const double* ceilings, const int64_t* max_words, int64_t n_ranges,
                             std::vector<double>& scores, std::vector<double>& tail) {
    std::vector<double> A, PA, B0, PB0;
    pruned_half(M, w, bg, cols_a, rest_a, n_a, need_a, A, PA);
    pruned_half(M, w, bg, cols_b, rest_b, n_b, need_b, B0, PB0);
    const size_t nb = B0.size();
    sort_with(B0, PB0, nb);
    const std::vector<double>& B = B0;
    const std::vector<double>& PB = PB0;
    const size_t na = A.size();
    std::vector<int64_t> first(na), stop(na), desc(na);  // desc: A's words by ascending score
    {
        std::vector<double> sorted_a(A);
        for (size_t j = 0; j < na; ++j) desc[j] = static_cast<int64_t>(j);
        sort_with(sorted_a, desc, na);
    }
    lower_bounds(A, desc, B, lo, first);
    for (int64_t r = 0; r < n_ranges; ++r) {
        const double ceiling = ceilings[r];
        const bool finite = std::isfinite(ceiling);
        int64_t total = 0;
        if (finite)
            lower_bounds(A, desc, B, ceiling - tol, stop);
        else
            std::fill(stop.begin(), stop.end(), static_cast<int64_t>(nb));
        for (size_t j = 0; j < na; ++j) total += std::max<int64_t>(stop[j] - first[j], 0);
        if (total > max_words[r]) continue;
        double anchor = 0.0;
        if (finite) {  // the words at or above the ceiling, one exact sum: PA . (PB's tail at stop), in A's order
            std::vector<double> tail_b(nb + 1, 0.0);
            double acc = 0.0;
            for (size_t k = nb; k-- > 0;) tail_b[k] = acc += PB[k];
            for (size_t j = 0; j < na; ++j) anchor += PA[j] * tail_b[static_cast<size_t>(stop[j])];
        }
        // the words in range (in A's order, then B's), sorted by score with their probabilities; the
        // probabilities become tail sums in place (tail has one more entry, 0 before the anchor)
        const size_t n = static_cast<size_t>(total);
        scores.resize(n);
        tail.resize(n + 1);
        size_t at = 0;
        for (size_t j = 0; j < na; ++j)
            for (int64_t k = first[j]; k < stop[j]; ++k, ++at) {
                scores[at] = A[j] + B[static_cast<size_t>(k)];
                tail[at] = PA[j] * PB[static_cast<size_t>(k)];
            }
        sort_with(scores, tail, n);
        double acc = 0.0;
        tail[n] = 0.0;
        for (size_t k = n; k-- > 0;) tail[k] = acc += tail[k];
        for (double& t : tail) t += anchor;
        return r;
    }
    scores.clear();
    tail.clear();
    return -1;
}

}  // namespace

void tail_tables(const TailTableJobs& jobs, const double* bg, int64_t* r, std::vector<std::vector<double>>& scores,
                 std::vector<std::vector<double>>& tails, int threads) {
    const int64_t K = jobs.n;
    const auto ordered = [K](const int64_t* start, const char* what) {
        if (start[0] != 0) throw std::invalid_argument(std::string("tail_tables: ") + what + " must start at 0");
        for (int64_t k = 0; k < K; ++k)
            if (start[k + 1] < start[k])
                throw std::invalid_argument(std::string("tail_tables: ") + what + " must not decrease");
    };
    // every check before any work: no exception leaves the parallel loop
    ordered(jobs.col_start, "col_start");
    ordered(jobs.a_start, "a_start");
    ordered(jobs.b_start, "b_start");
    ordered(jobs.range_start, "range_start");
    for (int64_t k = 0; k < K; ++k) {
        const int64_t w = jobs.col_start[k + 1] - jobs.col_start[k];
        check_columns(jobs.cols_a + jobs.a_start[k], jobs.a_start[k + 1] - jobs.a_start[k], w);
        check_columns(jobs.cols_b + jobs.b_start[k], jobs.b_start[k + 1] - jobs.b_start[k], w);
    }
    scores.assign(static_cast<size_t>(K), {});
    tails.assign(static_cast<size_t>(K), {});
    // the widest (costliest) first, so that no long job starts last
    std::vector<int64_t> order(static_cast<size_t>(K));
    for (int64_t k = 0; k < K; ++k) order[static_cast<size_t>(k)] = k;
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
        return jobs.col_start[x + 1] - jobs.col_start[x] > jobs.col_start[y + 1] - jobs.col_start[y];
    });
    threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<int64_t>(K, 1))));
    detail::StopFlag stop;  // Ctrl-C between tables; an allocation that fails is rethrown after the loop
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
#endif
    for (int64_t i = 0; i < K; ++i) {
        if (stop.stopped()) continue;
        const int64_t k = order[static_cast<size_t>(i)];
        const int64_t a = jobs.a_start[k], b = jobs.b_start[k], c = jobs.range_start[k];
        const int64_t w = jobs.col_start[k + 1] - jobs.col_start[k];
        stop.guard([&] {
            r[k] = tail_table_unchecked(jobs.matrices + 4 * jobs.col_start[k], w, bg, jobs.cols_a + a, jobs.rest_a + a,
                                        jobs.a_start[k + 1] - a, jobs.need_a[k], jobs.cols_b + b, jobs.rest_b + b,
                                        jobs.b_start[k + 1] - b, jobs.need_b[k], jobs.lo[k], jobs.tol[k],
                                        jobs.ceilings + c, jobs.max_words + c, jobs.range_start[k + 1] - c,
                                        scores[static_cast<size_t>(k)], tails[static_cast<size_t>(k)]);
        });
    }
    stop.throw_if_stopped();
}

}  // namespace exactpwm
