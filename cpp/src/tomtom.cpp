// Motif comparison with Tomtom's statistics: column scores, complete scores on an integer
// grid, exact null distributions of sums (convolutions of column histograms) and of the best
// of all alignments (products of distribution functions). See engine.hpp.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "exactpwm/engine.hpp"
#include "radix_sort.hpp"
#include "records.hpp"
#include "stop.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

namespace exactpwm {
namespace {

constexpr int kBins = 100;  // Tomtom's score range
constexpr int64_t kTile = 1024;  // database columns scored together (4 x 8 KB of columns)
constexpr int64_t kOverlapSpan = int64_t{1} << 24;  // overlaps (query widths) lie below this
constexpr int64_t kPairSpan = 128;  // grid values counted in pairs up to this span (two 64 KB tables)
constexpr int64_t kSample = 16;  // (AVX-512) every kSample-th score of a row is kept for its median's window
constexpr int64_t kWindowRow = 8192;  // ... in rows of this many scores or more
static_assert(kTile % kSample == 0, "tiles hold whole samples");

#if defined(__GNUC__) || defined(__clang__)
#define EXACTPWM_HOT inline __attribute__((always_inline))
#else
#define EXACTPWM_HOT inline
#endif

// Database columns as four arrays (A, C, G, T), so the column loop vectorizes.
struct Columns {
    const double *a, *c, *g, *t, *nsites;
    int64_t n;
    bool finite;  // every column's four values are finite
};

// The lowest and highest score of a row, and whether every score is finite.
struct RowRange {
    double lo, hi;
    bool finite;
};

// Smallest and largest of row[0, n) in one vectorized pass; x * 0.0 sums to 0 only if every x is finite.
EXACTPWM_HOT RowRange row_range(const double* row, int64_t n) {
    double lo = row[0], hi = row[0], sum = 0;
#ifdef _OPENMP
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : sum)
#endif
    for (int64_t j = 0; j < n; ++j) {
        const double x = row[j];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        sum += x * 0.0;
    }
    return {lo, hi, std::isfinite(sum) && std::isfinite(lo) && std::isfinite(hi)};
}

// row[j] = similarity of query column q with database column j, for the distance D; returns the
// row's range (the ed, Sandelin and Pearson loops compute it as they go). D = 5 is ed with the
// squared distance s in the row (its score is -sqrt(s)): its grid values are made from estimates of
// the square root (ed_grid_avx512) and its medians are order statistics of s.
template <int D>
EXACTPWM_HOT RowRange score_row(const double* q, const Columns& db, double nq, const double* bg, double* row) {
    const double q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    const int64_t n = db.n;
    if (D == 0 || D == 2 || D == 5) {  // minus the Euclidean distance; Sandelin-Wasserman; the squared distance
        // with finite columns, every s is finite or +inf (a sum of squares: no NaN), and an infinite
        // one shows in lo or hi, so only other columns need the finiteness sum
        const bool checked = !(db.finite && std::isfinite(q0) && std::isfinite(q1) && std::isfinite(q2) &&
                               std::isfinite(q3));
        const auto loop = [&](auto check) {
            double lo = INFINITY, hi = -INFINITY, sum = 0;
#ifdef _OPENMP
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : sum)
#endif
            for (int64_t j = 0; j < n; ++j) {
                const double d0 = q0 - db.a[j], d1 = q1 - db.c[j], d2 = q2 - db.g[j], d3 = q3 - db.t[j];
                const double s = ((d0 * d0 + d1 * d1) + d2 * d2) + d3 * d3;
                const double x = D == 0 ? -std::sqrt(s) : D == 2 ? 2.0 - s : s;
                row[j] = x;
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
                if constexpr (decltype(check)::value) sum += x * 0.0;
            }
            return RowRange{lo, hi, std::isfinite(sum) && std::isfinite(lo) && std::isfinite(hi)};
        };
        return checked ? loop(std::true_type{}) : loop(std::false_type{});
    } else if (D == 1) {  // Pearson correlation (mean 1/4)
        const double x0 = q0 - 0.25, x1 = q1 - 0.25, x2 = q2 - 0.25, x3 = q3 - 0.25;
        const double dq = ((x0 * x0 + x1 * x1) + x2 * x2) + x3 * x3;
        double lo = INFINITY, hi = -INFINITY, sum = 0;
#ifdef _OPENMP
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : sum)
#endif
        for (int64_t j = 0; j < n; ++j) {
            const double y0 = db.a[j] - 0.25, y1 = db.c[j] - 0.25, y2 = db.g[j] - 0.25, y3 = db.t[j] - 0.25;
            const double num = ((x0 * y0 + x1 * y1) + x2 * y2) + x3 * y3;
            const double den = std::sqrt(dq * (((y0 * y0 + y1 * y1) + y2 * y2) + y3 * y3));
            const double x = den != 0 ? num / den : 0.0;
            row[j] = x;
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            sum += x * 0.0;
        }
        return {lo, hi, std::isfinite(sum) && std::isfinite(lo) && std::isfinite(hi)};
    } else if (D == 3) {  // minus the average Kullback-Leibler divergence (log10)
        for (int64_t j = 0; j < n; ++j) {
            const double t[4] = {db.a[j], db.c[j], db.g[j], db.t[j]};
            double s = 0;
            for (int c = 0; c < 4; ++c) s += (q[c] * std::log10(q[c] / t[c]) + t[c] * std::log10(t[c] / q[c])) / 2;
            row[j] = -s;
        }
    } else {  // average log-likelihood ratio
        for (int64_t j = 0; j < n; ++j) {
            const double t[4] = {db.a[j], db.c[j], db.g[j], db.t[j]};
            const double nt = db.nsites[j];
            double num = 0, den = 0;
            for (int c = 0; c < 4; ++c) {
                num += nt * t[c] * std::log(q[c] / bg[c]) + nq * q[c] * std::log(t[c] / bg[c]);
                den += nq * q[c] + nt * t[c];
            }
            row[j] = num / den;
        }
    }
    return row_range(row, n);
}

EXACTPWM_HOT RowRange score_row_any(int distance, const double* q, const Columns& db, double nq, const double* bg,
                                    double* row) {
    switch (distance) {
        case 0: return score_row<0>(q, db, nq, bg, row);
        case 1: return score_row<1>(q, db, nq, bg, row);
        case 2: return score_row<2>(q, db, nq, bg, row);
        case 3: return score_row<3>(q, db, nq, bg, row);
        case 4: return score_row<4>(q, db, nq, bg, row);
        default: return score_row<5>(q, db, nq, bg, row);
    }
}

