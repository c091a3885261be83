// Internal: how the drivers cut packed sequences into tiles and blocks, and the
// per-thread scratch that holds one block's prepared codes and scores.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "block_kernels.hpp"
#include "dispatch.hpp"
#include "stop.hpp"

namespace exactpwm::detail {

// out[j] = mark where window j (L codes of `bytes`, codes & 7, readable 8 bytes past the last)
// holds an N, else 0, for j < n_windows. N is rare: the codes are tested eight at a time and each
// N marks the L windows over it.
inline void mark_windows_over_n(const uint8_t* bytes, int64_t n_windows, int64_t length, uint8_t mark,
                                uint8_t* out) {
    std::fill(out, out + n_windows, uint8_t{0});
    const int64_t n = n_windows + length - 1;
    for (int64_t i0 = 0; i0 < n; i0 += 8) {
        uint64_t word;
        std::memcpy(&word, bytes + i0, sizeof word);
        if (!(word & 0x0404040404040404ULL)) continue;  // N has bit 2
        for (int64_t i = i0; i < std::min(i0 + 8, n); ++i)
            if (bytes[i] >= 4) {
                const int64_t lo = std::max<int64_t>(0, i - length + 1), hi = std::min(i, n_windows - 1);
                if (lo <= hi) std::fill(out + lo, out + hi + 1, mark);
            }
    }
}

// Per-thread scratch: the prepared codes of one block, and block scores.
template <class T>
struct Scratch {
    std::vector<int32_t> idx, pairs, duo5;
    std::vector<int64_t> keep;
    std::vector<uint8_t> bytes, duo, trio, dead;
    std::vector<T> buf;
    bool with_pairs, with_idx, with_duo5;
    int64_t block;  // windows per block, at most
    bool has_n = false;  // some code in [0, n_windows + L - 1) is N
    // What the picked kernels read; filtering: only `bytes`, `duo` and `has_n` are prepared
    // (the threshold filters). `bytes` and `has_n` are always prepared.
    Scratch(int64_t length, const Picked<T>& picked, bool filtering = false, int64_t block_windows = kBlock)
        : with_pairs(picked.needs_pairs && !filtering),
          with_idx(!filtering && !picked.pair_tables),
          with_duo5(picked.pair_tables && !filtering),
          block(block_windows) {
        const auto cap = static_cast<size_t>(capacity(length, block_windows));
        idx.assign(with_idx ? cap : 0, 4);
        pairs.assign(with_pairs ? 2 * cap : 0, 0);
        keep.assign(with_pairs ? cap : 0, 0);
        duo5.assign(with_duo5 ? cap : 0, 24);
        bytes.assign(cap, 4);
        duo.assign(filtering && picked.filter_width == 2 ? cap : 0, 0);
        trio.assign(filtering && picked.filter_width == 3 ? cap : 0, 0);
        dead.assign(filtering ? cap : 0, 255);
        buf.assign(static_cast<size_t>(block_windows + kBlockAlign), T(0));
    }

    static int64_t capacity(int64_t length, int64_t block_windows) { return block_windows + length + kCodesPad; }

    // score_n: windows holding N will be scored (not skipped) by the caller
    BlockCodes view(bool score_n = false) const {
        return {idx.data(), pairs.data(), keep.data(), bytes.data(), duo.data(), trio.data(), duo5.data(),
                score_n && has_n};
    }

    // dead[j] = 255 where window j (of L codes) of the loaded block holds an N, else 0, for j <
    // n_windows; the bytes after stay 255. Filtering scratch only.
    const uint8_t* mark_dead(int64_t n_windows, int64_t length) {
        uint8_t* d = dead.data();
        mark_windows_over_n(bytes.data(), n_windows, length, 255, d);
        std::fill(d + n_windows, d + dead.size(), uint8_t{255});
        return d;
    }

