// Internal: the one skeleton of the deficit threshold filter (see Lookahead in block_kernels.hpp),
// instantiated once per instruction set by the file compiled for it (block_avx2.cpp,
// block_avx512.cpp) with a traits struct `Isa`:
//
//   Vec, Mask            the byte vector (kLanes windows) and its lane mask
//   kLanes               windows per vector (32 for AVX2's vpshufb on pairs, 64 for vpermb on triplets)
//   kFirst               tuples summed without branching in pass 1 (the switch below goes up to 4)
//   kPerStage            tuples added per later stage over the live groups (AVX2: 2, AVX-512: 1)
//   tuples(codes)        the codes one tuple index reads (pair or triplet codes)
//   table(look, i)       the i-th tuple table as a vector
//   splat(limit)         the limit in every lane
//   load/store           unaligned load, aligned store of a vector
//   lookup(table, idx)   the byte lookup
//   adds(a, b)           saturating unsigned byte add
//   keep(bool), both     all-ones or all-zero lanes, and their AND with a vector (a tuple past the
//                        last adds nothing)
//   alive(acc, limit)    the lanes whose deficit sum is still within the limit
//
// The rescoring of live windows (rescore_groups, rescore_all) must be declared before this
// header is included: it is chosen by the score type T (float: AVX2 8 at a time; double: one
// window at a time in the canonical order).
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "block_kernels.hpp"

namespace exactpwm::detail {
namespace {

// Pass 1 sums the first F tuples of every group of kLanes windows without branching and keeps the
// groups with a live window (their partial sums too); later stages add kPerStage tuples at a time
// over the live groups, dropping a group once it is empty; the live windows are rescored exactly.
template <class Isa, int F, class T>
int64_t deficit_filter(const BlockCodes& codes, int64_t n_windows, const T* rows, int64_t length, T bias,
                       const Lookahead& look, T thr, int32_t* out_pos, T* out_score) {
    using Vec = typename Isa::Vec;
    using Mask = typename Isa::Mask;
    constexpr int64_t W = Isa::kLanes;
    constexpr int S = Isa::kPerStage;
    constexpr int64_t kGroups = (kThresholdBlock + W - 1) / W;
    alignas(64) uint8_t sums[kGroups][W];
    Mask masks[kGroups];
    int32_t groups[kGroups];
    const uint8_t* tuples = Isa::tuples(codes);
    Vec t[F];
    int32_t o[F];
    for (int i = 0; i < F; ++i) {
        t[i] = Isa::table(look, i);
        o[i] = look.offsets[i];
    }
    const Vec limit = Isa::splat(look.limit);
    const int64_t n_groups = (n_windows + W - 1) / W;
    int64_t live = 0;
    // the first F tuples' sum of group g (windows holding a skipped N add 255: never alive)
    auto first_sum = [&](int64_t g, auto skip) {
        const uint8_t* d = tuples + W * g;
        Vec acc = Isa::lookup(t[0], Isa::load(d + o[0]));
        for (int i = 1; i < F; ++i) acc = Isa::adds(acc, Isa::lookup(t[i], Isa::load(d + o[i])));
        if constexpr (decltype(skip)::value) acc = Isa::adds(acc, Isa::load(codes.dead + W * g));
        return acc;
    };
    // pass 1 keeps the live groups' indices only; the few live groups' sums and masks are made
    // again below (cheaper than storing every group's: most groups die here); one loop per case,
    // the test outside it
    auto pass1 = [&](auto skip) {
        for (int64_t g = 0; g < n_groups; ++g) {
            groups[live] = static_cast<int32_t>(g);
            live += Isa::alive(first_sum(g, skip), limit) != 0;
        }
        for (int64_t i = 0; i < live; ++i) {
            const Vec acc = first_sum(groups[i], skip);
            masks[i] = Isa::alive(acc, limit);
            if (F < look.n_tuples) Isa::store(sums[i], acc);
        }
    };
    if (codes.dead)
        pass1(std::true_type{});
    else
        pass1(std::false_type{});
    for (int64_t p = F; p < look.n_tuples && live; p += S) {
        Vec ts[S], keep[S];
        int32_t os[S];
        for (int k = 0; k < S; ++k) {  // a tuple past the last: the last again, its sum not added
            const int64_t q = std::min<int64_t>(p + k, look.n_tuples - 1);
            ts[k] = Isa::table(look, q);
            os[k] = look.offsets[q];
            keep[k] = Isa::keep(p + k < look.n_tuples);
        }
        int64_t next = 0;
        for (int64_t i = 0; i < live; ++i) {
            const uint8_t* d = tuples + W * int64_t(groups[i]);
            Vec acc = Isa::load_aligned(sums[i]);
            for (int k = 0; k < S; ++k)
                acc = Isa::adds(acc, k == 0 ? Isa::lookup(ts[k], Isa::load(d + os[k]))
                                            : Isa::both(keep[k], Isa::lookup(ts[k], Isa::load(d + os[k]))));
            const Mask m = masks[i] & Isa::alive(acc, limit);
            Isa::store(sums[next], acc);
            masks[next] = m;
            groups[next] = groups[i];
            next += m != 0;
        }
        live = next;
    }
    return rescore_groups<static_cast<int>(W)>(codes.bytes, groups, masks, live, n_windows, rows, length, bias, thr,
                                               out_pos, out_score);
}

// The filter for one block: no hits possible, every window scored (N read through tuple codes
// would read as A), or the deficit filter with min(n_tuples, kFirst) branch-free tuples.
template <class Isa, class T>
int64_t threshold_filter(const BlockCodes& codes, int64_t n_windows, const T* rows, int64_t length, T bias,
                         const Lookahead& look, T thr, int32_t* out_pos, T* out_score) {
    if (look.mode == FilterMode::NoHits) return 0;
    if (look.mode == FilterMode::ScoreAll || codes.score_n)
        return rescore_all(codes.bytes, n_windows, rows, length, bias, thr, out_pos, out_score);
    static_assert(Isa::kFirst >= 1 && Isa::kFirst <= 4, "pass 1 sums 1 to 4 tuples");
    switch (std::min<int64_t>(look.n_tuples, Isa::kFirst)) {
        case 1: return deficit_filter<Isa, 1>(codes, n_windows, rows, length, bias, look, thr, out_pos, out_score);
        case 2: return deficit_filter<Isa, 2>(codes, n_windows, rows, length, bias, look, thr, out_pos, out_score);
        case 3:
            if constexpr (Isa::kFirst >= 3)
                return deficit_filter<Isa, 3>(codes, n_windows, rows, length, bias, look, thr, out_pos, out_score);
            [[fallthrough]];
        default:
            if constexpr (Isa::kFirst >= 4)
                return deficit_filter<Isa, 4>(codes, n_windows, rows, length, bias, look, thr, out_pos, out_score);
            else
                return deficit_filter<Isa, Isa::kFirst>(codes, n_windows, rows, length, bias, look, thr, out_pos,
                                                        out_score);
    }
}

}  // namespace
}  // namespace exactpwm::detail