// next[0, out) = pmf convolved with h, whose nonzero values lie in h[lo, hi]; pmf is zero outside
// [plo, phi], so next is zero outside [plo + lo, phi + hi]. Each next[x] is the sum over v = hi down
// to lo of pmf[x - v] * h[v], added in that order from 0, as the scatter form (for each a, next[a + v]
// += pmf[a] * h[v]) adds them: the same double. Terms outside pmf's support read zeros (pmf holds
// zeros for `pad` entries on both sides), and a zero term adds exactly 0 to a sum >= 0, so the sums
// outside next's support, left out, would be 0. Sums are kept in registers, 32 outputs at a time, in
// vectors of V doubles.
// Only next[x] for x >= cut is made (the same doubles there; below cut next is left as it was), and
// pmf is read at cut - hi and above only.
// next is zero on [max(cut, 0), plo + lo) and (phi + hi, out + pad) afterwards, as the next convolution reads it.
template <int V>
EXACTPWM_HOT void convolve(const double* pmf, int64_t plo, int64_t phi, const double* h, int64_t lo, int64_t hi,
                           int64_t out, int64_t pad, int64_t cut, double* next) {
    const int64_t x0 = plo + lo, x1 = phi + hi + 1;  // next is 0 outside [x0, x1)
    if (cut < x0) std::fill(next + std::max<int64_t>(cut, 0), next + x0, 0.0);
    int64_t x = std::max(x0, cut);
#if defined(__GNUC__) || defined(__clang__)
    // the 32 sums as named vectors of V doubles (an array of sums would live in memory): eight of
    // four, or four of eight where the instruction set has them (AVX-512; elsewhere eight-wide
    // vectors are emulated, slowly)
    // (vectors pass by reference only: by value, their ABI differs between instruction sets)
    typedef double vec __attribute__((vector_size(8 * V)));
    const auto add = [](vec& acc, const double* p, double hv) {
        vec r;
        std::memcpy(&r, p, sizeof r);
        acc += r * hv;
    };
    static_assert(V == 4 || V == 8, "four or eight doubles");
    for (; x + 32 <= x1; x += 32) {
        vec a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {};  // (V = 8: a0-a3)
        for (int64_t v = hi; v >= lo; --v) {
            const double hv = h[v];
            const double* src = pmf + x - v;
            add(a0, src, hv);
            add(a1, src + V, hv);
            add(a2, src + 2 * V, hv);
            add(a3, src + 3 * V, hv);
            if constexpr (V == 4) {
                add(a4, src + 16, hv);
                add(a5, src + 20, hv);
                add(a6, src + 24, hv);
                add(a7, src + 28, hv);
            }
        }
        const vec sums[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
        std::memcpy(next + x, sums, 32 * sizeof(double));  // (the first 32 / V vectors)
    }
#endif
    for (; x < x1; ++x) {
        double acc = 0;
        for (int64_t v = hi; v >= lo; --v) acc += pmf[x - v] * h[v];
        next[x] = acc;
    }
    std::fill(next + std::max(x1, cut), next + out + pad, 0.0);
}

// Scratch vectors, reused across the queries of one thread.
struct Scratch {
    std::vector<RowRange> ranges;
    std::vector<double> scores, samples, sorted, window, hist, pmf, next, row, total, median;
    std::vector<std::vector<int64_t>> uses;
    std::vector<int32_t> z, diagonal, partial;
    std::vector<uint16_t> bucket;
    std::vector<uint8_t> marked;
    std::vector<int32_t> counts, pairs;  // (pairs: all zero between uses)
    std::vector<int64_t> span, low, value, cut, key, at, needed;
    std::vector<float> pv;
    std::vector<double> result_pvalue;  // one query's (E,) results, when only the better orientations are kept
    std::vector<int64_t> result_offset, result_overlap;
};

// Scratch kept between calls (tomtom_release frees it): a comparison in blocks of queries makes one
// call per block, and fresh scratch would be paged in again each time (about 4 us a page on a VM).
std::mutex pool_mutex;
std::vector<std::unique_ptr<Scratch>> pool;

std::unique_ptr<Scratch> take_scratch() {
    const std::lock_guard<std::mutex> lock(pool_mutex);
    if (pool.empty()) return std::make_unique<Scratch>();
    std::unique_ptr<Scratch> s = std::move(pool.back());
    pool.pop_back();
    return s;
}

void give_back(std::unique_ptr<Scratch> s) {
    const std::lock_guard<std::mutex> lock(pool_mutex);
    pool.push_back(std::move(s));
}

// Of a target's two entries, '+' at a and '-' at a + 1: is '-' the better one? A smaller p, or an
// equal p and a larger overlap ('+' wins a full tie), as Tomtom's table picks a target's orientation.
inline bool minus_is_better(const double* pv, const int64_t* ov, int64_t a) {
    const int64_t b = a + 1;
    return pv[b] < pv[a] || (pv[b] == pv[a] && ov[b] > ov[a]);
}

// One query's results for its T targets (orientations entries each): each target's better one, its
// p-value, offset, overlap and strand ('+' or '-').
void pick_orientations(const double* pv, const int64_t* off, const int64_t* ov, int64_t T, int orientations,
                       double* best_pvalue, int64_t* best_offset, int64_t* best_overlap, char* strand) {
    for (int64_t t = 0; t < T; ++t) {
        const int64_t a = t * orientations;
        const int64_t e = orientations == 2 && minus_is_better(pv, ov, a) ? a + 1 : a;
        best_pvalue[t] = pv[e];
        best_offset[t] = off[e];
        best_overlap[t] = ov[e];
        strand[t] = e == a ? '+' : '-';
    }
}

// What every query of one comparison shares: the database with its entries ordered by width (see
// tomtom_compare), its columns as four arrays, the settings, and out[t], entry t's place in the
// caller's order.
struct Setup {
    const TomtomDatabase& db;
    Columns cols;
    int distance;
    const double* bg;
    int orientations, min_overlap;
    const int64_t* out;
    bool ed_estimate;  // (AVX-512) ed's grid values from estimates (ed_grid_avx512)
};

// How many of v[0, n) take each value in [0, B): c[0, B) (c holds 4 * B counts: four partial
// counts, so that repeated values do not wait on each other's increments, summed at the end).
template <class T>
EXACTPWM_HOT void count_values(const T* v, int64_t n, int64_t B, int32_t* c) {
    std::fill(c, c + 4 * B, 0);
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        ++c[v[j]];
        ++c[B + v[j + 1]];
        ++c[2 * B + v[j + 2]];
        ++c[3 * B + v[j + 3]];
    }
    for (; j < n; ++j) ++c[v[j]];
    for (int64_t b = 0; b < B; ++b) c[b] += c[B + b] + c[2 * B + b] + c[3 * B + b];
}

// The values row[k] whose bucket[k] lies in [first, first + span] (as uint16_t: bucket[k] - first
// <= span), for k in [0, n), stored at kept[0, m); returns m. Few match: 32 buckets are tested at a
// time (one vector reduction), and only where one matches are they looked at one by one.
inline int64_t matches(const uint16_t* bucket, int64_t n, uint16_t first, uint16_t span, const double* row,
                       double* kept) {
    int64_t m = 0, k = 0;
    for (; k + 32 <= n; k += 32) {
        int hits = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : hits)
#endif
        for (int t = 0; t < 32; ++t) hits += static_cast<uint16_t>(bucket[k + t] - first) <= span;
        if (!hits) continue;
        for (int t = 0; t < 32; ++t)
            if (static_cast<uint16_t>(bucket[k + t] - first) <= span) kept[m++] = row[k + t];
    }
    for (; k < n; ++k)
        if (static_cast<uint16_t>(bucket[k] - first) <= span) kept[m++] = row[k];
    return m;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// The same with AVX-512BW: one compare gives the 32 buckets' matches as a mask, whose set bits are
// visited (the order of kept differs; its caller sorts it).
__attribute__((target("avx512f,avx512bw"))) int64_t matches_avx512(const uint16_t* bucket, int64_t n, uint16_t first,
                                                                 uint16_t span, const double* row, double* kept) {
    const __m512i f = _mm512_set1_epi16(static_cast<short>(first)), s = _mm512_set1_epi16(static_cast<short>(span));
    int64_t m = 0, k = 0;
    for (; k + 32 <= n; k += 32) {
        uint32_t mask = _mm512_cmple_epu16_mask(_mm512_sub_epi16(_mm512_loadu_si512(bucket + k), f), s);
        for (; mask; mask &= mask - 1) kept[m++] = row[k + __builtin_ctz(mask)];
    }
    return m + matches(bucket + k, n - k, first, span, row + k, kept + m);
}

// ... and with AVX2: d <= span where min(d, span) == d; the byte mask has two bits per bucket.
__attribute__((target("avx2"))) int64_t matches_avx2(const uint16_t* bucket, int64_t n, uint16_t first, uint16_t span,
                                                   const double* row, double* kept) {
    const __m256i f = _mm256_set1_epi16(static_cast<short>(first)), s = _mm256_set1_epi16(static_cast<short>(span));
    int64_t m = 0, k = 0;
    for (; k + 16 <= n; k += 16) {
        const __m256i d = _mm256_sub_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bucket + k)), f);
        uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_min_epu16(d, s), d)));
        for (; mask; mask &= mask - 1, mask &= mask - 1) kept[m++] = row[k + __builtin_ctz(mask) / 2];
    }
    return m + matches(bucket + k, n - k, first, span, row + k, kept + m);
}
#endif

// The matches for the instruction set I.
template <Isa I>
EXACTPWM_HOT int64_t matches_for(const uint16_t* bucket, int64_t n, uint16_t first, uint16_t span, const double* row,
                                 double* kept) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if constexpr (I == Isa::Avx512) return matches_avx512(bucket, n, first, span, row, kept);
    if constexpr (I == Isa::Avx2) return matches_avx2(bucket, n, first, span, row, kept);
#endif
    return matches(bucket, n, first, span, row, kept);
}

// Each of v[0, n) (in [lo, hi], lo < hi) in one of B equal buckets (w.bucket[0, n)), and how many lie
// in each: returns the counts (w.counts[0, B)). B <= 2^16.
EXACTPWM_HOT const int32_t* bucket_counts(const double* v, int64_t n, double lo, double hi, int64_t B, Scratch& w) {
    const double inv = static_cast<double>(B) / (hi - lo), top = static_cast<double>(B - 1);
    w.bucket.resize(static_cast<size_t>(n));
    uint16_t* bucket = w.bucket.data();
    for (int64_t j = 0; j < n; ++j) bucket[j] = static_cast<uint16_t>(std::min((v[j] - lo) * inv, top));
    w.counts.resize(static_cast<size_t>(4 * B));
    count_values(bucket, n, B, w.counts.data());
    return w.counts.data();
}

