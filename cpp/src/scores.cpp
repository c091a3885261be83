// Drivers: split work into tiles, run them on OpenMP threads, call the block kernels.
// Every output value is computed by exactly one block-kernel call whose summation
// order does not depend on the tiling, so results do not depend on `threads`.
#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dispatch.hpp"
#include "exactpwm/engine.hpp"
#include "lookahead.hpp"
#include "per_thread.hpp"
#include "tiles.hpp"

namespace exactpwm {
namespace {

using namespace detail;

constexpr double kStreamBytes = 64.0 * (1 << 20);  // dense outputs this big bypass the caches

// Threads for a parallel loop over `n_tiles` tiles: never more than tiles, so a call with
// one tile runs on the calling thread alone (no team to start, nothing left spinning).
int team_size(int requested, int64_t n_tiles) {
    return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(std::max(1, requested), n_tiles)));
}

void check_table(int64_t n_kernels, int64_t length) {
    if (n_kernels < 0 || length < 1) throw std::invalid_argument("score table must have K >= 0 and L >= 1");
}

#ifdef _OPENMP
#define EXACTPWM_PARALLEL _Pragma("omp parallel num_threads(threads)")
#define EXACTPWM_FOR _Pragma("omp for schedule(dynamic, 1)")
#else
#define EXACTPWM_PARALLEL
#define EXACTPWM_FOR
#endif

// has_n[j]: window j of the block loaded in `scratch` holds an N (1) or not (0); returns whether
// any does (false, has_n untouched, when the block holds none: an N among its codes lies in some
// window, so a block with one has a window over it).
template <class T>
bool mark_n_windows(const Scratch<T>& scratch, int64_t nw, int64_t L, uint8_t* has_n) {
    if (!scratch.has_n) return false;
    mark_windows_over_n(scratch.bytes.data(), nw, L, 1, has_n);
    return nw > 0;
}

// Calls on_hit(s, j0, j, k, score) for every window j0 + j of sequence s whose score for
// kernel k reaches thresholds[k] (windows with N skipped if asked), block by block in
// position order and, within a block, kernel by kernel; then on_block_end(s, j0, nw).
template <class T, class OnHit, class OnBlockEnd>
void scan_threshold(const Tile& tile, const uint8_t* codes, const int64_t* offsets,
                    const ScoreTable<T>& table, const T* thresholds, bool skip_n_windows,
                    const Picked<T>& picked, const KernelRows<T>& rows, const LookaheadPlan& lookahead,
                    Scratch<T>& scratch,
                    std::vector<int32_t>& n_prefix, std::vector<int32_t>& found, StopFlag& stop,
                    OnHit&& on_hit, OnBlockEnd&& on_block_end) {
    const int64_t K = table.n_kernels, L = table.length;
    for_each_block(tile, codes, offsets, L, scratch, stop, [&](int64_t s, int64_t j0, int64_t nw) {
        bool prefix_ready = false;  // n_prefix[i] = number of N among the block's first i codes
        // windows holding an N die in the filter's first pass (N reads as A in its tuple codes)
        BlockCodes view = scratch.view(!skip_n_windows);
        if (picked.filter && skip_n_windows && scratch.has_n) view.dead = scratch.mark_dead(nw, L);
        auto window_has_n = [&](int64_t j) {
            if (!scratch.has_n) return false;
            if (view.dead) return view.dead[j] != 0;
            if (!prefix_ready) {
                n_prefix[0] = 0;
                for (int64_t i = 0; i < nw + L - 1; ++i) n_prefix[i + 1] = n_prefix[i] + (scratch.bytes[i] >= 4);
                prefix_ready = true;
            }
            return n_prefix[j + L] != n_prefix[j];
        };
        for (int64_t k = 0; k < K; ++k) {
            if (picked.filter) {
                const int64_t n = picked.filter(view, nw, table.values + k * L * kTableWidth, L,
                                                table.bias[k], lookahead.look[k], thresholds[k], found.data(),
                                                scratch.buf.data());
                for (int64_t i = 0; i < n; ++i) {
                    const int64_t j = found[i];
                    if (skip_n_windows && window_has_n(j)) continue;
                    on_hit(s, j0, j, k, scratch.buf[i]);
                }
                continue;
            }
            const T* b = scratch.buf.data();
            picked.fn(scratch.view(), nw, rows[k], L, table.bias[k], scratch.buf.data());
            const T thr = thresholds[k];
            if (picked.max(b, nw) < thr) continue;
            for (int64_t j = 0; j < nw; ++j) {
                if (b[j] < thr) continue;
                if (skip_n_windows && window_has_n(j)) continue;
                on_hit(s, j0, j, k, b[j]);
            }
        }
        on_block_end(s, j0, nw);
    });
}

