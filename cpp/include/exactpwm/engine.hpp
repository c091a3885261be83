// exactpwm scoring engine: plain C++17, no Python.
//
// Sources (cpp/src): scores.cpp (drivers: dense, max pooling, threshold hits and counts),
// tiles.hpp (tiles, blocks, per-thread scratch), dispatch.hpp (kernels per ISA and dtype),
// block_scalar.cpp / block_avx2.cpp / block_avx512.cpp (block kernels and threshold filters;
// the last two are built with -mavx2 / -mavx512{f,bw,vbmi} and only called after a run-time
// CPU check; rescore_avx2.hpp is their shared float rescoring),
// lookahead.{hpp,cpp} (threshold pre-filter plans), fragments.cpp (fragment counts, window
// letters), pvalues.cpp (null score distributions),
// cpu.cpp (build and CPU reporting).
//
// Conventions
//   * Sequences are byte codes: A=0, C=1, G=2, T=3, anything else (N, IUPAC) = 4.
//     Codes are masked with & 7 before use, so no code can read outside a table.
//   * A score table holds K kernels of length L as K x L x 8 values of T:
//     table[(k * L + l) * 8 + c] is the score of code c at kernel position l.
//     Entries 4..7 must be 0 (N contributes nothing, like a zero one-hot column).
//   * Window j of a sequence covers positions [j, j + L); its score sums column pairs,
//     left to right, then the bias:
//       s = 0; s += (t[0][x_j] + t[1][x_{j+1}]); s += (t[2][x_{j+2}] + t[3][x_{j+3}]); ...
//       (an odd L ends with s += t[L-1][x_{j+L-1}]); score = s + bias[k],
//     each + rounded in T, in exactly this order by every code path, so all paths agree
//     bit for bit. (Pairs let a 32-entry two-column table serve one lookup per pair.)
//   * All sizes and positions are int64_t: sequences may exceed 2^31 bases.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace exactpwm {

constexpr int kTableWidth = 8;

// Avx512 (AVX-512 F, BW and VBMI): the float32 block kernel looks up column pairs with
// vpermt2ps and the threshold filter column triplets with vpermb; the other kernels are the
// AVX2 ones (such a CPU has AVX2).
enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2, Auto = -1 };
constexpr Isa kAllIsas[] = {Isa::Scalar, Isa::Avx2, Isa::Avx512};

template <class T>
struct ScoreTable {
    const T* values;     // K x L x 8
    const T* bias;       // K
    int64_t n_kernels;   // K
    int64_t length;      // L >= 1
};

// Dense 'valid' scores of n_seqs equal-length sequences.
//   codes: n_seqs x seq_len (row-major); out: n_seqs x K x (seq_len - L + 1).
// Requires seq_len >= L. threads >= 1.
template <class T>
void dense_scores(const uint8_t* codes, int64_t n_seqs, int64_t seq_len,
                  const ScoreTable<T>& table, T* out, int threads, Isa isa);

// Global max pooling over sequences of any lengths, concatenated in `codes`.
//   offsets: n_seqs + 1 increasing positions; sequence s is codes[offsets[s], offsets[s+1]).
//   out_max, out_pos: n_seqs x K. The maximum window score and the smallest window
//   start reaching it; -inf and -1 where a sequence has no window (shorter than L, or,
//   with skip_n_windows, every window holds a code >= 4).
template <class T>
void max_scores(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs,
                const ScoreTable<T>& table, T* out_max, int64_t* out_pos,
                int threads, Isa isa, bool skip_n_windows = false);

// max_scores for chosen (sequence, kernel) pairs only: pair p is sequence seqs[p] with kernel
// kernels[p]; out_max[p], out_pos[p] are what max_scores gives at [seqs[p], kernels[p]], bit for
// bit. Pairs of one sequence that follow each other share its prepared codes.
template <class T>
void max_scores_pairs(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs, const ScoreTable<T>& table,
                      const int64_t* seqs, const int64_t* kernels, int64_t n_pairs, T* out_max, int64_t* out_pos,
                      int threads, Isa isa, bool skip_n_windows = false);

// Every window whose score reaches a per-kernel threshold, over sequences of any lengths.
//   thresholds: K values; a window is a hit when score >= thresholds[k].
//   skip_n_windows: windows containing a code >= 4 (N) are never hits.
// Hits come in (sequence, position, kernel) order whatever `threads` is.
template <class T>
struct Hits {
    std::vector<int64_t> seq;     // sequence index
    std::vector<int64_t> pos;     // window start within the sequence
    std::vector<int32_t> kernel;  // kernel index
    std::vector<T> score;
    size_t size() const { return pos.size(); }
};