// The order statistics ra <= rb (0-based ranks) of row[0, n), whose values lie in [lo, hi] (lo <
// hi), finite. Bucketed selection: one pass to count values per bucket, then only the bucket(s)
// holding those ranks are sorted. B buckets (at most 2^16).
template <Isa I>
EXACTPWM_HOT std::pair<double, double> bucket_order_stats(const double* row, int64_t n, double lo, double hi,
                                                          int64_t ra, int64_t rb, Scratch& w, int64_t B = 2048) {
    const int32_t* c = bucket_counts(row, n, lo, hi, B, w);
    const uint16_t* bucket = w.bucket.data();
    int64_t b1 = 0, below = 0;  // bucket holding rank ra, and the count below it
    while (below + c[b1] <= ra) below += c[b1++];
    int64_t b2 = b1, below2 = below;
    while (below2 + c[b2] <= rb) below2 += c[b2++];
    w.sorted.resize(static_cast<size_t>(n + 1));
    double* kept = w.sorted.data();
    const uint16_t first = static_cast<uint16_t>(b1), span = static_cast<uint16_t>(b2 - b1);
    const int64_t m = matches_for<I>(bucket, n, first, span, row, kept);
    std::sort(kept, kept + m);
    return {kept[ra - below], kept[rb - below]};
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // (GCC 12's intrinsics start from undefined vectors)
#endif
// The values of row[0, n) in [a, b), stored at kept[0, m) (kept holds n + 8), and how many lie
// below a (below); returns m. Eight values at a time: two compares give masks, the window's values
// are packed by the mask (a compress into a register, stored whole: kept[m, m + 8) is written).
__attribute__((target("avx512f,avx512dq"))) int64_t window_avx512(const double* row, int64_t n, double a, double b,
                                                                double* kept, int64_t* below) {
    const __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(b);
    int64_t m = 0, under = 0, k = 0;
    for (; k + 8 <= n; k += 8) {
        const __m512d x = _mm512_loadu_pd(row + k);
        const __mmask8 lt = _mm512_cmp_pd_mask(x, va, _CMP_LT_OQ);
        const __mmask8 in = _mm512_kandn(lt, _mm512_cmp_pd_mask(x, vb, _CMP_LT_OQ));
        _mm512_storeu_pd(kept + m, _mm512_maskz_compress_pd(in, x));
        under += __builtin_popcount(lt);
        m += __builtin_popcount(in);
    }
    for (; k < n; ++k) {
        under += row[k] < a;
        if (row[k] >= a && row[k] < b) kept[m++] = row[k];
    }
    *below = under;
    return m;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

// The order statistics of order_stats from a window (AVX-512): a sample of the row (sample[0, m),
// every kSample-th value, kept as the row was made; counted in 256 buckets) bounds the values of
// ranks ra and rb with a margin of about four standard deviations of the sample's ranks; one pass
// counts the values below the window and packs those in it (window_avx512), and the ranks are
// selected among those (bucket_order_stats). The count per bucket of every value (about a cycle a
// value) is not made. Returns false where the window misses either rank (the caller then selects
// from the whole row).
EXACTPWM_HOT bool window_order_stats(const double* row, int64_t n, const double* sample, int64_t m, double lo,
                                     double hi, int64_t ra, int64_t rb, Scratch& w, std::pair<double, double>& out) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    constexpr int64_t kSampleBuckets = 256;
    const double inv = static_cast<double>(kSampleBuckets) / (hi - lo);
    const int32_t* c = bucket_counts(sample, m, lo, hi, kSampleBuckets, w);
    const double margin = 2.0 * std::sqrt(static_cast<double>(m)) + 2.0;  // sigma <= sqrt(m) / 2
    const double ka = static_cast<double>(ra) * static_cast<double>(m) / static_cast<double>(n) - margin;
    const double kb = static_cast<double>(rb) * static_cast<double>(m) / static_cast<double>(n) + margin;
    int64_t ba = 0, bb = 0, seen = 0;  // the buckets holding sample ranks ka and kb
    for (; ba < kSampleBuckets - 1 && static_cast<double>(seen + c[ba]) <= ka; ++ba) seen += c[ba];
    for (bb = ba; bb < kSampleBuckets - 1 && static_cast<double>(seen + c[bb]) <= kb; ++bb) seen += c[bb];
    const double a = ba == 0 ? -INFINITY : lo + static_cast<double>(ba) / inv;
    const double b = bb == kSampleBuckets - 1 ? INFINITY : lo + static_cast<double>(bb + 1) / inv;
    w.window.resize(static_cast<size_t>(n + 8));
    double* kept = w.window.data();
    int64_t below = 0;
    const int64_t k = window_avx512(row, n, a, b, kept, &below);
    if (below > ra || below + k <= rb) return false;
    double wlo = kept[0], whi = kept[0];
#ifdef _OPENMP
#pragma omp simd reduction(min : wlo) reduction(max : whi)
#endif
    for (int64_t j = 0; j < k; ++j) {
        wlo = kept[j] < wlo ? kept[j] : wlo;
        whi = kept[j] > whi ? kept[j] : whi;
    }
    // about 16 of the window's values per bucket
    const int64_t B = std::min<int64_t>(2048, std::max<int64_t>(64, k / 16));
    out = wlo == whi ? std::pair<double, double>{wlo, wlo}
                     : bucket_order_stats<Isa::Avx512>(kept, k, wlo, whi, ra - below, rb - below, w, B);
    return true;
#else
    (void)row, (void)n, (void)sample, (void)m, (void)lo, (void)hi, (void)ra, (void)rb, (void)w, (void)out;
    return false;
#endif
}

// The order statistics ra <= rb (0-based ranks) of row[0, n), whose values lie in [lo, hi], finite:
// window_order_stats where the row's sample is kept (sample[0, m), m > 0: AVX-512, rows of
// kWindowRow values or more), otherwise (or where the window misses) bucket_order_stats.
template <Isa I>
EXACTPWM_HOT std::pair<double, double> order_stats(const double* row, int64_t n, const double* sample, int64_t m,
                                                   double lo, double hi, int64_t ra, int64_t rb, Scratch& w) {
    if (hi == lo) return {lo, lo};
    if constexpr (I == Isa::Avx512) {
        std::pair<double, double> out;
        if (m > 0 && window_order_stats(row, n, sample, m, lo, hi, ra, rb, w, out)) return out;
    }
    return bucket_order_stats<I>(row, n, lo, hi, ra, rb, w);
}

// Tomtom's median ranks of n values: floor(n / 2) - 1 and ceil(n / 2) - 1 (0-based; as MEME's
// shift_all_pairwise_scores, whose median is the mean of those two order statistics).
EXACTPWM_HOT std::pair<int64_t, int64_t> median_ranks(int64_t n) {
    const int64_t i1 = std::max<int64_t>(static_cast<int64_t>(std::floor(0.5 * n)) - 1, 0);
    return {i1, std::max<int64_t>(static_cast<int64_t>(std::ceil(0.5 * n)) - 1, i1)};
}

// Every entry's best alignment (complete score, then overlap, then the first offset): its grid value
// (complete score + L * G) in value, its offset in at, and complete * 2^24 + overlap in key. An alignment at offset k sums the grid
// values of query columns [i0, i1) on diagonal k of the entry, i0 = max(0, -k), i1 = min(L, wd - k),
// as the difference of two partial diagonal sums: the sum of the first m query columns is 0 for
// m = 0, D[first + k + L - 1] (the full diagonal sums) for m = L, and otherwise was kept while D was
// made (see partial_sums): P[m * (E + 1) + t] at k = -m, P[m * (E + 1) + t + 1] at k = wd - m.
// The entries of one width lie together (tomtom_compare orders them so) and share their offsets, so
// each offset is tried on all of them at once: the loops over entries vectorize. key[t] holds the
// best so far as complete * 2^24 + overlap, at[t] its offset; a strict comparison, offsets in
// ascending order, keeps the first offset of equal keys. The offsets fall in four runs, each with its
// own sums: k < 0 with i1 = L, k < 0 with i1 < L (an entry narrower than the query), k >= 0 with
// i1 = L (the whole query on the entry), k >= 0 with i1 < L.
EXACTPWM_HOT void best_alignments(const int32_t* D, const int32_t* P, int64_t L, int64_t G,
                                  const TomtomDatabase& db, int min_overlap, int64_t* key, int64_t* at,
                                  int64_t* value) {
    const int64_t E = db.n_entries;
    for (int64_t t0 = 0, t1 = 0; t0 < E; t0 = t1) {
        t1 = t0 + 1;
        while (t1 < E && db.width_index[t1] == db.width_index[t0]) ++t1;
        const int64_t first = db.entry_start[t0], wd = db.entry_start[t0 + 1] - first;
        const int64_t mo = std::min<int64_t>({min_overlap, L, wd});
        const int64_t kmin = mo - L, kmax = wd - mo, split = wd - L;  // i1 = L exactly for k <= split
        std::fill(key + t0, key + t1, INT64_MIN);
        std::fill(at + t0, at + t1, kmin);
        // entry t's full diagonal at offset k: D[fb + t * wd + k], fb = first - t0 * wd + L - 1
        const int64_t fb = first - t0 * wd + L - 1;
        const auto keep = [&](int64_t t, int64_t k, int64_t x) {
            const bool better = x > key[t];
            at[t] = better ? k : at[t];
            key[t] = better ? x : key[t];
        };
        for (int64_t k = kmin; k <= std::min<int64_t>(-1, split); ++k) {  // i0 = -k, i1 = L
            const int64_t ov = L + k, base = -ov * G;
            const int32_t* l = P + (-k) * (E + 1);
#ifdef _OPENMP
#pragma omp simd
#endif
            for (int64_t t = t0; t < t1; ++t) keep(t, k, (base + D[fb + t * wd + k] - l[t]) * kOverlapSpan + ov);
        }
        for (int64_t k = std::max<int64_t>(kmin, split + 1); k <= std::min<int64_t>(-1, kmax); ++k) {  // i0 = -k, i1 = wd - k
            const int64_t base = -wd * G;
            const int32_t *l = P + (-k) * (E + 1), *h = P + (wd - k) * (E + 1) + 1;
#ifdef _OPENMP
#pragma omp simd
#endif
            for (int64_t t = t0; t < t1; ++t) keep(t, k, (base + h[t] - l[t]) * kOverlapSpan + wd);
        }
        for (int64_t k = std::max<int64_t>(kmin, 0); k <= std::min(kmax, split); ++k) {  // i0 = 0, i1 = L
            const int64_t base = -L * G;
#ifdef _OPENMP
#pragma omp simd
#endif
            for (int64_t t = t0; t < t1; ++t) keep(t, k, (base + D[fb + t * wd + k]) * kOverlapSpan + L);
        }
        for (int64_t k = std::max<int64_t>({kmin, 0, split + 1}); k <= kmax; ++k) {  // i0 = 0, i1 = wd - k
            const int64_t ov = wd - k, base = -ov * G;
            const int32_t* h = P + ov * (E + 1) + 1;
#ifdef _OPENMP
#pragma omp simd
#endif
            for (int64_t t = t0; t < t1; ++t) keep(t, k, (base + h[t]) * kOverlapSpan + ov);
        }
        for (int64_t t = t0; t < t1; ++t) value[t] = (key[t] - (key[t] & (kOverlapSpan - 1))) / kOverlapSpan + L * G;
    }
}

// With D holding the sums of the first m query columns along every diagonal (m in [1, L)), keeps
// the ones that alignments ending or starting at query column m read, at diagonal positions
// start[t] - m for t in [0, E]: P[t] at offset -m of entry t, and P[t + 1] at offset wd - m of entry
// t (its end, first + wd, is the next entry's start).
EXACTPWM_HOT void partial_sums(const int32_t* D, int64_t L, int64_t m, const TomtomDatabase& db, int32_t* P) {
    const int64_t* start = db.entry_start;
    const int32_t* at = D + L - 1 - m;  // at[p]: diagonal position p - m
    for (int64_t t = 0; t <= db.n_entries; ++t) P[t] = at[start[t]];
}

// A score's place on Tomtom's grid: ((x - median) - off) * scale + 0.5, truncated (it is >= 0.5, so
// truncation rounds).
EXACTPWM_HOT int32_t grid_value(double x, double median, double off, double scale) {
    return static_cast<int32_t>(((x - median) - off) * scale + 0.5);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // (GCC 12's intrinsics start from undefined vectors)
#endif
// The grid values of ed's scores -sqrt(s), s in v[0, m), into g[0, m), without a square root per
// value (AVX-512's is slow on some CPUs): 16 values at a time in single precision, the reciprocal
// square root estimate (relative error below 2^-14) and one Newton step give sqrt(s) to a relative
// error below 2^-21, so the estimate of the grid position q = ((x - median) - off) * scale + 0.5
// lies within dq of the exact q (dq, made by the caller, bounds that error and every rounding, of
// the estimate and of the exact q). Each of the exact q's four roundings is monotone in x, so where
// no integer lies within dq of the estimate its truncation is the exact one; where one does, the
// value is made exactly (-std::sqrt in double precision, as the other builds make every value). s
// is taken in [1e-30, 1e30] (0 and tiny values have an estimate; the error this adds is far below
// dq); the caller uses this only where dq < 0.25, so s is below 2^36.
struct EdEstimate {  // the constants of one row
    double median, off, scale, dq;
};
__attribute__((target("avx512f,avx512dq,avx512vl"))) void ed_grid_avx512(const double* v, int64_t m,
                                                                       const EdEstimate& e, int32_t* g) {
    const double median = e.median, off = e.off, scale = e.scale;
    const __m512 tiny = _mm512_set1_ps(1e-30f), huge = _mm512_set1_ps(1e30f), half = _mm512_set1_ps(0.5f);
    const __m512 three_halves = _mm512_set1_ps(1.5f), nscale = _mm512_set1_ps(static_cast<float>(-scale));
    const __m512 c = _mm512_set1_ps(static_cast<float>(0.5 - (median + off) * scale));
    const __m512 d = _mm512_set1_ps(static_cast<float>(e.dq));
    int64_t k = 0;
    for (; k + 16 <= m; k += 16) {
        const __m512 f = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(_mm512_loadu_pd(v + k))),
                                            _mm512_cvtpd_ps(_mm512_loadu_pd(v + k + 8)), 1);
        const __m512 s = _mm512_min_ps(_mm512_max_ps(f, tiny), huge);
        const __m512 r = _mm512_rsqrt14_ps(s);
        const __m512 t = _mm512_mul_ps(s, r);  // sqrt(s), to 2^-14
        const __m512 u = _mm512_mul_ps(t, r);  // about 1
        const __m512 w = _mm512_mul_ps(_mm512_fnmadd_ps(u, half, three_halves), nscale);
        const __m512 q = _mm512_fmadd_ps(t, w, c);  // -sqrt(s) (1.5 - u / 2) * scale + 0.5 - (median + off) * scale
        const __m512i lo = _mm512_cvttps_epi32(_mm512_sub_ps(q, d)), hi = _mm512_cvttps_epi32(_mm512_add_ps(q, d));
        _mm512_storeu_si512(g + k, hi);
        for (unsigned near = _mm512_cmpneq_epi32_mask(lo, hi); near; near &= near - 1) {
            const int b = __builtin_ctz(near);
            g[k + b] = grid_value(-std::sqrt(v[k + b]), median, off, scale);
        }
    }
    for (; k < m; ++k) g[k] = grid_value(-std::sqrt(v[k]), median, off, scale);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

// The grid values of one row's scores: grid_value of each score, or for ed, whose rows hold squared
// distances s (score_row), of -sqrt(s): one at a time (value), or a block at a time from estimates
// (block: AVX-512, ed_grid_avx512).
template <Isa I>
struct ToGrid {
    double median, off, scale;
    bool estimate;  // the row holds ed's squared distances, put on the grid by ed_grid_avx512 (bound dq)
    double dq;
    EXACTPWM_HOT int32_t value(double v) const { return grid_value(estimate ? -std::sqrt(v) : v, median, off, scale); }
    // whether the estimates' path is taken (AVX-512, a bound below a quarter grid step)
    EXACTPWM_HOT bool estimates() const { return I == Isa::Avx512 && estimate && dq < 0.25; }
    EXACTPWM_HOT void block(const double* v, int64_t m, int32_t* g) const {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        if constexpr (I == Isa::Avx512)
            if (estimates()) return ed_grid_avx512(v, m, EdEstimate{median, off, scale, dq}, g);
#endif
        for (int64_t k = 0; k < m; ++k) g[k] = value(v[k]);
    }
};

// The grid values of row[0, n) (monotone, in [zl, zh], zh < H; to_grid makes them) added into D[0,
// n), and how many take each value: returns the counts c[0, H). The count is bound by its stores,
// so it counts pairs, columns j and j + n / 2, in a (span, span) table (span = zh - zl + 1; two
// tables, alternating, so that a repeated pair does not wait on the previous increment): half the
// stores of counting values one at a time. The tables' row and column sums are the counts; the
// tables are zeroed as they are summed (they start and end all zero, so no pass clears them). Where
// the span is too wide for the tables, values are counted one at a time (count_values).
// The grid values are made in the loop that adds them, or, from estimates, a block at a time first.
template <class Grid>
EXACTPWM_HOT const int32_t* grid_counts(const double* row, int64_t n, const Grid& to_grid, int32_t zl, int32_t zh,
                                        int64_t H, int32_t* D, Scratch& w) {
    const int64_t span = zh - zl + 1, half = n / 2;
    const bool pairs = span <= kPairSpan;
    w.z.resize(static_cast<size_t>(pairs ? half : n));
    if (pairs)
        w.counts.assign(static_cast<size_t>(H), 0);
    else
        w.counts.resize(static_cast<size_t>(4 * H));  // (count_values clears them)
    if (w.pairs.empty()) w.pairs.assign(static_cast<size_t>(2 * kPairSpan * kPairSpan), 0);
    int32_t* z = w.z.data();
    int32_t* c = w.counts.data();
    if (!pairs) {
        if (to_grid.estimate) to_grid.block(row, n, z);
#ifdef _OPENMP
#pragma omp simd
#endif
        for (int64_t j = 0; j < n; ++j) {
            if (!to_grid.estimate) z[j] = to_grid.value(row[j]);
            D[j] += z[j];
        }
        count_values(z, n, H, c);
        return c;
    }
    const double* row2 = row + half;
    int32_t* D2 = D + half;
    const int32_t s = static_cast<int32_t>(span);
    int32_t *t1 = w.pairs.data(), *t2 = t1 + span * span;
    if (to_grid.estimate) {
        constexpr int64_t kBlock = 512;
        int32_t g2[kBlock];  // the second values of a block (the first are made in z, then replaced by the pairs)
        for (int64_t j0 = 0; j0 < half; j0 += kBlock) {
            const int64_t m = std::min(kBlock, half - j0);
            int32_t* g1 = z + j0;
            to_grid.block(row + j0, m, g1);
            to_grid.block(row2 + j0, m, g2);
            int32_t *d1 = D + j0, *d2 = D2 + j0;
#ifdef _OPENMP
#pragma omp simd
#endif
            for (int64_t j = 0; j < m; ++j) {
                d1[j] += g1[j];
                d2[j] += g2[j];
                g1[j] = (g1[j] - zl) * s + (g2[j] - zl);
            }
        }
    } else {
#ifdef _OPENMP
#pragma omp simd
#endif
        for (int64_t j = 0; j < half; ++j) {
            const int32_t g = to_grid.value(row[j]), g2 = to_grid.value(row2[j]);
            D[j] += g;
            D2[j] += g2;
            z[j] = (g - zl) * s + (g2 - zl);
        }
    }
    if (n & 1) {
        const int32_t g = to_grid.value(row[n - 1]);
        D[n - 1] += g;
        ++c[g];
    }
    int64_t j = 0;
    for (; j + 2 <= half; j += 2) {
        ++t1[z[j]];
        ++t2[z[j + 1]];
    }
    for (; j < half; ++j) ++t1[z[j]];
    int32_t* second = c + zl;  // the second value's counts: the tables' column sums
    for (int64_t a = 0; a < span; ++a) {
        int32_t *x = t1 + a * span, *y = t2 + a * span;
        int32_t first = 0;
#ifdef _OPENMP
#pragma omp simd reduction(+ : first)
#endif
        for (int64_t b = 0; b < span; ++b) {
            const int32_t v = x[b] + y[b];
            first += v;
            second[b] += v;
            x[b] = 0;
            y[b] = 0;
        }
        c[zl + a] += first;
    }
    return c;
}

// One query (L columns Q, (L, 4), and its site count nq) against the database: pvalue, offset and
// overlap of every entry, in the caller's order (job.out).
// I: the instruction set it is compiled for.
template <Isa I>
EXACTPWM_HOT void compare_one_impl(const double* Q, int64_t L, double nq, const Setup& job, double* pvalue,
                                   int64_t* offset, int64_t* overlap, Scratch& w) {
    const TomtomDatabase& db = job.db;  // (its columns are job.cols)
    const Columns& cols = job.cols;
    const int distance = job.distance, orientations = job.orientations, min_overlap = job.min_overlap;
    const double* bg = job.bg;
    const int64_t* out = job.out;
    const int64_t n = db.n_cols;
    // ed, its grid values from estimates (AVX-512, where they are faster than square roots): the rows
    // hold squared distances (score_row<5>)
    const bool squared = I == Isa::Avx512 && distance == 0 && job.ed_estimate;
    w.scores.resize(static_cast<size_t>(L * n));
    w.median.resize(static_cast<size_t>(L));
    double* S = w.scores.data();
    double small = INFINITY, large = -INFINITY;
    // the scores in tiles of database columns, each tile's columns read once for all query columns
    w.ranges.assign(static_cast<size_t>(L), RowRange{INFINITY, -INFINITY, true});
    // (AVX-512) every kSample-th score of each row, taken while its tile is in the cache (order_stats)
    const int64_t ms = I == Isa::Avx512 && n >= kWindowRow ? (n + kSample - 1) / kSample : 0;
    w.samples.resize(static_cast<size_t>(L * ms));
    for (int64_t j0 = 0; j0 < n; j0 += kTile) {  // (kTile is a multiple of kSample)
        const int64_t m = std::min(kTile, n - j0);
        const Columns tile{cols.a + j0, cols.c + j0, cols.g + j0, cols.t + j0, cols.nsites + j0, m, cols.finite};
        for (int64_t i = 0; i < L; ++i) {
            double* row = S + i * n + j0;
            const RowRange r = score_row_any(squared ? 5 : distance, Q + 4 * i, tile, nq, bg, row);
            RowRange& all = w.ranges[static_cast<size_t>(i)];
            all = {std::min(all.lo, r.lo), std::max(all.hi, r.hi), all.finite && r.finite};
            if (ms) {
                double* sample = w.samples.data() + i * ms + j0 / kSample;
                for (int64_t k = 0; k * kSample < m; ++k) sample[k] = row[k * kSample];
            }
        }
    }
    for (int64_t i = 0; i < L; ++i) {
        double* row = S + i * n;
        const double* sample = w.samples.data() + i * ms;
        const RowRange r = w.ranges[static_cast<size_t>(i)];
        if (!r.finite) {  // NaN p-values: reported by the caller
            std::fill(pvalue, pvalue + db.n_entries, NAN);
            std::fill(offset, offset + db.n_entries, 0);
            std::fill(overlap, overlap + db.n_entries, 0);
            return;
        }
        // complete scores: the column's median over the database moves to 0 (subtracted below)
        const auto [i1, i2] = median_ranks(n);
        double a, b;  // the scores of ranks i1 and i2
        if (squared) {  // -sqrt(s) is non-increasing in s: the scores' ranks are the squared distances' reversed
            const auto [sb, sa] = order_stats<I>(row, n, sample, ms, r.lo, r.hi, n - 1 - i2, n - 1 - i1, w);
            a = -std::sqrt(sa);
            b = -std::sqrt(sb);
            w.ranges[static_cast<size_t>(i)] = {-std::sqrt(r.hi), -std::sqrt(r.lo), true};  // the scores' range
        } else {
            std::tie(a, b) = order_stats<I>(row, n, sample, ms, r.lo, r.hi, i1, i2, w);
        }
        const double median = (a + b) / 2.0;
        w.median[static_cast<size_t>(i)] = median;
        const RowRange x = w.ranges[static_cast<size_t>(i)];
        small = std::min(small, x.lo - median);
        large = std::max(large, x.hi - median);
    }
    if (large == small) small = large - 1;
    const double off = std::floor(small);
    const double scale = std::max(std::floor(kBins / (large - off)), 1.0);
    const int64_t G = static_cast<int64_t>(-off * scale);  // an unaligned column's score on the grid
    // the grid is monotone in the score, so its largest value is the largest score's
    const int64_t R = static_cast<int64_t>((large - off) * scale + 0.5);
    const int64_t H = R + 1;
    // the diagonal sums of the grid scores, one row updated in place: after query columns [0, m),
    // D[p + L - 1] = sum over i < m of z[i][p + i] (0 outside the database), p the diagonal (target
    // column minus query column); partial_sums keeps what the alignments' overhangs read
    const int64_t W = n + L - 1, E_n = db.n_entries;
    // int32 sums of L values below H: the histograms above hold L * H doubles, so L * H < 2^31
    w.diagonal.assign(static_cast<size_t>(W), 0);
    w.partial.resize(static_cast<size_t>(L * (E_n + 1)));
    w.hist.assign(static_cast<size_t>(L * H), 0.0);
    w.span.resize(static_cast<size_t>(2 * L));
    for (int64_t i = 0; i < L; ++i) {
        const double median = w.median[static_cast<size_t>(i)];
        // the grid is monotone in the score, so the row's grid values lie in [grid(lo), grid(hi)]
        const RowRange r = w.ranges[static_cast<size_t>(i)];  // (the scores' range)
        // ed_grid_avx512's bound: the estimate's relative error (below 2^-21, taken as 2^-19) at the
        // largest |score|, and the roundings of the constant term and of the estimate (each below 2^-24
        // of magnitudes below scale * (|median| + |off| + xmax) + 1; taken as 2^-22 of twice that)
        const double xmax = std::max(std::fabs(r.lo), std::fabs(r.hi));
        const double dq = scale * xmax * 0x1p-19 + (2 * scale * (std::fabs(median) + std::fabs(off) + xmax) + 2) * 0x1p-22;
        const ToGrid<I> to_grid{median, off, scale, squared, dq};
        // query column i's terms of the diagonal sums: column j lies on diagonal j - i, stored at j + L - 1 - i
        const int32_t* c = grid_counts(S + i * n, n, to_grid, grid_value(r.lo, median, off, scale),
                                       grid_value(r.hi, median, off, scale), H, w.diagonal.data() + L - 1 - i, w);
        if (i + 1 < L)
            partial_sums(w.diagonal.data(), L, i + 1, db, w.partial.data() + (i + 1) * (E_n + 1));
        double* h = w.hist.data() + i * H;
        int64_t lo = H, hi = -1;
        for (int64_t v = 0; v < H; ++v) {
            h[v] = static_cast<double>(c[v]) / static_cast<double>(n);
            if (c[v]) {
                lo = std::min(lo, v);
                hi = v;
            }
        }
        w.span[static_cast<size_t>(2 * i)] = lo;
        w.span[static_cast<size_t>(2 * i + 1)] = hi;
    }
    // log P(sum over columns [s, e] < x) on the grid x = sum + (L - (e - s + 1)) * G, added into
    // the tables of the entry widths whose alignments use columns [s, e]: the best of all
    // L + w - 1 alignments, in every orientation, of a random width-w entry
    const int64_t E = L * std::max(R, G) + 1;
    // Each use of columns [s, e] makes its width's total -inf below its shift (L - (e - s + 1)) * G:
    // so a total is -inf below the largest shift of its uses (low[k]), and only the sums at and above
    // it are made (the same numbers there: every use adds at each of those grid values, in order).
    w.uses.assign(static_cast<size_t>(L * L), {});
    w.low.assign(static_cast<size_t>(db.n_widths), 0);
    for (int64_t k = 0; k < db.n_widths; ++k) {
        const int64_t wd = db.widths[k];
        for (int64_t i = 0; i < L + wd - 1; ++i) {
            const int64_t s = i < L ? L - i - 1 : 0;
            const int64_t e = i < L ? std::min(L, s + wd) - 1 : std::min(L, wd + L - i - 1) - 1;
            w.uses[static_cast<size_t>(s * L + e)].push_back(k);
            w.low[static_cast<size_t>(k)] = std::max(w.low[static_cast<size_t>(k)], (L - (e - s + 1)) * G);
        }
    }
    // each entry's best alignment first: a width's totals are read only at its entries' best grid
    // values, so they are made from the lowest of them up (low[k] rises to it)
    for (std::vector<int64_t>* v : {&w.value, &w.key, &w.at}) v->resize(static_cast<size_t>(db.n_entries));
    best_alignments(w.diagonal.data(), w.partial.data(), L, G, db, min_overlap, w.key.data(),
                    w.at.data(), w.value.data());
    std::vector<int64_t>& need = w.low;  // (at least the shifts' -inf part)
    {
        std::vector<int64_t> lowest(static_cast<size_t>(db.n_widths), E);
        for (int64_t t = 0; t < db.n_entries; ++t) {
            int64_t& m = lowest[static_cast<size_t>(db.width_index[t])];
            m = std::min(m, w.value[static_cast<size_t>(t)]);
        }
        for (int64_t k = 0; k < db.n_widths; ++k)
            need[static_cast<size_t>(k)] = std::max(need[static_cast<size_t>(k)],
                                                    std::min(lowest[static_cast<size_t>(k)], E));
    }
    w.total.assign(static_cast<size_t>(db.n_widths * E), 0.0);
    w.row.resize(static_cast<size_t>(E));
    // the distributions live at offset pad in zero-padded buffers (see convolve)
    const int64_t pad = H + 32;
    w.pmf.assign(static_cast<size_t>(L * H + 1 + 2 * pad), 0.0);
    w.next.assign(static_cast<size_t>(L * H + 1 + 2 * pad), 0.0);
    // The rows of columns [s, e] are read from their users' lowest need up (from_e below); so the
    // distribution after column e is needed from cut[e] up: from_e, and what column e + 1's
    // convolution reads (cut[e + 1] - its highest grid value). Below the cuts nothing is made, and
    // the chain of a start s ends at its last window with users.
    w.cut.resize(static_cast<size_t>(L));
    for (int64_t s = 0; s < L; ++s) {
        int64_t last = -1, later = INT64_MAX;
        for (int64_t e = L - 1; e >= s; --e) {
            int64_t c = later;
            const std::vector<int64_t>& users = w.uses[static_cast<size_t>(s * L + e)];
            if (!users.empty()) {
                last = std::max(last, e);
                const int64_t shift = (L - (e - s + 1)) * G;
                for (const int64_t k : users) c = std::min(c, need[static_cast<size_t>(k)] - shift);
            }
            w.cut[static_cast<size_t>(e)] = c;
            later = c == INT64_MAX ? c : c - w.span[static_cast<size_t>(2 * e + 1)];
        }
        int64_t size = 1, plo = 0, phi = 0;  // pmf is zero outside [plo, phi]
        w.pmf[static_cast<size_t>(pad)] = 1.0;
        std::fill(w.pmf.begin() + pad + 1, w.pmf.begin() + 2 * pad + 1, 0.0);
        for (int64_t e = s; e <= last; ++e) {
            const double* h = w.hist.data() + e * H;
            const int64_t out = size + H - 1, lo = w.span[static_cast<size_t>(2 * e)],
                          hi = w.span[static_cast<size_t>(2 * e + 1)];
            convolve<I == Isa::Avx512 ? 8 : 4>(w.pmf.data() + pad, plo, phi, h, lo, hi, out, pad, std::min(w.cut[static_cast<size_t>(e)], out),
                     w.next.data() + pad);
            std::swap(w.pmf, w.next);
            size = out;
            plo += lo;
            phi += hi;
            const std::vector<int64_t>& users = w.uses[static_cast<size_t>(s * L + e)];
            if (users.empty()) continue;
            // the row is -inf below shift, log1p(-survival) on [shift, shift + size) and 0 above;
            // above phi the survival is 0 and the row -0 (adding +-0 leaves a total as it is: totals
            // start at +0 and never become -0), so only [from, phi] is made and added
            double* row = w.row.data();
            const int64_t shift = (L - (e - s + 1)) * G;
            int64_t from = size;  // the row is needed from the lowest low[k] of its users up
            for (const int64_t k : users) from = std::min(from, need[static_cast<size_t>(k)] - shift);
            double surv = 0;
            const double* pmf = w.pmf.data() + pad;
            const int64_t top = std::min(size, phi + 1);  // pmf is 0 on [top, size)
            for (int64_t x = top - 1; x >= from; --x) {  // (from >= 0)
                surv += pmf[x];
                row[x] = surv >= 1.0 ? -INFINITY : std::log1p(-surv);
            }
            for (const int64_t k : users) {
                double* tot = w.total.data() + k * E;
                for (int64_t x = std::min(size, need[static_cast<size_t>(k)] - shift); x < top; ++x)
                    tot[shift + x] += row[x];
            }
        }
    }
    // below need[k] a total is -inf (below its shifts) or never read (below its entries' values)
    for (int64_t k = 0; k < db.n_widths; ++k)
        std::fill(w.total.begin() + k * E, w.total.begin() + k * E + need[static_cast<size_t>(k)], -INFINITY);
    // p-values of the (width, grid value) pairs the entries need, each made once: the pairs are
    // listed without branches (a pair is added, and marked, where it is not yet marked), then their
    // p-values made, then read by every entry
    w.marked.assign(static_cast<size_t>(db.n_widths * E), 0);
    w.needed.resize(static_cast<size_t>(db.n_entries));
    uint8_t* marked = w.marked.data();
    int64_t* pairs = w.needed.data();
    int64_t u = 0;
    for (int64_t t = 0; t < db.n_entries; ++t) {
        const int64_t at = db.width_index[t] * E + w.value[static_cast<size_t>(t)];
        pairs[u] = at;
        u += 1 - marked[at];
        marked[at] = 1;
    }
    w.pv.resize(static_cast<size_t>(db.n_widths * E));
    float* pv = w.pv.data();
    for (int64_t k = 0; k < u; ++k)
        pv[pairs[k]] = static_cast<float>(-std::expm1(orientations * w.total[static_cast<size_t>(pairs[k])]));
    for (int64_t t = 0; t < db.n_entries; ++t) {
        const int64_t at = db.width_index[t] * E + w.value[static_cast<size_t>(t)];
        const int64_t o = out[t];  // the entry's place in the caller's order
        pvalue[o] = static_cast<double>(pv[at]);
        offset[o] = w.at[static_cast<size_t>(t)];
        overlap[o] = w.key[static_cast<size_t>(t)] & (kOverlapSpan - 1);
    }
}

void compare_one(const double* Q, int64_t L, double nq, const Setup& job, double* pvalue, int64_t* offset,
                 int64_t* overlap, Scratch& w) {
    compare_one_impl<Isa::Scalar>(Q, L, nq, job, pvalue, offset, overlap, w);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// The same code compiled for AVX2 + FMA (chosen at run time): the column, bucket and
// convolution loops vectorize four doubles wide; the median's matches by mask (matches_avx2).
__attribute__((target("avx2,fma"))) void compare_one_avx2(const double* Q, int64_t L, double nq, const Setup& job,
                                                          double* pvalue, int64_t* offset, int64_t* overlap,
                                                          Scratch& w) {
    compare_one_impl<Isa::Avx2>(Q, L, nq, job, pvalue, offset, overlap, w);
}

// ... and for AVX-512 (F, BW, DQ, VL): eight doubles wide, masked tails; the median's matches by
// mask (matches_avx512), the convolutions' sums in eight-double vectors.
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) void compare_one_avx512(
    const double* Q, int64_t L, double nq, const Setup& job, double* pvalue, int64_t* offset, int64_t* overlap,
    Scratch& w) {
    compare_one_impl<Isa::Avx512>(Q, L, nq, job, pvalue, offset, overlap, w);
}
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// The grid values of ed's scores on the AVX-512 build, from square roots (exact) or estimates: the
// same values, in the cycles a row of 4,096 squared distances takes.
template <bool Estimate>
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) uint64_t ed_grid_cycles(const double* v, int64_t m,
                                                                                             int32_t* g) {
    const ToGrid<Isa::Avx512> to_grid{-0.5, -1.0, 70.0, true, 1e-3};
    uint64_t best = UINT64_MAX;
    for (int rep = 0; rep < 8; ++rep) {
        const uint64_t t0 = __rdtsc();
        if (Estimate)
            to_grid.block(v, m, g);
        else  // (a square root per value, as score_row<0> takes them)
            for (int64_t k = 0; k < m; ++k) g[k] = grid_value(-std::sqrt(v[k]), -0.5, -1.0, 70.0);
        best = std::min<uint64_t>(best, __rdtsc() - t0);
    }
    return best;
}
#endif

