// A scan's hit table: the engine's hits sorted by position and written as records (see engine.hpp).
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "exactpwm/engine.hpp"
#include "radix_sort.hpp"
#include "records.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace exactpwm {
namespace {

int bits_for(uint64_t x) {  // bits to hold values 0 .. x
    int b = 0;
    while (b < 64 && (x >> b) != 0) ++b;
    return b;
}

}  // namespace

void hit_rows(const int32_t* motif, const int64_t* pos, const uint8_t* minus, const double* score,
              const double* pvalue, int64_t n, int64_t n_motifs, const int64_t* piece_offsets,
              const int64_t* piece_records, const int64_t* piece_starts, int64_t n_pieces, const int64_t* widths,
              const uint8_t* codes, bool rna, uint8_t* rows, const HitRowLayout& layout, int threads) {
    if (n == 0) return;
    // the order: one key per hit, (pos, minus, motif), unique; with the hit's index below it, one
    // 64-bit number sorts both (keys fit: pos < 2^40 in practice), else pairs are sorted
    int64_t top_pos = 0;
    for (int64_t i = 0; i < n; ++i) top_pos = std::max(top_pos, pos[i]);
    const uint64_t K = static_cast<uint64_t>(std::max<int64_t>(n_motifs, 1));
    const auto key = [&](int64_t i) {
        return (static_cast<uint64_t>(pos[i]) * 2 + minus[i]) * K + static_cast<uint64_t>(motif[i]);
    };
    const int index_bits = bits_for(static_cast<uint64_t>(n - 1));
    const int key_bits = bits_for((static_cast<uint64_t>(top_pos) * 2 + 1) * K + (K - 1));
    std::vector<int64_t> order(static_cast<size_t>(n));
    if (key_bits + index_bits <= 64 && key_bits < 63) {
        std::vector<uint64_t> packed(static_cast<size_t>(n)), spare(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) packed[static_cast<size_t>(i)] = (key(i) << index_bits) | static_cast<uint64_t>(i);
        detail::radix_sort(packed.data(), n, spare.data());
        const uint64_t mask = index_bits ? (~uint64_t{0} >> (64 - index_bits)) : 0;
        for (int64_t k = 0; k < n; ++k) order[static_cast<size_t>(k)] = static_cast<int64_t>(packed[static_cast<size_t>(k)] & mask);
    } else {
        std::vector<std::pair<uint64_t, int64_t>> pairs(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) pairs[static_cast<size_t>(i)] = {key(i), i};
        std::sort(pairs.begin(), pairs.end());
        for (int64_t k = 0; k < n; ++k) order[static_cast<size_t>(k)] = pairs[static_cast<size_t>(k)].second;
    }
    threads = std::max(1, std::min<int>(threads, static_cast<int>(n / 65536) + 1));
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int64_t k = 0; k < n; ++k) {
        const int64_t i = order[static_cast<size_t>(k)];
        const int64_t p = n_pieces == 1 ? 0
                                        : (std::upper_bound(piece_offsets, piece_offsets + n_pieces + 1, pos[i]) -
                                           piece_offsets) - 1;
        const int64_t start = piece_starts[p] + pos[i] - piece_offsets[p], w = widths[motif[i]];
        uint8_t* row = rows + k * layout.stride;
        std::fill(row, row + layout.stride, uint8_t{0});  // every byte: the padding between fields is 0
        detail::put<int32_t>(row, layout.motif, motif[i]);
        detail::put<int64_t>(row, layout.sequence, piece_records[p]);
        detail::put<int64_t>(row, layout.start, start);
        detail::put<int64_t>(row, layout.end, start + w);
        detail::put<char>(row, layout.strand, minus[i] ? '-' : '+');
        detail::put<double>(row, layout.score, score[i]);
        detail::put<double>(row, layout.pvalue, pvalue[i]);
        detail::put<double>(row, layout.qvalue, NAN);
        uint8_t* text = row + layout.matched;
        detail::window_text(codes + pos[i], w, minus[i] != 0, text);
        if (rna)  // matches in the RNA alphabet
            for (int64_t l = 0; l < w; ++l) text[l] = text[l] == 'T' ? 'U' : text[l];
    }
}

}  // namespace exactpwm