// What every threshold driver prepares before its parallel loop.
template <class T>
struct ThresholdSetup {
    Picked<T> picked;
    TilePlan plan;
    LookaheadPlan lookahead;
    KernelRows<T> rows;  // what the block kernel reads when there is no filter
    int threads;

    ThresholdSetup(const int64_t* offsets, int64_t n_seqs, const ScoreTable<T>& table, const T* thresholds,
                   int requested_threads, Isa isa)
        : picked((check_table(table.n_kernels, table.length), pick_kernel(resolve_isa(isa), T()))),
          plan(plan_tiles(offsets, n_seqs, table.length, std::max(1, requested_threads))),
          lookahead(picked.filter ? plan_lookahead(table, thresholds, picked.filter_width) : LookaheadPlan{}),
          rows(table, picked.pair_tables && picked.filter == nullptr),
          threads(team_size(requested_threads, static_cast<int64_t>(plan.tiles.size()))) {}

    int64_t n_tiles() const { return static_cast<int64_t>(plan.tiles.size()); }
};

}  // namespace

template <class T>
void dense_scores(const uint8_t* codes, int64_t n_seqs, int64_t seq_len,
                  const ScoreTable<T>& table, T* out, int threads, Isa isa) {
    const int64_t K = table.n_kernels, L = table.length;
    check_table(K, L);
    if (seq_len < L) throw std::invalid_argument("sequence is shorter than the kernel");
    const Picked<T> picked = pick_kernel(resolve_isa(isa), T());
    const KernelRows<T> rows(table, picked.pair_tables);
    const int64_t m = seq_len - L + 1;
    // outputs far larger than the caches are written around them (when the kernel can)
    const BlockKernel<T> direct =
        picked.stream && double(n_seqs) * double(K) * double(m) * sizeof(T) >= kStreamBytes ? picked.stream : picked.fn;
    const int64_t blocks_per_seq = (m + kBlock - 1) / kBlock;
    const int64_t n_tiles = n_seqs * blocks_per_seq;
    threads = team_size(threads, n_tiles);
    StopFlag stop;

    PerThread<Scratch<T>> scratches(threads, L, picked);  // made here: no allocation in the region

    EXACTPWM_PARALLEL
    {
        Scratch<T>& scratch = scratches.mine();
        EXACTPWM_FOR
        for (int64_t t = 0; t < n_tiles; ++t) {
            if (stop.stopped()) continue;
            const int64_t s = t / blocks_per_seq, blk = t % blocks_per_seq;
            const int64_t j0 = blk * kBlock, nw = std::min(kBlock, m - j0);
            scratch.load(codes + s * seq_len + j0, nw, L);
            for (int64_t k = 0; k < K; ++k) {
                T* dst = out + (s * K + k) * m + j0;
                if (nw % kBlockAlign == 0) {  // the kernel writes exactly nw values: straight into out
                    direct(scratch.view(), nw, rows[k], L, table.bias[k], dst);
                    continue;
                }
                picked.fn(scratch.view(), nw, rows[k], L, table.bias[k], scratch.buf.data());
                std::memcpy(dst, scratch.buf.data(), sizeof(T) * nw);
            }
        }
    }
    stop.throw_if_stopped();
}

