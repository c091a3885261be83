// Dinucleotide shuffles (Altschul & Erickson 1985): random sequences with exactly the dinucleotide
// counts of the input, its first and last letter. The sequence is a walk through the multigraph whose
// vertices are letters and whose edges are its adjacent pairs; a uniformly random Eulerian walk is
// drawn by (1) choosing each vertex's last exit with Wilson's algorithm (a random arborescence into
// the last letter, each exit chosen with the multiplicity of its edge), (2) shuffling every vertex's
// other exits (Fisher-Yates), (3) walking from the first letter. N (code 4) is a fifth letter.
//
// Random numbers: SplitMix64 from the seed, the sequence's letters (FNV-1a) and the shuffle's index,
// an integer in [0, m) as the next value modulo m; the numba fallback draws the same numbers in the same order, so both give the same
// shuffles. Shuffles are independent: results do not depend on threads.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "exactpwm/engine.hpp"
#include "stop.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace exactpwm {
namespace {

constexpr int kLetters = 5;

struct SplitMix64 {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    int64_t below(int64_t m) { return static_cast<int64_t>(next() % static_cast<uint64_t>(m)); }
};

// One shuffle of s[0, n) into out (n >= 1); edges: scratch of n - 1 entries.
void shuffle_one(const uint8_t* s, int64_t n, SplitMix64& rng, uint8_t* out, uint8_t* edges) {
    out[0] = s[0];
    if (n < 3) {  // one pair at most: the only walk is the sequence itself
        std::copy(s, s + n, out);
        return;
    }
    std::array<int64_t, kLetters + 1> start{};
    for (int64_t i = 0; i + 1 < n; ++i) ++start[static_cast<size_t>(s[i]) + 1];
    for (int v = 0; v < kLetters; ++v) start[v + 1] += start[v];
    std::array<int64_t, kLetters> fill{};
    for (int v = 0; v < kLetters; ++v) fill[v] = start[v];
    for (int64_t i = 0; i + 1 < n; ++i) edges[fill[s[i]]++] = s[i + 1];
    // (1) last exits: Wilson's algorithm towards the last letter
    const int last = s[n - 1];
    std::array<bool, kLetters> in_tree{};
    std::array<int64_t, kLetters> exit{};  // chosen edge index (into edges) per vertex
    in_tree[last] = true;
    for (int v = 0; v < kLetters; ++v) {
        if (in_tree[v] || start[v + 1] == start[v]) continue;
        int u = v;
        while (!in_tree[u]) {
            exit[u] = start[u] + rng.below(start[u + 1] - start[u]);
            u = edges[exit[u]];
        }
        for (u = v; !in_tree[u]; u = edges[exit[u]]) in_tree[u] = true;
    }
    // (2) the other exits shuffled, the last exit put last
    for (int v = 0; v < kLetters; ++v) {
        int64_t lo = start[v], hi = start[v + 1];
        if (hi == lo) continue;
        if (v != last) {
            std::swap(edges[exit[v]], edges[hi - 1]);
            --hi;
        }
        for (int64_t k = hi - lo - 1; k > 0; --k) std::swap(edges[lo + k], edges[lo + rng.below(k + 1)]);
    }
    // (3) the walk
    std::array<int64_t, kLetters> next = {start[0], start[1], start[2], start[3], start[4]};
    for (int64_t i = 1; i < n; ++i) out[i] = edges[next[out[i - 1]]++];
}

}  // namespace

uint64_t shuffle_seed(uint64_t seed, const uint8_t* codes, int64_t n, int64_t shuffle) {
    uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a of the sequence: its shuffles do not depend on its place
    for (int64_t i = 0; i < n; ++i) h = (h ^ codes[i]) * 0x100000001B3ULL;
    SplitMix64 mix{seed ^ h ^ (0xD1B54A32D192ED03ULL * static_cast<uint64_t>(shuffle + 1))};
    return mix.next();
}

void dinucleotide_shuffle(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs, int64_t n_shuffles,
                          uint64_t seed, uint8_t* out, int threads) {
    const int64_t total = offsets[n_seqs];
    threads = std::max(1, std::min<int>(threads, static_cast<int>(n_seqs * n_shuffles / 64) + 1));
    detail::StopFlag stop;  // scratch as long as a sequence: an allocation that fails is rethrown after the region
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        std::vector<uint8_t> scratch;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (int64_t job = 0; job < n_seqs * n_shuffles; ++job) {
            const int64_t i = job / n_shuffles, j = job % n_shuffles;
            const int64_t a = offsets[i], n = offsets[i + 1] - a;
            if (n == 0 || stop.stopped()) continue;
            stop.guard([&] {
                scratch.resize(static_cast<size_t>(std::max<int64_t>(n - 1, 1)));
                SplitMix64 rng{shuffle_seed(seed, codes + a, n, j)};
                shuffle_one(codes + a, n, rng, out + j * total + a, scratch.data());
            });
        }
    }
    stop.throw_if_stopped();
}

}  // namespace exactpwm
