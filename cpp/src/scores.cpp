// Drivers: split work into tiles, run them on OpenMP threads, call the block kernels.
// Every output value is computed by exactly one block-kernel call whose summation
// order does not depend on the tiling, so results do not depend on `threads`.
#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "block_kernels.hpp"
#include "exactpwm/engine.hpp"

namespace exactpwm {
namespace {

using detail::BlockKernel;
using detail::kBlockAlign;

constexpr int64_t kBlock = 1024;  // windows scored per block-kernel call

// The block kernel for an ISA and dtype, and whether it reads BlockCodes::pairs/keep.
template <class T>
struct Picked {
    BlockKernel<T> fn;
    bool needs_pairs;
};

Picked<float> pick_kernel(Isa isa, float) {
#ifdef EXACTPWM_HAVE_AVX2
    if (isa == Isa::Avx2) return {detail::block_avx2_f32, false};
#endif
    (void)isa;
    return {detail::block_scalar_f32, false};
}

Picked<double> pick_kernel(Isa isa, double) {
#ifdef EXACTPWM_HAVE_AVX2
    if (isa == Isa::Avx2) return {detail::block_avx2_f64, true};
#endif
    (void)isa;
    return {detail::block_scalar_f64, false};
}

// Per-thread scratch: the prepared codes of one block, and block scores.
template <class T>
struct Scratch {
    std::vector<int32_t> idx, pairs;
    std::vector<int64_t> keep;
    std::vector<T> buf;
    bool with_pairs;
    Scratch(int64_t length, bool needs_pairs)
        : idx(static_cast<size_t>(capacity(length)), 4),
          pairs(needs_pairs ? static_cast<size_t>(2 * capacity(length)) : 0, 0),
          keep(needs_pairs ? static_cast<size_t>(capacity(length)) : 0, 0),
          buf(static_cast<size_t>(kBlock + kBlockAlign)),
          with_pairs(needs_pairs) {}

    static int64_t capacity(int64_t length) { return kBlock + length + 2 * kBlockAlign; }

    detail::BlockCodes view() const { return {idx.data(), pairs.data(), keep.data()}; }