template <class T>
void max_scores(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs,
                const ScoreTable<T>& table, T* out_max, int64_t* out_pos, int threads, Isa isa,
                bool skip_n_windows) {
    const int64_t K = table.n_kernels, L = table.length;
    check_table(K, L);
    const Picked<T> picked = pick_kernel(resolve_isa(isa), T());
    const KernelRows<T> rows(table, picked.pair_tables);
    const TilePlan plan = plan_tiles(offsets, n_seqs, L, std::max(1, threads));
    threads = team_size(threads, static_cast<int64_t>(plan.tiles.size()));
    constexpr T kNone = -std::numeric_limits<T>::infinity();
    for (int64_t i = 0; i < n_seqs * K; ++i) {
        out_max[i] = kNone;
        out_pos[i] = -1;
    }
    // pieces of long sequences keep their own maxima, merged in order below
    std::vector<T> piece_max(static_cast<size_t>(plan.n_pieces * K), kNone);
    std::vector<int64_t> piece_pos(static_cast<size_t>(plan.n_pieces * K), -1);
    const int64_t n_tiles = static_cast<int64_t>(plan.tiles.size());
    StopFlag stop;

    PerThread<Scratch<T>> scratches(threads, L, picked);  // made here: no allocation in the region
    PerThread<std::vector<uint8_t>> has_ns(threads, static_cast<size_t>(kBlock));

    EXACTPWM_PARALLEL
    {
        Scratch<T>& scratch = scratches.mine();
        std::vector<uint8_t>& has_n = has_ns.mine();
        auto mark_n = [&](int64_t nw) { return skip_n_windows && mark_n_windows(scratch, nw, L, has_n.data()); };
        // one block of one sequence's windows [j0, j0 + nw)
        auto visit_block = [&](const Tile& tile, int64_t s, int64_t j0, int64_t nw) {
            T* best = tile.piece >= 0 ? &piece_max[tile.piece * K] : out_max + s * K;
            int64_t* where = tile.piece >= 0 ? &piece_pos[tile.piece * K] : out_pos + s * K;
            const bool any_n = mark_n(nw);
            for (int64_t k = 0; k < K; ++k) {
                T* b = scratch.buf.data();
                picked.fn(scratch.view(), nw, rows[k], L, table.bias[k], scratch.buf.data());
                if (any_n) {
                    for (int64_t j = 0; j < nw; ++j)
                        if (has_n[j]) b[j] = -std::numeric_limits<T>::infinity();
                }
                const T bm = picked.max(b, nw);
                if (skip_n_windows && bm == -std::numeric_limits<T>::infinity()) continue;
                if (where[k] >= 0 && !(bm > best[k])) continue;
                int64_t j = 0;
                while (b[j] != bm) ++j;  // first window reaching the block maximum
                best[k] = bm;
                where[k] = j0 + j;
            }
        };
        // short sequences [s, e), adjacent in codes, scored by one block-kernel call over all of
        // them (windows that cross from one into the next are scored and ignored): many short
        // records cost about what one long one does. Window scores do not depend on the block.
        auto visit_run = [&](int64_t s, int64_t e) {
            const int64_t nw = offsets[e] - offsets[s] - L + 1;
            if (nw < 1) return;  // every sequence shorter than the kernel: none has a window
            scratch.load(codes + offsets[s], nw, L);
            const bool any_n = mark_n(nw);
            for (int64_t k = 0; k < K; ++k) {
                const T* b = scratch.buf.data();
                picked.fn(scratch.view(), nw, rows[k], L, table.bias[k], scratch.buf.data());
                for (int64_t r = s; r < e; ++r) {
                    const int64_t lo = offsets[r] - offsets[s], m = n_windows(offsets, r, L);
                    T bm = -std::numeric_limits<T>::infinity();
                    int64_t at = -1;
                    for (int64_t j = lo; j < lo + m; ++j) {
                        if (any_n && has_n[j]) continue;
                        if (at < 0 || b[j] > bm) {
                            bm = b[j];
                            at = j - lo;
                        }
                    }
                    out_max[r * K + k] = bm;
                    out_pos[r * K + k] = at;
                }
            }
        };
        EXACTPWM_FOR
        for (int64_t t = 0; t < n_tiles; ++t) {
            const Tile& tile = plan.tiles[t];
            if (tile.piece >= 0) {
                for_each_block(tile, codes, offsets, L, scratch, stop,
                               [&](int64_t s, int64_t j0, int64_t nw) { visit_block(tile, s, j0, nw); });
                continue;
            }
            for (int64_t s = tile.s0; s < tile.s1;) {
                if (stop.stopped()) break;
                int64_t e = s;  // the longest run from s whose windows fit one block
                while (e < tile.s1 && offsets[e + 1] - offsets[s] - L + 1 <= kBlock) ++e;
                if (e - s >= 2) {
                    visit_run(s, e);
                    s = e;
                    continue;
                }
                const Tile one{s, s + 1, 0, 0, -1};
                for_each_block(one, codes, offsets, L, scratch, stop,
                               [&](int64_t q, int64_t j0, int64_t nw) { visit_block(one, q, j0, nw); });
                ++s;
            }
        }
    }

    stop.throw_if_stopped();
    // Merge pieces in position order: ties keep the smallest start.
    for (const Tile& tile : plan.tiles) {
        if (tile.piece < 0) continue;
        for (int64_t k = 0; k < K; ++k) {
            const T v = piece_max[tile.piece * K + k];
            T& mk = out_max[tile.s0 * K + k];
            int64_t& pk = out_pos[tile.s0 * K + k];
            if (pk < 0 || v > mk) {
                mk = v;
                pk = piece_pos[tile.piece * K + k];
            }
        }
    }
}