std::atomic<int> ed_grid_mode{0};

// Whether the AVX-512 build makes ed's grid values from estimates: as set by tomtom_ed_grid, or
// (mode 0) where they take fewer cycles than square roots on this CPU, measured once (the square
// root of eight doubles takes from a few cycles to over 15, by CPU).
bool ed_grid_estimates() {
    const int mode = ed_grid_mode.load();
    if (mode != 0) return mode == 2;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static const bool faster = [] {
        if (!cpu_supports(Isa::Avx512)) return false;
        std::vector<double> v(4096);
        std::vector<int32_t> g(v.size());
        for (size_t j = 0; j < v.size(); ++j) v[j] = 2.0 * static_cast<double>((j * 2654435761u) % 4096) / 4096;
        const int64_t m = static_cast<int64_t>(v.size());
        uint64_t exact = ed_grid_cycles<false>(v.data(), m, g.data()), estimate = ed_grid_cycles<true>(v.data(), m, g.data());
        exact = std::min(exact, ed_grid_cycles<false>(v.data(), m, g.data()));
        estimate = std::min(estimate, ed_grid_cycles<true>(v.data(), m, g.data()));
        return estimate < exact;
    }();
    return faster;
#else
    return false;
#endif
}

}  // namespace

int tomtom_ed_grid(int mode) { return ed_grid_mode.exchange(mode); }

