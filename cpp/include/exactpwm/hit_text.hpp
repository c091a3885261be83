// Hit rows as text lines (TSV as FIMO writes it, BED6, GFF3): what the CLI streams to files.
// Plain C++17, no Python. Numbers are written as Python writes them (scores as repr(float),
// p- and q-values as format(x, ".3g")), so the lines equal the pure-Python writer's byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace exactpwm {

// FimoTsv: the TSV as FIMO writes it, scores as printf("%g") instead of in full.
enum class HitFormat { Tsv, Bed, Gff, FimoTsv };

// Rows of a packed record array: field offsets in bytes inside each row of `itemsize` bytes.
// motif int32, start/end int64, strand one char, score/pvalue/qvalue double, matched
// `matched_width` chars NUL-padded.
struct HitRows {
    const uint8_t* data;
    int64_t n, itemsize;
    int64_t motif, start, end, strand, score, pvalue, qvalue, matched, matched_width;
};

// Names indexed by a row's motif and by `sequence[i]` (an index per row into `sequence`).
// The *_gff lists hold the same names escaped for GFF attributes (used by HitFormat::Gff only).
struct HitNames {
    std::vector<std::string> motif, alt, sequence, motif_gff, alt_gff, sequence_gff;
};

// Text is made in parts of this many consecutive rows (the last part may hold fewer), in parallel.
constexpr int64_t kHitRowsPerPart = int64_t{1} << 12;

// The parts that n rows make: ceil(n / kHitRowsPerPart), at least 1.
int64_t hit_text_parts(int64_t n);

// bounds[t]: the most bytes part t's lines take in any format (hit_text_parts(rows.n) parts): per
// row its names, numbers, matched sequence and the format's fixed text. Throws std::out_of_range
// when a row names a motif or sequence index outside the lists.
void hit_part_bounds(const HitRows& rows, const int64_t* sequence, const HitNames& names, int64_t* bounds);

// One line per row, in parts of kHitRowsPerPart consecutive rows (the text is their concatenation):
// part t is written at out[t], which has room for bounds[t] bytes (hit_part_bounds), and its length
// in bytes stored in lengths[t]; on up to `threads` OpenMP threads (the bytes do not depend
// on it). GFF IDs number rows from `first_id`. Throws std::out_of_range when a row names a motif or
// sequence index outside the lists.
void format_hit_parts(const HitRows& rows, const int64_t* sequence, HitFormat format, const HitNames& names,
                      int64_t first_id, char* const* out, int64_t* lengths, int threads = 1);

// Rows of Tomtom's table (tomtom_table writes them; see engine.hpp): field offsets in bytes inside
// each row of `itemsize` bytes. query, target, offset, overlap int64; pvalue, evalue, qvalue double;
// strand one char ('+' or '-').
struct TomtomRows {
    const uint8_t* data;
    int64_t n, itemsize;
    int64_t query, target, offset, pvalue, evalue, qvalue, overlap, strand;
};

// Names and consensus sequences indexed by a row's query and target (target_consensus[2 * target]
// on '+', [2 * target + 1] on '-').
struct TomtomNames {
    std::vector<std::string> query, target, query_consensus, target_consensus;
};

// Tomtom's TSV lines (tomtom -text) of the rows: Query_ID, Target_ID, Optimal_offset, p-value,
// E-value, q-value (each rounded to float32, as Tomtom stores them, and printed as printf("%g")),
// Overlap, Query_consensus, Target_consensus (on the row's strand), Orientation; one string per
// part of kHitRowsPerPart rows (the text is their concatenation). Throws std::out_of_range (before
// any line is made) when a row's index lies outside the names or its strand is neither '+' nor '-'.
void format_tomtom_parts(const TomtomRows& rows, const TomtomNames& names, std::vector<std::string>& parts,
                         int threads = 1);

// A column of text fields, dictionary-encoded: row i holds entry codes[i] of the dictionary,
// entry e being the bytes [offsets[e], offsets[e + 1]) of `text`.
struct TextColumn {
    const char* text;
    const int64_t* offsets;  // n_entries + 1, non-decreasing
    int64_t n_entries;
    const int64_t* codes;    // one per row
};

// Appends n_rows lines to `out`: each row's fields, column by column, separated by tabs.
// Throws std::out_of_range (before writing anything) when a code lies outside its dictionary.
void join_columns(const std::vector<TextColumn>& columns, int64_t n_rows, std::string& out);

// Python's repr(float(x)) and format(x, ".3g"), appended to out.
void append_repr(std::string& out, double x);
void append_g3(std::string& out, double x);
// printf("%g") (format(x, "g") in Python), appended to out.
void append_g6(std::string& out, double x);

}  // namespace exactpwm