template <class T>
void max_scores_pairs(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs, const ScoreTable<T>& table,
                      const int64_t* seqs, const int64_t* kernels, int64_t n_pairs, T* out_max, int64_t* out_pos,
                      int threads, Isa isa, bool skip_n_windows) {
    const int64_t K = table.n_kernels, L = table.length;
    check_table(K, L);
    for (int64_t s = 0; s < n_seqs; ++s)
        if (offsets[s + 1] < offsets[s]) throw std::invalid_argument("offsets must be non-decreasing");
    for (int64_t p = 0; p < n_pairs; ++p)
        if (seqs[p] < 0 || seqs[p] >= n_seqs || kernels[p] < 0 || kernels[p] >= K)
            throw std::invalid_argument("pairs must name existing sequences and kernels");
    const Picked<T> picked = pick_kernel(resolve_isa(isa), T());
    const KernelRows<T> rows(table, picked.pair_tables);
    constexpr int64_t kChunk = 4096;  // pairs per unit of parallel work
    constexpr T kNone = -std::numeric_limits<T>::infinity();
    const int64_t n_chunks = (n_pairs + kChunk - 1) / kChunk;
    threads = team_size(threads, n_chunks);
    StopFlag stop;

    PerThread<Scratch<T>> scratches(threads, L, picked);  // made here: no allocation in the region
    PerThread<std::vector<uint8_t>> has_ns(threads, static_cast<size_t>(kBlock));

    EXACTPWM_PARALLEL
    {
        Scratch<T>& scratch = scratches.mine();
        std::vector<uint8_t>& has_n = has_ns.mine();
        EXACTPWM_FOR
        for (int64_t c = 0; c < n_chunks; ++c) {
            if (stop.stopped()) continue;
            int64_t loaded = -1;  // the sequence whose only block is in scratch (pairs of one sequence share it)
            bool any_n = false;
            for (int64_t p = c * kChunk; p < std::min(n_pairs, (c + 1) * kChunk); ++p) {
                const int64_t s = seqs[p], k = kernels[p], m = n_windows(offsets, s, L);
                T best = kNone;
                int64_t at = -1;
                for (int64_t j0 = 0; j0 < m; j0 += kBlock) {
                    const int64_t nw = std::min(kBlock, m - j0);
                    if (loaded != s || m > kBlock) {
                        scratch.load(codes + offsets[s] + j0, nw, L);
                        any_n = skip_n_windows && mark_n_windows(scratch, nw, L, has_n.data());
                        loaded = s;
                    }
                    T* b = scratch.buf.data();
                    picked.fn(scratch.view(), nw, rows[k], L, table.bias[k], b);
                    if (any_n)
                        for (int64_t j = 0; j < nw; ++j)
                            if (has_n[j]) b[j] = kNone;
                    const T bm = picked.max(b, nw);
                    if (skip_n_windows && bm == kNone) continue;
                    if (at >= 0 && !(bm > best)) continue;
                    int64_t j = 0;
                    while (b[j] != bm) ++j;  // first window reaching the block maximum
                    best = bm;
                    at = j0 + j;
                }
                out_max[p] = best;
                out_pos[p] = at;
            }
        }
    }
    stop.throw_if_stopped();
}