template <class T>
Hits<T> threshold_hits(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs,
                       const ScoreTable<T>& table, const T* thresholds, bool skip_n_windows,
                       int threads, Isa isa);

// Fused threshold scan + fragment stacking: every window whose score for kernel k reaches
// thresholds[k] adds its bases (reverse complemented when minus[k]) to
// counts[target[k]] (n_targets x 4 x L int64, accumulated) and 1 to n_hits[target[k]].
// Windows with N are stacked too (N itself is not counted), as a CNN sees them.
template <class T>
void threshold_counts(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs,
                      const ScoreTable<T>& table, const T* thresholds, const int32_t* target,
                      const int8_t* minus, int64_t n_targets, int64_t* counts, int64_t* n_hits,
                      int threads, Isa isa);

// Stack fragments into base counts (the heuristic kernel -> PWM transforms).
//   Fragment i is codes[starts[i], starts[i] + L), reverse complemented when minus[i] != 0,
//   added to counts[kernels[i]] (K x 4 x L int64, accumulated, not cleared). N is not counted.
//   Integer sums: the result does not depend on threads.
void count_fragments(const uint8_t* codes, const int64_t* starts, const int32_t* kernels,
                     const int8_t* minus, int64_t n_fragments, int64_t n_kernels, int64_t length,
                     int64_t* counts, int threads);

// Letters of windows as read on their strand, for hit tables: row i of out (n x max_width
// bytes) holds codes[starts[i], starts[i] + widths[i]) as ASCII A, C, G, T, N (any code >= 4),
// reverse complemented when minus[i] != 0, then NUL padding. widths[i] <= max_width.
void window_letters(const uint8_t* codes, const int64_t* starts, const int64_t* widths, const uint8_t* minus,
                    int64_t n, int64_t max_width, uint8_t* out, int threads);

// A scan's hit table (hit_rows.cpp). Hit i: motif[i] (< n_motifs), pos[i] (its window's start in
// the batch's codes), minus[i] (0 or 1), score[i], pvalue[i]. The batch holds pieces p < n_pieces:
// codes [piece_offsets[p], piece_offsets[p + 1]) are record piece_records[p] from its base
// piece_starts[p]. Row k of rows (n records laid out as `layout`) is the hit of rank k by (pos, '+'
// first, motif): motif, sequence = piece_records[p], start = piece_starts[p] + pos - piece_offsets[p]
// (p the piece holding pos), end = start + widths[motif], strand '+' or '-', score, pvalue, qvalue
// NaN, matched = the window's letters as read on its strand (as window_letters; U for T when rna),
// NUL-padded to matched_size. Every other byte of a row (padding) is 0. Each row is its own:
// the result does not depend on threads.
struct HitRowLayout {
    int64_t stride, motif, sequence, start, end, strand, score, pvalue, qvalue, matched, matched_size;
};
void hit_rows(const int32_t* motif, const int64_t* pos, const uint8_t* minus, const double* score,
              const double* pvalue, int64_t n, int64_t n_motifs, const int64_t* piece_offsets,
              const int64_t* piece_records, const int64_t* piece_starts, int64_t n_pieces, const int64_t* widths,
              const uint8_t* codes, bool rna, uint8_t* rows, const HitRowLayout& layout, int threads);

// Real-valued scores of windows (fragments.cpp): out[i] = sum over j < w of T[j][codes[starts[i] + j]]
// with T table which[i], a (w, 4) float64 block tables[table_start[t], table_start[t + 1]) (w = its
// rows), added as numpy's np.add.reduce adds a contiguous row (pairwise: eight partial sums up to
// 128 terms, halves above), so each score equals numpy's to the bit. NaN where a window holds a code
// >= 4. Each window is its own sum: the result does not depend on threads.
void window_sums(const uint8_t* codes, const int64_t* starts, const int64_t* which, int64_t n,
                 const double* tables, const int64_t* table_start, double* out, int threads);

// Dinucleotide shuffles (shuffle.cpp, Altschul & Erickson): for each sequence i (codes[offsets[i],
//   offsets[i + 1]), codes 0..4, N a letter of its own) and each shuffle j < n_shuffles, a uniformly
//   random sequence with the same dinucleotide counts and the same first and last letters, written
//   to out[j * offsets[n_seqs] + offsets[i], ...). Seeded (SplitMix64 per seed, the sequence's letters
//   and j): a sequence's shuffles do not depend on its place, the batch or the threads, and the numba
//   fallback gives the same shuffles.
void dinucleotide_shuffle(const uint8_t* codes, const int64_t* offsets, int64_t n_seqs, int64_t n_shuffles,
                          uint64_t seed, uint8_t* out, int threads);
