// Exact upper-tail tables of real-valued score matrices by meet in the middle (see
// exactpwm.core.exact_pvalues.TailTable and engine.hpp's tail_tables). Built with
// -ffp-contract=off: every sum and product rounds on its own, as the numpy version's do, so both
// give the same table bit for bit.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
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
void radix_sort_with(double* x, T* val, size_t n) {
    std::vector<uint64_t> keys(n), keys2(n);
    std::vector<T> vals2(n);
    std::vector<size_t> count(8 * 256, 0);
    for (size_t i = 0; i < n; ++i) {
        const uint64_t k = order_key(x[i]);
        keys[i] = k;
        for (int d = 0; d < 8; ++d) ++count[static_cast<size_t>(d * 256) + ((k >> (8 * d)) & 0xFF)];
    }
    uint64_t *key = keys.data(), *key_to = keys2.data();
    T *v = val, *v_to = vals2.data();
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
    if (v != val) std::copy(v, v + n, val);
    for (size_t i = 0; i < n; ++i) x[i] = from_key(key[i]);
}

// The same order by insertion (x[0, n) few): a score moves before those strictly greater only, so
// ties keep their order, and -0.0 ties with 0.0 as their order keys do.
template <class T>
void insertion_sort_with(double* x, T* val, size_t n) {
    for (size_t i = 1; i < n; ++i) {
        const double s = x[i];
        if (!(x[i - 1] > s)) continue;
        const T v = val[i];
        size_t j = i;
        do {
            x[j] = x[j - 1];
            val[j] = val[j - 1];
        } while (--j > 0 && x[j - 1] > s);
        x[j] = s;
        val[j] = v;
    }
}

// Buckets of the scores in [least, greatest]: a power of two of them, about n / per (at most 2^16).
// bucket(s) = floor((s - least) * scale) never decreases as s grows (each rounding is monotone), so
// scores dealt into the buckets in order leave the buckets in order. One bucket (`spread` false) when
// every score ties or the range is too wide for the double.
struct ScoreBuckets {
    size_t count = 1;
    double least, scale = 0.0;
    bool spread = false;

    ScoreBuckets(double lo, double hi, size_t n, size_t per) : least(lo) {
        size_t b = 1;
        while (b < n / per && b < (size_t{1} << 16)) b <<= 1;
        const double s = hi > lo ? static_cast<double>(b) / (hi - lo) : 0.0;
        if (std::isfinite(s) && s > 0) {
            count = b;
            scale = s;
            spread = true;
        }
    }
    size_t operator()(double s) const {
        return spread ? std::min(count - 1, static_cast<size_t>((s - least) * scale)) : size_t{0};
    }
};