void tomtom_compare(const double* query_cols, const int64_t* query_start, const double* query_nsites,
                    int64_t n_queries, const TomtomDatabase& db, int distance, const double* background,
                    int orientations, int min_overlap, double* pvalue, int64_t* offset, int64_t* overlap,
                    int threads, Isa isa, const TomtomBest* best) {
    threads = std::max(1, std::min<int>(threads, static_cast<int>(n_queries)));
    const int64_t n = db.n_cols, E = db.n_entries;
    // the entries ordered by width (stable), their columns with them, so that best_alignments tries
    // one offset on all entries of a width at once; the columns as four arrays (A, C, G, T)
    std::vector<int64_t> by_width(static_cast<size_t>(E)), start(static_cast<size_t>(E + 1)), index(by_width);
    for (int64_t t = 0; t < E; ++t) by_width[static_cast<size_t>(t)] = t;
    std::stable_sort(by_width.begin(), by_width.end(),
                     [&](int64_t x, int64_t y) { return db.width_index[x] < db.width_index[y]; });
    std::vector<double> soa(static_cast<size_t>(4 * n)), nsites(static_cast<size_t>(n));
    for (int64_t t = 0, j = 0; t < E; ++t) {
        const int64_t e = by_width[static_cast<size_t>(t)];
        start[static_cast<size_t>(t)] = j;
        index[static_cast<size_t>(t)] = db.width_index[e];
        for (int64_t i = db.entry_start[e]; i < db.entry_start[e + 1]; ++i, ++j) {
            for (int c = 0; c < 4; ++c) soa[static_cast<size_t>(c * n + j)] = db.cols[4 * i + c];
            nsites[static_cast<size_t>(j)] = db.nsites[i];
        }
    }
    start[static_cast<size_t>(E)] = n;
    bool finite = true;
    for (const double x : soa) finite = finite && std::isfinite(x);
    const TomtomDatabase ordered{nullptr, nsites.data(), n, start.data(), index.data(), E, db.widths, db.n_widths};
    const Setup setup{ordered,
                      {soa.data(), soa.data() + n, soa.data() + 2 * n, soa.data() + 3 * n, nsites.data(), n, finite},
                      distance,
                      background,
                      orientations,
                      min_overlap,
                      by_width.data(),
                      distance == 0 && ed_grid_estimates()};
    // the same code at each instruction set: contractions into FMA are off (CMakeLists.txt), so every
    // one rounds each operation as the scalar build (and MEME) does
    const Isa use = resolve_isa(isa);
    bool avx2 = false, avx512 = false;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    avx2 = use != Isa::Scalar && cpu_supports(Isa::Avx2);
    avx512 = use == Isa::Avx512 && cpu_supports(Isa::Avx512);
#endif
    (void)use;
    // one query against the database, with a thread's scratch (which also holds its results when
    // only each target's better orientation is kept)
    const auto compare_query = [&](int64_t q, Scratch& scratch) {
        const int64_t L = query_start[q + 1] - query_start[q];
        const double* Q = query_cols + 4 * query_start[q];
        if (best) {
            scratch.result_pvalue.resize(static_cast<size_t>(E));
            scratch.result_offset.resize(static_cast<size_t>(E));
            scratch.result_overlap.resize(static_cast<size_t>(E));
        }
        double* pv = best ? scratch.result_pvalue.data() : pvalue + q * E;
        int64_t* off = best ? scratch.result_offset.data() : offset + q * E;
        int64_t* ov = best ? scratch.result_overlap.data() : overlap + q * E;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        if (avx512)
            compare_one_avx512(Q, L, query_nsites[q], setup, pv, off, ov, scratch);
        else if (avx2)
            compare_one_avx2(Q, L, query_nsites[q], setup, pv, off, ov, scratch);
        else
#endif
            compare_one(Q, L, query_nsites[q], setup, pv, off, ov, scratch);
        if (best) {
            const int64_t T = E / orientations;
            pick_orientations(pv, off, ov, T, orientations, best->pvalue + q * T, best->offset + q * T,
                              best->overlap + q * T, best->strand + q * T);
        }
    };
    // the widest (costliest) queries first, so that no long query starts last
    std::vector<int64_t> order(static_cast<size_t>(n_queries));
    for (int64_t q = 0; q < n_queries; ++q) order[static_cast<size_t>(q)] = q;
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
        return query_start[x + 1] - query_start[x] > query_start[y + 1] - query_start[y];
    });
    detail::StopFlag stop;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        std::unique_ptr<Scratch> own;
        stop.guard([&] { own = take_scratch(); });
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int64_t i = 0; i < n_queries; ++i) {
            if (stop.stopped()) continue;
            stop.guard([&] { compare_query(order[static_cast<size_t>(i)], *own); });
        }
        if (own) stop.guard([&] { give_back(std::move(own)); });
    }
    stop.throw_if_stopped();
}