uint64_t shuffle_seed(uint64_t seed, const uint8_t* codes, int64_t n, int64_t shuffle);

// Null distribution of a window score, for exact p-values: column l adds shifts[l][c] >= 0
// (integer score steps above the column's minimum) with probability background[c]. Writes the
// survival function sf[i - floor] = P(sum >= i) for i in [floor, size), size = 1 + sum of column
// maxima (floor = 0: all of it; a higher floor computes only the sums that can reach it, with the
// same numbers as floor = 0 gives there).
void null_survival(const int64_t* shifts, int64_t length, const double* background, int64_t size, int64_t floor,
                   double* sf, Isa isa = Isa::Auto);

// null_survival of n distributions at once, on `threads` threads: distribution k has the columns
// col_start[k] .. col_start[k + 1] of shifts ((rows, 4)) and its floor floors[k], and writes
// sf[sf_start[k] .. sf_start[k + 1]) (size_k = floors[k] + that length). All are checked first.
void null_survivals(const int64_t* shifts, const int64_t* col_start, int64_t n, const double* background,
                    const int64_t* floors, const int64_t* sf_start, double* sf, int threads, Isa isa = Isa::Auto);

// A tail table: the exact upper-tail table of a real-valued score matrix M ((4, w) row-major, float64) by meet in the
// middle (exact_tails.cpp; exactpwm.core.exact_pvalues.TailTable): the words over columns cols_a
// (n_a, taken in that order) that can reach need_a (rest_a[j]: the best of the columns after the
// j-th), likewise for half b; b's words sorted by (score, index); then, for the first range r whose
// words scoring in [lo, ceilings[r] - tol) number at most max_words[r], those words' scores in
// ascending (score, order made) order and tail[i] = P(S >= scores[i]) (tail has one more entry:
// the words at or above the ceiling, summed in a's order). r is -1 when no range fits (scores, tail empty).
//
// Many tail tables at once: job k is the tail table of the (4, w_k) row-major matrix at matrices + 4 *
// col_start[k] (w_k = col_start[k + 1] - col_start[k]), its halves' rows a_start[k] .. a_start[k + 1]
// of cols_a / rest_a (likewise b) with need_a[k] and need_b[k], lo[k], tol[k], and the ranges
// range_start[k] .. range_start[k + 1] of ceilings / max_words. Every offset array has n + 1 entries,
// starts at 0 and does not decrease (std::invalid_argument otherwise, and for a column index out of
// range: all checked before any table is built).
struct TailTableJobs {
    const double* matrices;
    const int64_t* col_start;
    const int64_t *cols_a, *a_start;
    const double *rest_a, *need_a;
    const int64_t *cols_b, *b_start;
    const double *rest_b, *need_b;
    const double *lo, *tol, *ceilings;
    const int64_t *max_words, *range_start;
    int64_t n;
};

// r[k], scores[k], tails[k]: the tail table of job k, the jobs spread over threads.
void tail_tables(const TailTableJobs& jobs, const double* bg, int64_t* r, std::vector<std::vector<double>>& scores,
                 std::vector<std::vector<double>>& tails, int threads);

// Motif comparison with Tomtom's statistics (tomtom.cpp; Gupta et al. 2007, as MEME's tomtom 5.4.1).
//   Every query (query_start[q] .. query_start[q + 1] rows of query_cols, each row the A, C, G, T
//   probabilities of one column) is compared with every database entry e (rows
//   entry_start[e] .. entry_start[e + 1] of db_cols; widths[width_index[e]] columns):
//   column similarity `distance` (0 ed, 1 pearson, 2 sandelin, 3 kullback, 4 allr; allr uses the
//   nsites arrays and background), complete scores (each query column's median over all database
//   columns shifted to 0, quantized to integers on a 100-bin grid), and the p-value of the best
//   alignment with >= min_overlap columns: P(best complete score over all L + w - 1 alignments and
//   `orientations` orientations of a random width-w entry >= observed), exact on the grid.
//   Writes pvalue, offset (target column minus query column) and overlap, each (Q, E).
//   Per query the work is independent: results do not depend on threads. isa: the instruction set of
//   the column loops (Auto: the best this CPU has); every one gives the same bits.
struct TomtomDatabase {
    const double* cols;         // (n_cols, 4)
    const double* nsites;       // (n_cols,) sites of the entry each column belongs to
    int64_t n_cols;
    const int64_t* entry_start; // (n_entries + 1,)
    const int64_t* width_index; // (n_entries,) into widths
    int64_t n_entries;
    const int64_t* widths;      // (n_widths,) distinct entry widths
    int64_t n_widths;
};
// With `best`, each target's better orientation (as tomtom_matrices picks it) is written to its
// (Q, n_entries / orientations) arrays instead, as each query is done: no (Q, E) arrays (pvalue,
// offset and overlap are not read and may be null).
struct TomtomBest {
    double* pvalue;
    int64_t* offset;
    int64_t* overlap;
    char* strand;
};
void tomtom_compare(const double* query_cols, const int64_t* query_start, const double* query_nsites,
                    int64_t n_queries, const TomtomDatabase& db, int distance, const double* background,
                    int orientations, int min_overlap, double* pvalue, int64_t* offset, int64_t* overlap,
                    int threads, Isa isa, const TomtomBest* best = nullptr);