    // Prepare codes for windows [0, n_windows) starting at `codes`; pad with N. (Local pointers:
    // a byte store may alias a vector's own pointer, which would keep the loops from vectorizing.)
    void load(const uint8_t* codes, int64_t n_windows, int64_t length) {
        const int64_t n = n_windows + length - 1, cap = capacity(length, block);
        uint8_t* b = bytes.data();
        uint8_t any = 0;
        for (int64_t i = 0; i < n; ++i) {
            b[i] = static_cast<uint8_t>(codes[i] & 7);
            any |= b[i] & 4;
        }
        has_n = any != 0;
        for (int64_t i = n; i < cap; ++i) b[i] = 4;
        if (!duo.empty()) {
            uint8_t* du = duo.data();
            for (int64_t i = 0; i + 1 < cap; ++i) du[i] = static_cast<uint8_t>(((b[i] & 3) << 2) | (b[i + 1] & 3));
        }
        if (!trio.empty()) {
            uint8_t* tr = trio.data();
            for (int64_t i = 0; i + 2 < cap; ++i)
                tr[i] = static_cast<uint8_t>(((b[i] & 3) << 4) | ((b[i + 1] & 3) << 2) | (b[i + 2] & 3));
        }
        if (with_duo5)
            for (int64_t i = 0; i + 1 < cap; ++i)
                duo5[i] = 5 * std::min<uint8_t>(b[i], 4) + std::min<uint8_t>(b[i + 1], 4);
        if (with_idx)
            for (int64_t i = 0; i < cap; ++i) idx[i] = b[i];
        if (with_pairs)
            for (int64_t i = 0; i < cap; ++i) {
                const int32_t c = idx[i] & 3;
                pairs[2 * i] = 2 * c;
                pairs[2 * i + 1] = 2 * c + 1;
                keep[i] = idx[i] < 4 ? int64_t(-1) : int64_t(0);
            }
    }
};

// A unit of parallel work over packed sequences: either a run of whole sequences
// [s0, s1) (piece < 0), or windows [begin, end) of the single sequence s0 (piece >= 0,
// numbered across all pieces so their partial results can be merged in order).
struct Tile {
    int64_t s0, s1, begin, end, piece;
};

struct TilePlan {
    std::vector<Tile> tiles;
    int64_t n_pieces = 0;
};

inline int64_t n_windows(const int64_t* offsets, int64_t s, int64_t L) {
    return std::max<int64_t>(0, offsets[s + 1] - offsets[s] - L + 1);
}

// Tiles hold about `target` windows; the plan (not the results) depends on threads.
inline TilePlan plan_tiles(const int64_t* offsets, int64_t n_seqs, int64_t L, int threads) {
    for (int64_t s = 0; s < n_seqs; ++s)
        if (offsets[s + 1] < offsets[s]) throw std::invalid_argument("offsets must be non-decreasing");
    int64_t total = 0;
    for (int64_t s = 0; s < n_seqs; ++s) total += n_windows(offsets, s, L);
    const int64_t target = std::max<int64_t>(int64_t(1) << 14, std::min<int64_t>(int64_t(1) << 20, total / (8 * threads) + 1));
    TilePlan plan;
    int64_t group_start = 0, group_windows = 0;
    for (int64_t s = 0; s < n_seqs; ++s) {
        const int64_t m = n_windows(offsets, s, L);
        if (m > target) {
            if (s > group_start) plan.tiles.push_back({group_start, s, 0, 0, -1});
            for (int64_t b = 0; b < m; b += target)
                plan.tiles.push_back({s, s + 1, b, std::min(m, b + target), plan.n_pieces++});
            group_start = s + 1;
            group_windows = 0;
            continue;
        }
        group_windows += m;
        if (group_windows >= target) {
            plan.tiles.push_back({group_start, s + 1, 0, 0, -1});
            group_start = s + 1;
            group_windows = 0;
        }
    }
    if (n_seqs > group_start) plan.tiles.push_back({group_start, n_seqs, 0, 0, -1});
    return plan;
}

// Calls visit(s, j0, nw) for each block of windows (scratch.block at most) of a tile, in order, after loading
// the block's codes into scratch; returns early once `stop` is set.
template <class T, class Visit>
void for_each_block(const Tile& tile, const uint8_t* codes, const int64_t* offsets, int64_t L,
                    Scratch<T>& scratch, StopFlag& stop, Visit&& visit) {
    for (int64_t s = tile.s0; s < tile.s1; ++s) {
        const int64_t m = n_windows(offsets, s, L);
        const int64_t begin = tile.piece >= 0 ? tile.begin : 0;
        const int64_t end = tile.piece >= 0 ? tile.end : m;
        for (int64_t j0 = begin; j0 < end; j0 += scratch.block) {
            if (stop.stopped()) return;
            const int64_t nw = std::min(scratch.block, end - j0);
            scratch.load(codes + offsets[s] + j0, nw, L);
            visit(s, j0, nw);
        }
    }
}

}  // namespace exactpwm::detail