template <class T>
Hits<T> threshold_hits(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs,
                       const ScoreTable<T>& table, const T* thresholds, bool skip_n_windows,
                       int threads, Isa isa) {
    const ThresholdSetup<T> setup(offsets, n_seqs, table, thresholds, threads, isa);
    const int64_t L = table.length, n_tiles = setup.n_tiles();
    const Picked<T>& picked = setup.picked;
    const TilePlan& plan = setup.plan;
    const LookaheadPlan& lookahead = setup.lookahead;
    threads = setup.threads;
    std::vector<Hits<T>> tile_hits(static_cast<size_t>(n_tiles));
    StopFlag stop;

    // made here: the only allocations in the region are the hits' (guarded below)
    PerThread<Scratch<T>> scratches(threads, L, picked, picked.filter != nullptr, kThresholdBlock);
    PerThread<std::vector<int32_t>> n_prefixes(threads, static_cast<size_t>(kThresholdBlock + L + 1));
    PerThread<std::vector<int32_t>> founds(threads, static_cast<size_t>(kThresholdBlock + kBlockAlign));
    PerThread<std::vector<int64_t>> buckets(threads, static_cast<size_t>(kThresholdBlock + 1));

    EXACTPWM_PARALLEL
    {
        Scratch<T>& scratch = scratches.mine();
        std::vector<int32_t>& n_prefix = n_prefixes.mine();
        std::vector<int32_t>& found = founds.mine();
        // hits of one block in generation (kernel-major) order, then bucketed by position
        std::vector<int32_t> blk_pos, blk_kernel;
        std::vector<T> blk_score;
        std::vector<int64_t>& bucket = buckets.mine();
        std::vector<uint64_t> keys;
        EXACTPWM_FOR
        for (int64_t t = 0; t < n_tiles; ++t) {
            Hits<T>& out = tile_hits[t];
            // the hits grow with the thresholds: an allocation that fails is rethrown after the region
            stop.guard([&] {
            scan_threshold(plan.tiles[t], codes, offsets, table, thresholds, skip_n_windows, picked, setup.rows,
                lookahead, scratch, n_prefix, found, stop,
                [&](int64_t, int64_t, int64_t j, int64_t k, T score) {
                    blk_pos.push_back(static_cast<int32_t>(j));
                    blk_kernel.push_back(static_cast<int32_t>(k));
                    blk_score.push_back(score);
                },
                [&](int64_t s, int64_t j0, int64_t nw) {
                    const size_t h = blk_pos.size();
                    if (h == 0) return;
                    // order by (position, kernel): hits come kernel-major, each kernel's ascending
                    const size_t base = out.size();
                    out.seq.resize(base + h, s);
                    out.pos.resize(base + h);
                    out.kernel.resize(base + h);
                    out.score.resize(base + h);
                    if (static_cast<int64_t>(h) * 16 < nw) {  // few hits: sort (position, index) keys
                        keys.resize(h);
                        for (size_t i = 0; i < h; ++i)
                            keys[i] = (static_cast<uint64_t>(blk_pos[i]) << 32) | static_cast<uint64_t>(i);
                        std::sort(keys.begin(), keys.end());
                        for (size_t i = 0; i < h; ++i) {
                            const size_t src = keys[i] & 0xFFFFFFFFu;
                            out.pos[base + i] = j0 + blk_pos[src];
                            out.kernel[base + i] = blk_kernel[src];
                            out.score[base + i] = blk_score[src];
                        }
                    } else {  // stable counting sort by position: kernels stay ascending
                        std::fill(bucket.begin(), bucket.begin() + nw + 1, 0);
                        for (size_t i = 0; i < h; ++i) ++bucket[blk_pos[i] + 1];
                        for (int64_t j = 0; j < nw; ++j) bucket[j + 1] += bucket[j];
                        for (size_t i = 0; i < h; ++i) {
                            const size_t dst = base + static_cast<size_t>(bucket[blk_pos[i]]++);
                            out.pos[dst] = j0 + blk_pos[i];
                            out.kernel[dst] = blk_kernel[i];
                            out.score[dst] = blk_score[i];
                        }
                    }
                    blk_pos.clear();
                    blk_kernel.clear();
                    blk_score.clear();
                });
            });
        }
    }

    stop.throw_if_stopped();
    Hits<T> all;
    size_t total = 0;
    for (const auto& h : tile_hits) total += h.size();
    all.seq.reserve(total);
    all.pos.reserve(total);
    all.kernel.reserve(total);
    all.score.reserve(total);
    for (auto& h : tile_hits) {
        all.seq.insert(all.seq.end(), h.seq.begin(), h.seq.end());
        all.pos.insert(all.pos.end(), h.pos.begin(), h.pos.end());
        all.kernel.insert(all.kernel.end(), h.kernel.begin(), h.kernel.end());
        all.score.insert(all.score.end(), h.score.begin(), h.score.end());
        h = Hits<T>();
    }
    return all;
}