void tomtom_release() {
    std::vector<std::unique_ptr<Scratch>> drop;
    {
        const std::lock_guard<std::mutex> lock(pool_mutex);
        drop.swap(pool);
    }
}

namespace {

// Storey's pi0 of n ascending p-values, as exactpwm.core.pvalues.storey_pi0 computes it (100
// lambdas in (0, 0.5], the bootstraps' expected mean-squared error in closed form); the same
// operations in the same order, so the same double.
double storey_pi0_sorted(const double* p, int64_t n) {
    if (n <= 100) return 1.0;
    const int n_lambda = 100, bootstraps = 100;
    const double size = 1000.0;  // bootstrap sample size
    double pi0s[n_lambda], shares[n_lambda], lambdas[n_lambda];
    double floor = INFINITY;
    for (int k = 0; k < n_lambda; ++k) {
        const double lambda = (static_cast<double>(k + 1) / n_lambda) * 0.5;
        const int64_t greater = n - (std::lower_bound(p, p + n, lambda) - p);
        lambdas[k] = lambda;
        shares[k] = static_cast<double>(greater) / static_cast<double>(n);
        pi0s[k] = greater == 0 ? INFINITY : static_cast<double>(greater) / ((1.0 - lambda) * static_cast<double>(n));
        floor = std::min(floor, pi0s[k]);
    }
    int best = 0;
    double best_mse = 0;
    for (int k = 0; k < n_lambda; ++k) {
        const double share = shares[k], scale = (1.0 - lambdas[k]) * size;
        const double mean = share * size / scale;
        const double var = share * (1.0 - share) * size / (scale * scale);
        const double d = mean - floor;
        double mse = bootstraps * (var + d * d);
        if (bootstraps * std::pow(1.0 - share, size) >= 0.5) mse = INFINITY;
        if (k == 0 || mse < best_mse) {
            best = k;
            best_mse = mse;
        }
    }
    return std::min(std::max(pi0s[best], 0.0), 1.0);
}

// A table entry's sort key: the p-value's bits (monotone for p >= 0), then one integer for
// Tomtom's ties (larger overlap, then '+', then the name's rank).
using TableKey = std::pair<uint64_t, uint64_t>;
constexpr int64_t kMaxOverlap = (int64_t{1} << 24) - 1;

}  // namespace