    // Prepare codes for windows [0, n_windows) starting at `codes`; pad with N.
    void load(const uint8_t* codes, int64_t n_windows, int64_t length) {
        const int64_t n = n_windows + length - 1, cap = capacity(length);
        for (int64_t i = 0; i < n; ++i) idx[i] = static_cast<int32_t>(codes[i] & 7);
        for (int64_t i = n; i < cap; ++i) idx[i] = 4;
        if (!with_pairs) return;
        for (int64_t i = 0; i < cap; ++i) {
            const int32_t c = idx[i] & 3;
            pairs[2 * i] = 2 * c;
            pairs[2 * i + 1] = 2 * c + 1;
            keep[i] = idx[i] < 4 ? int64_t(-1) : int64_t(0);
        }
    }
};

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

}  // namespace

template <class T>
void dense_scores(const uint8_t* codes, int64_t n_seqs, int64_t seq_len,
                  const ScoreTable<T>& table, T* out, int threads, Isa isa) {
    const int64_t K = table.n_kernels, L = table.length;
    check_table(K, L);
    if (seq_len < L) throw std::invalid_argument("sequence is shorter than the kernel");
    const Picked<T> picked = pick_kernel(resolve_isa(isa), T());
    const int64_t m = seq_len - L + 1;
    const int64_t blocks_per_seq = (m + kBlock - 1) / kBlock;
    const int64_t n_tiles = n_seqs * blocks_per_seq;
    threads = std::max(1, threads);

    EXACTPWM_PARALLEL
    {
        Scratch<T> scratch(L, picked.needs_pairs);
        EXACTPWM_FOR
        for (int64_t t = 0; t < n_tiles; ++t) {
            const int64_t s = t / blocks_per_seq, blk = t % blocks_per_seq;
            const int64_t j0 = blk * kBlock, nw = std::min(kBlock, m - j0);
            scratch.load(codes + s * seq_len + j0, nw, L);
            for (int64_t k = 0; k < K; ++k) {
                picked.fn(scratch.view(), nw, table.values + k * L * kTableWidth, L,
                       table.bias[k], scratch.buf.data());
                std::memcpy(out + (s * K + k) * m + j0, scratch.buf.data(), sizeof(T) * nw);
            }
        }
    }
}

template <class T>
void max_scores(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs,
                const ScoreTable<T>& table, T* out_max, int64_t* out_pos, int threads, Isa isa) {
    const int64_t K = table.n_kernels, L = table.length;
    check_table(K, L);
    const Picked<T> picked = pick_kernel(resolve_isa(isa), T());
    threads = std::max(1, threads);

    // Plan tiles: a sequence is one tile unless it is long, then it is cut into
    // pieces whose maxima are buffered in `slots` and merged in order afterwards.
    struct Tile { int64_t seq, begin, end, slot; };
    std::vector<Tile> tiles;
    std::vector<int64_t> first_slot(static_cast<size_t>(n_seqs), -1), n_slots(static_cast<size_t>(n_seqs), 0);
    int64_t total_slots = 0;
    for (int64_t s = 0; s < n_seqs; ++s) {
        const int64_t len = offsets[s + 1] - offsets[s];
        if (len < 0) throw std::invalid_argument("offsets must be non-decreasing");
        const int64_t m = len - L + 1;
        if (m <= 0) {
            for (int64_t k = 0; k < K; ++k) {
                out_max[s * K + k] = -std::numeric_limits<T>::infinity();
                out_pos[s * K + k] = -1;
            }
            continue;
        }
        const int64_t piece = std::max<int64_t>(int64_t(1) << 16, (m + 4 * threads - 1) / (4 * threads));
        if (m <= piece) {
            tiles.push_back({s, 0, m, -1});
            continue;
        }
        first_slot[s] = total_slots;
        for (int64_t b = 0; b < m; b += piece) {
            tiles.push_back({s, b, std::min(m, b + piece), total_slots++});
            ++n_slots[s];
        }
    }
    std::vector<T> slot_max(static_cast<size_t>(total_slots * K));
    std::vector<int64_t> slot_pos(static_cast<size_t>(total_slots * K));
    const int64_t n_tiles = static_cast<int64_t>(tiles.size());

    EXACTPWM_PARALLEL
    {
    Scratch<T> scratch(L, picked.needs_pairs);
    std::vector<T> best(static_cast<size_t>(K));
    std::vector<int64_t> where(static_cast<size_t>(K));
    EXACTPWM_FOR
    for (int64_t t = 0; t < n_tiles; ++t) {
        const Tile tile = tiles[t];
        std::fill(best.begin(), best.end(), -std::numeric_limits<T>::infinity());
        std::fill(where.begin(), where.end(), int64_t(-1));
        const uint8_t* seq = codes + offsets[tile.seq];
        for (int64_t j0 = tile.begin; j0 < tile.end; j0 += kBlock) {
            const int64_t nw = std::min(kBlock, tile.end - j0);
            scratch.load(seq + j0, nw, L);
            for (int64_t k = 0; k < K; ++k) {
                picked.fn(scratch.view(), nw, table.values + k * L * kTableWidth, L,
                       table.bias[k], scratch.buf.data());
                const T* b = scratch.buf.data();
                T mk = best[k];
                int64_t pk = where[k];
                for (int64_t j = 0; j < nw; ++j)
                    if (b[j] > mk || pk < 0) { mk = b[j]; pk = j0 + j; }
                best[k] = mk;
                where[k] = pk;
            }
        }
        T* dst_max = tile.slot < 0 ? out_max + tile.seq * K : slot_max.data() + tile.slot * K;
        int64_t* dst_pos = tile.slot < 0 ? out_pos + tile.seq * K : slot_pos.data() + tile.slot * K;
        std::copy(best.begin(), best.end(), dst_max);
        std::copy(where.begin(), where.end(), dst_pos);
    }
    }  // parallel

    // Merge the pieces of long sequences in position order: ties keep the smallest start.
    for (int64_t s = 0; s < n_seqs; ++s) {
        if (first_slot[s] < 0) continue;
        for (int64_t k = 0; k < K; ++k) {
            T mk = -std::numeric_limits<T>::infinity();
            int64_t pk = -1;
            for (int64_t q = first_slot[s]; q < first_slot[s] + n_slots[s]; ++q) {
                const T v = slot_max[q * K + k];
                if (v > mk || pk < 0) { mk = v; pk = slot_pos[q * K + k]; }
            }
            out_max[s * K + k] = mk;
            out_pos[s * K + k] = pk;
        }
    }
}

template void dense_scores<float>(const uint8_t*, int64_t, int64_t, const ScoreTable<float>&, float*, int, Isa);
template void dense_scores<double>(const uint8_t*, int64_t, int64_t, const ScoreTable<double>&, double*, int, Isa);
template void max_scores<float>(const uint8_t*, const int64_t*, int64_t, const ScoreTable<float>&, float*, int64_t*, int, Isa);
template void max_scores<double>(const uint8_t*, const int64_t*, int64_t, const ScoreTable<double>&, double*, int64_t*, int, Isa);

}  // namespace exactpwm