template <class T>
void threshold_counts(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs,
                      const ScoreTable<T>& table, const T* thresholds, const int32_t* target,
                      const int8_t* minus, int64_t n_targets, int64_t* counts, int64_t* n_hits,
                      int threads, Isa isa) {
    const ThresholdSetup<T> setup(offsets, n_seqs, table, thresholds, threads, isa);
    const int64_t L = table.length, n_tiles = setup.n_tiles(), size = n_targets * 4 * L;
    const Picked<T>& picked = setup.picked;
    const TilePlan& plan = setup.plan;
    const LookaheadPlan& lookahead = setup.lookahead;
    threads = setup.threads;
    StopFlag stop;

    // made here (the counts are n_targets x 4 x L per thread): no allocation in the region
    PerThread<Scratch<T>> scratches(threads, L, picked, picked.filter != nullptr, kThresholdBlock);
    PerThread<std::vector<int32_t>> n_prefixes(threads, static_cast<size_t>(kThresholdBlock + L + 1));
    PerThread<std::vector<int32_t>> founds(threads, static_cast<size_t>(kThresholdBlock + kBlockAlign));
    PerThread<std::vector<int64_t>> locals(threads, static_cast<size_t>(size), int64_t{0});
    PerThread<std::vector<int64_t>> locals_hits(threads, static_cast<size_t>(n_targets), int64_t{0});

    EXACTPWM_PARALLEL
    {
        Scratch<T>& scratch = scratches.mine();
        std::vector<int32_t>& n_prefix = n_prefixes.mine();
        std::vector<int32_t>& found = founds.mine();
        std::vector<int64_t>& local = locals.mine();
        std::vector<int64_t>& local_hits = locals_hits.mine();
        EXACTPWM_FOR
        for (int64_t t = 0; t < n_tiles; ++t) {
            scan_threshold(plan.tiles[t], codes, offsets, table, thresholds, false, picked, setup.rows, lookahead,
                scratch,
                n_prefix, found, stop,
                [&](int64_t s, int64_t j0, int64_t j, int64_t k, T) {
                    const uint8_t* frag = codes + offsets[s] + j0 + j;
                    int64_t* row = local.data() + static_cast<int64_t>(target[k]) * 4 * L;
                    ++local_hits[target[k]];
                    if (minus[k]) {
                        for (int64_t l = 0; l < L; ++l) {
                            const uint8_t c = frag[L - 1 - l] & 7;
                            if (c < 4) ++row[(3 - c) * L + l];
                        }
                    } else {
                        for (int64_t l = 0; l < L; ++l) {
                            const uint8_t c = frag[l] & 7;
                            if (c < 4) ++row[c * L + l];
                        }
                    }
                },
                [](int64_t, int64_t, int64_t) {});
        }
    }
    stop.throw_if_stopped();
    for (const auto& p : locals.all())  // integer sums: independent of the order (idle threads' are 0)
        for (int64_t i = 0; i < size; ++i) counts[i] += p[i];
    for (const auto& p : locals_hits.all())
        for (int64_t i = 0; i < n_targets; ++i) n_hits[i] += p[i];
}

#define EXACTPWM_INSTANTIATE(T)                                                                         \
    template void dense_scores<T>(const uint8_t*, int64_t, int64_t, const ScoreTable<T>&, T*, int, Isa); \
    template void max_scores<T>(const uint8_t*, const int64_t*, int64_t, const ScoreTable<T>&, T*,       \
                                int64_t*, int, Isa, bool);                                              \
    template void max_scores_pairs<T>(const uint8_t*, const int64_t*, int64_t, const ScoreTable<T>&,     \
                                      const int64_t*, const int64_t*, int64_t, T*, int64_t*, int, Isa, bool); \
    template Hits<T> threshold_hits<T>(const uint8_t*, const int64_t*, int64_t, const ScoreTable<T>&,    \
                                       const T*, bool, int, Isa);                                        \
    template void threshold_counts<T>(const uint8_t*, const int64_t*, int64_t, const ScoreTable<T>&,     \
                                      const T*, const int32_t*, const int8_t*, int64_t, int64_t*,        \
                                      int64_t*, int, Isa);
EXACTPWM_INSTANTIATE(float)
EXACTPWM_INSTANTIATE(double)

}  // namespace exactpwm