void tomtom_table(const double* pvalue, const int64_t* offset, const int64_t* overlap, int64_t n_queries,
                  int64_t n_targets, int orientations, const int64_t* name_rank, uint8_t* rows,
                  const TomtomRowLayout& layout, int64_t first_query, int threads) {
    const int64_t T = n_targets, E = n_targets * orientations;
    threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<int64_t>(n_queries, 1))));
    std::vector<int64_t> by_name(static_cast<size_t>(T));  // rank -> target
    for (int64_t t = 0; t < T; ++t) by_name[static_cast<size_t>(name_rank[t])] = t;
    detail::StopFlag stop;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        std::vector<TableKey> keys;
        std::vector<uint64_t> packed, spare;
        std::vector<double> sorted, q;
        std::vector<uint8_t> better;
        stop.guard([&] {
            keys.resize(static_cast<size_t>(E));
            packed.resize(static_cast<size_t>(E));
            spare.resize(static_cast<size_t>(E));
            sorted.resize(static_cast<size_t>(E));
            q.resize(static_cast<size_t>(E));
            better.resize(static_cast<size_t>(E));
        });
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (int64_t qi = 0; qi < n_queries; ++qi) {
            if (stop.stopped()) continue;
            const double* pv = pvalue + qi * E;
            const int64_t* ov = overlap + qi * E;
            for (int64_t t = 0; t < T; ++t) {
                if (orientations == 1) {
                    better[static_cast<size_t>(t)] = 1;
                    continue;
                }
                const int64_t a = 2 * t, b = a + 1;
                const bool m = minus_is_better(pv, ov, a);
                better[static_cast<size_t>(a)] = !m;
                better[static_cast<size_t>(b)] = m;
            }
            // sort every entry by (p, larger overlap, '+' first, name rank): the p-value's bits
            // (monotone for p >= 0), then one integer for the ties. Where every p is a float32 number
            // (as tomtom_compare's are) and the ties fit 32 bits, one 64-bit key per entry sorts
            // faster than the pair; the order is the same.
            int64_t top = 0;
            bool compact = true;
            for (int64_t e = 0; e < E; ++e) {
                top = std::max(top, ov[e]);
                const double p = pv[e] + 0.0;
                compact &= static_cast<double>(static_cast<float>(p)) == p;
            }
            compact &= (top + 1) * 2 * T <= (int64_t{1} << 32);
            if (compact) {
                for (int64_t e = 0; e < E; ++e) {
                    const float p = static_cast<float>(pv[e] + 0.0);
                    uint32_t bits;
                    std::memcpy(&bits, &p, sizeof bits);
                    const uint64_t m = orientations == 2 ? static_cast<uint64_t>(e & 1) : 0;
                    const uint64_t tie = (static_cast<uint64_t>(top - ov[e]) * 2 + m) * static_cast<uint64_t>(T) +
                                         static_cast<uint64_t>(name_rank[e / orientations]);
                    packed[static_cast<size_t>(e)] = (static_cast<uint64_t>(bits) << 32) | tie;
                }
                detail::radix_sort(packed.data(), E, spare.data());
                for (int64_t k = 0; k < E; ++k) {  // back to the pair's form
                    const uint64_t key = packed[static_cast<size_t>(k)], tie = key & 0xFFFFFFFFu;
                    const uint32_t bits32 = static_cast<uint32_t>(key >> 32);
                    float p32;
                    std::memcpy(&p32, &bits32, sizeof p32);
                    const double p = p32;
                    uint64_t bits;
                    std::memcpy(&bits, &p, sizeof bits);
                    const uint64_t rank = tie % static_cast<uint64_t>(T), rest = tie / static_cast<uint64_t>(T);
                    const uint64_t ovl = static_cast<uint64_t>(top) - rest / 2;
                    keys[static_cast<size_t>(k)] = {bits, ((static_cast<uint64_t>(kMaxOverlap) - ovl) << 40) |
                                                              ((rest & 1) << 39) | rank};
                }
            } else {
                for (int64_t e = 0; e < E; ++e) {
                    const double p = pv[e] + 0.0;  // -0.0 sorts as 0
                    uint64_t bits;
                    std::memcpy(&bits, &p, sizeof bits);
                    const uint64_t m = orientations == 2 ? static_cast<uint64_t>(e & 1) : 0;
                    keys[static_cast<size_t>(e)] = {bits, (static_cast<uint64_t>(kMaxOverlap - ov[e]) << 40) |
                                                              (m << 39) |
                                                              static_cast<uint64_t>(name_rank[e / orientations])};
                }
                std::sort(keys.begin(), keys.end());
            }
            for (int64_t k = 0; k < E; ++k)
                std::memcpy(&sorted[static_cast<size_t>(k)], &keys[static_cast<size_t>(k)].first, sizeof(double));
            const double pi0 = storey_pi0_sorted(sorted.data(), E);
            const double nf = static_cast<double>(static_cast<float>(E));
            double low = INFINITY;
            for (int64_t k = E - 1; k >= 0; --k) {
                const double fdr = std::min(pi0 * sorted[static_cast<size_t>(k)] * nf / static_cast<double>(k + 1), 1.0);
                low = std::min(low, fdr);
                q[static_cast<size_t>(k)] = low;
            }
            uint8_t* out = rows + qi * T * layout.stride;
            for (int64_t k = 0; k < E; ++k) {
                const uint64_t tie = keys[static_cast<size_t>(k)].second;
                const int64_t m = static_cast<int64_t>((tie >> 39) & 1);
                const int64_t target = by_name[static_cast<size_t>(tie & ((uint64_t{1} << 39) - 1))];
                const int64_t entry = target * orientations + m;
                if (!better[static_cast<size_t>(entry)]) continue;
                const double p = sorted[static_cast<size_t>(k)];
                detail::put<int64_t>(out, layout.query, first_query + qi);
                detail::put<int64_t>(out, layout.target, target);
                detail::put<int64_t>(out, layout.offset, offset[qi * E + entry]);
                detail::put<int64_t>(out, layout.overlap, kMaxOverlap - static_cast<int64_t>(tie >> 40));
                detail::put<double>(out, layout.pvalue, p);
                detail::put<double>(out, layout.evalue, p * static_cast<double>(T));
                detail::put<double>(out, layout.qvalue, q[static_cast<size_t>(k)]);
                detail::put<char>(out, layout.strand, m ? '-' : '+');
                out += layout.stride;
            }
        }
    }
    stop.throw_if_stopped();
}

void tomtom_matrices(const double* pvalue, const int64_t* offset, const int64_t* overlap, int64_t n_queries,
                     int64_t n_targets, int orientations, double* best_pvalue, int64_t* best_offset,
                     int64_t* best_overlap, char* strand, int threads) {
    const int64_t T = n_targets, E = n_targets * orientations;
    threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<int64_t>(n_queries, 1))));
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int64_t q = 0; q < n_queries; ++q)
        pick_orientations(pvalue + q * E, offset + q * E, overlap + q * E, T, orientations, best_pvalue + q * T,
                          best_offset + q * T, best_overlap + q * T, strand + q * T);
}

}  // namespace exactpwm