// Sorts x[0, n) ascending with val[0, n) carried along, stably (ties keep their order, as numpy's
// stable argsort). The scores (finite) are dealt into about n / 4 buckets of their range
// (ScoreBuckets), which keeps each bucket's scores in their order. Each bucket is then sorted on its
// own: by insertion when small, else by the radix sort (a bucket of ties costs it one counting pass).
// x holds the scores on entry and on return.
template <class T>
void sort_with(std::vector<double>& x, std::vector<T>& val, size_t n) {
    constexpr size_t kSmall = 32;
    if (n <= kSmall) {
        insertion_sort_with(x.data(), val.data(), n);
        return;
    }
    double least = x[0], greatest = x[0];
    for (size_t i = 1; i < n; ++i) {
        least = std::min(least, x[i]);
        greatest = std::max(greatest, x[i]);
    }
    if (!(greatest > least)) return;  // every score ties: already in order
    const ScoreBuckets bucket(least, greatest, n, 4);
    if (!bucket.spread) {  // a range too wide for the double: no buckets
        radix_sort_with(x.data(), val.data(), n);
        return;
    }
    const size_t buckets = bucket.count;
    std::vector<size_t> start(buckets + 1, 0);
    for (size_t i = 0; i < n; ++i) ++start[bucket(x[i]) + 1];
    for (size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
    std::vector<double> x2(x.size());
    std::vector<T> v2(val.size());  // entries past n (a tail's last) stay as they are
    std::copy(x.begin() + static_cast<std::ptrdiff_t>(n), x.end(), x2.begin() + static_cast<std::ptrdiff_t>(n));
    std::copy(val.begin() + static_cast<std::ptrdiff_t>(n), val.end(), v2.begin() + static_cast<std::ptrdiff_t>(n));
    {
        std::vector<size_t> at(start.begin(), start.end() - 1);
        for (size_t i = 0; i < n; ++i) {
            const size_t to = at[bucket(x[i])]++;
            x2[to] = x[i];
            v2[to] = val[i];
        }
    }
    x.swap(x2);
    val.swap(v2);
    for (size_t b = 0; b < buckets; ++b) {
        const size_t m = start[b + 1] - start[b];
        if (m <= kSmall) insertion_sort_with(x.data() + start[b], val.data() + start[b], m);
        else radix_sort_with(x.data() + start[b], val.data() + start[b], m);
    }
}

// at[i] = lower_bound(B, x - A[i]) for every word i of A, as std::lower_bound finds it, A and B
// ascending: the targets x - A[i] rise as A falls (rounding is monotone), so one sweep of B along
// A's words from the last finds them all.
void lower_bounds(const std::vector<double>& A, const std::vector<double>& B, double x, std::vector<int64_t>& at) {
    size_t p = 0;
    for (size_t i = A.size(); i-- > 0;) {
        const double target = x - A[i];
        while (p < B.size() && B[p] < target) ++p;
        at[i] = static_cast<int64_t>(p);
    }
}

// A word of a table being made: its score and its half-words' places in the sorted A and B.
struct Word {
    double score;
    uint32_t a, b;
};

// The n words A[i] + B[k] (k in [first[i], stop[i]) for each i), with probabilities PA[i] * PB[k],
// in ascending order of score into scores[0, n) and probs[0, n), ties by (origin[i], k): the order a
// stable sort gives when A's words are enumerated as pruned_half made them (origin[i] is word i's
// place there), each with B's in order. |A| and |B| are below 2^32 (half-words of at most 11
// columns). A and B ascending: each run over k is ascending, so the scores lie between the runs'
// first and last, and as i rises the runs move along B (they read it in order). The words are dealt
// into about n / 8 buckets of that range as they are made (ScoreBuckets), and each bucket is put in
// order: by insertion when small, else by comparison.
void words_in_order(const std::vector<double>& A, const std::vector<double>& PA, const std::vector<int64_t>& origin,
                    const std::vector<double>& B, const std::vector<double>& PB, const std::vector<int64_t>& first,
                    const std::vector<int64_t>& stop, size_t n, double* scores, double* probs) {
    const size_t na = A.size();
    const auto each = [&](auto&& visit) {
        for (size_t i = 0; i < na; ++i)
            for (int64_t k = first[i]; k < stop[i]; ++k)
                visit(A[i] + B[static_cast<size_t>(k)], i, static_cast<size_t>(k));
    };
    double least = INFINITY, greatest = -INFINITY;
    for (size_t i = 0; i < na; ++i)
        if (first[i] < stop[i]) {
            least = std::min(least, A[i] + B[static_cast<size_t>(first[i])]);
            greatest = std::max(greatest, A[i] + B[static_cast<size_t>(stop[i] - 1)]);
        }
    const ScoreBuckets bucket(least, greatest, n, 8);
    const size_t buckets = bucket.count;
    std::vector<size_t> at(buckets + 1, 0);
    each([&](double s, size_t, size_t) { ++at[bucket(s) + 1]; });
    for (size_t b = 0; b < buckets; ++b) at[b + 1] += at[b];
    const std::vector<size_t> start(at.begin(), at.end());
    const std::unique_ptr<Word[]> words(new Word[n]);  // every entry written below
    each([&](double s, size_t i, size_t k) {
        words[at[bucket(s)]++] = {s, static_cast<uint32_t>(i), static_cast<uint32_t>(k)};
    });
    const auto before = [&](const Word& x, const Word& y) {
        if (x.score != y.score) return x.score < y.score;
        const int64_t ox = origin[x.a], oy = origin[y.a];
        return ox < oy || (ox == oy && x.b < y.b);
    };
    constexpr size_t kSmall = 64;
    for (size_t b = 0; b < buckets; ++b) {
        Word* w = words.get() + start[b];
        const size_t m = start[b + 1] - start[b];
        if (m > kSmall) {
            std::sort(w, w + m, before);  // places differ: a strict order
            continue;
        }
        for (size_t i = 1; i < m; ++i) {
            const Word v = w[i];
            size_t q = i;
            for (; q > 0 && before(v, w[q - 1]); --q) w[q] = w[q - 1];
            w[q] = v;
        }
    }
    for (size_t i = 0; i < n; ++i) {
        scores[i] = words[i].score;
        probs[i] = PA[words[i].a] * PB[words[i].b];
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
    std::vector<double> A, PA0, B, PB;
    pruned_half(M, w, bg, cols_a, rest_a, n_a, need_a, A, PA0);
    pruned_half(M, w, bg, cols_b, rest_b, n_b, need_b, B, PB);
    const size_t na = A.size(), nb = B.size();
    sort_with(B, PB, nb);
    // A's words in ascending order too, each with its place as made (origin) and its probability
    std::vector<int64_t> origin(na);
    for (size_t j = 0; j < na; ++j) origin[j] = static_cast<int64_t>(j);
    sort_with(A, origin, na);
    std::vector<double> PA(na);
    for (size_t i = 0; i < na; ++i) PA[i] = PA0[static_cast<size_t>(origin[i])];
    std::vector<int64_t> first(na), stop(na);
    lower_bounds(A, B, lo, first);
    for (int64_t r = 0; r < n_ranges; ++r) {
        const double ceiling = ceilings[r];
        const bool finite = std::isfinite(ceiling);
        int64_t total = 0;
        if (finite)
            lower_bounds(A, B, ceiling - tol, stop);
        else
            std::fill(stop.begin(), stop.end(), static_cast<int64_t>(nb));
        for (size_t i = 0; i < na; ++i) total += std::max<int64_t>(stop[i] - first[i], 0);
        if (total > max_words[r]) continue;
        double anchor = 0.0;
        if (finite) {  // the words at or above the ceiling, one exact sum: PA . (PB's tail at stop), in A's order as made
            std::vector<double> tail_b(nb + 1, 0.0);
            double acc = 0.0;
            for (size_t k = nb; k-- > 0;) tail_b[k] = acc += PB[k];
            std::vector<size_t> sorted_at(na);  // where each word as made lies among A's words in order
            for (size_t i = 0; i < na; ++i) sorted_at[static_cast<size_t>(origin[i])] = i;
            for (size_t j = 0; j < na; ++j) anchor += PA0[j] * tail_b[static_cast<size_t>(stop[sorted_at[j]])];
        }
        // the words in range, sorted by score with their probabilities; the probabilities become tail
        // sums in place (tail has one more entry, 0 before the anchor)
        const size_t n = static_cast<size_t>(total);
        scores.resize(n);
        tail.resize(n + 1);
        words_in_order(A, PA, origin, B, PB, first, stop, n, scores.data(), tail.data());
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