// How the AVX-512 build puts ed's scores on the grid (the results are the same, bit for bit): 0 picks
// the faster on this CPU once (measured), 1 a square root per value, 2 estimates, made exact where one
// is near a grid step (tomtom.cpp, ed_grid_avx512). Returns the previous setting (tests use 1 and 2).
int tomtom_ed_grid(int mode);

// tomtom_compare keeps each thread's scratch (tens of MB for wide queries against a large database)
// for its next call, so that a comparison made in blocks pages it in once; this frees it.
void tomtom_release();

// Tomtom's table (tomtom.cpp), from tomtom_compare's (Q, E) arrays, E = n_targets * orientations
// (a target's '+' entry, then its '-' entry): for every query, each target's better orientation
// (smaller p, then larger overlap, then '+'), in Tomtom's order (p, larger overlap, '+' first, then
// name_rank[target], the target's rank by name), with Storey's q-values over all E entries of the
// query (pi0 as exactpwm.core.pvalues.storey_pi0; q = min over ranks >= i of pi0 p n / rank).
// Writes row q * n_targets + k of `rows`, records of layout.stride bytes, each field at its byte
// offset: query (first_query + q: a block of queries), target, offset, overlap (int64), pvalue,
// evalue = p * n_targets, qvalue (double),
// strand (one byte, '+' or '-'). Per query independent: results do not depend on threads.
struct TomtomRowLayout {
    int64_t stride, query, target, offset, pvalue, evalue, qvalue, overlap, strand;
};
void tomtom_table(const double* pvalue, const int64_t* offset, const int64_t* overlap, int64_t n_queries,
                  int64_t n_targets, int orientations, const int64_t* name_rank, uint8_t* rows,
                  const TomtomRowLayout& layout, int64_t first_query, int threads);

// Each target's better orientation of tomtom_compare's (Q, E) arrays, as tomtom_table picks it
// (smaller p, then larger overlap, then '+'), into (Q, n_targets) arrays: its p-value, offset,
// overlap, and strand ('+' or '-').
void tomtom_matrices(const double* pvalue, const int64_t* offset, const int64_t* overlap, int64_t n_queries,
                     int64_t n_targets, int orientations, double* best_pvalue, int64_t* best_offset,
                     int64_t* best_overlap, char* strand, int threads);

// Continuous Jaccard similarity of seqlet tracks (seqlet_similarity.cpp; TF-MoDISco's affinity).
//   a_fwd, a_rev: (n_a, width, channels) int16 (tracks quantized on one scale), the candidates and
//   their reverse complements;
//   b: (n_b, width, channels), the rows they are compared to. For row l of b and its candidate
//   n = neighbors[l * k + i] (an index into a, or -1 to skip: NaN written), every offset o in
//   [-max_shift, max_shift] and both strands x of candidate n:
//     score = sum min(|x_j|, |y_{j+o}|) sgn(x_j) sgn(y_{j+o}) / sum max(|x_j|, |y_{j+o}|)
//   over x's positions j and channels, y (row l) being zero outside [0, width); 0/0 scores 0.
//   Writes the best score (ties: forward strand, then the lowest offset), its offset o (where x's
//   first position lies on y) and strand (0 forward, 1 reverse), each (n_b, k). Sums are exact
//   integers and each score one rounding of their ratio, so every instruction set, the threads and
//   the numba fallback give the same numbers.
void seqlet_jaccard(const int16_t* a_fwd, const int16_t* a_rev, int64_t n_a, const int16_t* b, int64_t n_b, int64_t width,
                    int64_t channels, const int32_t* neighbors, int64_t k, int64_t max_shift, float* best,
                    int32_t* offset, uint8_t* strand, int threads, Isa isa);

// What was built and what the CPU offers.
bool isa_compiled(Isa isa);
bool cpu_supports(Isa isa);
Isa best_isa();
Isa resolve_isa(Isa requested);   // throws std::invalid_argument if unusable
const char* isa_name(Isa isa);
bool openmp_enabled();
std::string compiler_id();
const char* sanitizers();  // "address,undefined" in a sanitizer build, else ""

}  // namespace exactpwm
