// Hit rows as text lines; see hit_text.hpp.
#include "exactpwm/hit_text.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <algorithm>
#include <exception>
#include <stdexcept>

namespace exactpwm {
namespace {

template <class T>
T field(const uint8_t* row, int64_t offset) {
    T v;
    std::memcpy(&v, row + offset, sizeof(T));
    return v;
}

void append_int(std::string& out, int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// a NUL-terminated text copied to p; returns the end
char* copy_text(char* p, const char* s) {
    while (*s) *p++ = *s++;
    return p;
}

const std::string& pick(const std::vector<std::string>& names, int64_t i, const char* what) {
    if (i < 0 || i >= static_cast<int64_t>(names.size())) throw std::out_of_range(std::string("a row's ") + what + " index is out of range");
    return names[static_cast<size_t>(i)];
}

}  // namespace

// Python's repr(float(x)) written at p (room for 32 bytes); returns the end.
char* write_repr(char* p, double x) {
    const double a = std::fabs(x);
    if ((a >= 1e-4 && a < 1e16) || x == 0) {  // Python's fixed layout: the shortest fixed digits
        char* const start = p;
        p = std::to_chars(p, p + 32, x, std::chars_format::fixed).ptr;
        if (!std::memchr(start, '.', static_cast<size_t>(p - start))) {
            *p++ = '.';
            *p++ = '0';
        }
        return p;
    }
    if (std::isnan(x)) return copy_text(p, "nan");
    if (std::isinf(x)) return copy_text(p, x < 0 ? "-inf" : "inf");
    // the shortest digits that round-trip, then Python's layout: fixed for 1e-4 <= |x| < 1e16
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
    const char* q = buf;
    if (*q == '-') {
        *p++ = '-';
        ++q;
    }
    char digits[32];
    int nd = 0;
    while (q < r.ptr && *q != 'e') {
        if (*q != '.') digits[nd++] = *q;
        ++q;
    }
    int exp = 0;  // "e+05" -> 5 (the buffer is not NUL-terminated: parse up to r.ptr)
    const char* e0 = q + 1 + (q + 1 < r.ptr && q[1] == '+');
    std::from_chars(e0, r.ptr, exp);
    if (exp >= -4 && exp < 16) {
        if (exp >= 0) {
            if (nd <= exp + 1) {
                p = std::copy(digits, digits + nd, p);
                p = std::fill_n(p, exp + 1 - nd, '0');
                *p++ = '.';
                *p++ = '0';
            } else {
                p = std::copy(digits, digits + exp + 1, p);
                *p++ = '.';
                p = std::copy(digits + exp + 1, digits + nd, p);
            }
        } else {
            *p++ = '0';
            *p++ = '.';
            p = std::fill_n(p, -exp - 1, '0');
            p = std::copy(digits, digits + nd, p);
        }
        return p;
    }
    *p++ = digits[0];
    if (nd > 1) {
        *p++ = '.';
        p = std::copy(digits + 1, digits + nd, p);
    }
    *p++ = 'e';
    *p++ = exp < 0 ? '-' : '+';
    const int e = exp < 0 ? -exp : exp;
    if (e < 10) *p++ = '0';
    return std::to_chars(p, p + 8, e).ptr;
}

void append_repr(std::string& out, double x) {
    char buf[64];
    out.append(buf, write_repr(buf, x));
}

namespace {

// printf("%.<precision>g") written at p (room for 32 bytes; "nan" for NaN); returns the end.
char* write_general(char* p, double x, int precision) {
    if (std::isnan(x)) return copy_text(p, "nan");
    return std::to_chars(p, p + 32, x, std::chars_format::general, precision).ptr;
}

void append_general(std::string& out, double x, int precision) {
    char buf[64];
    out.append(buf, write_general(buf, x, precision));
}

}  // namespace

void append_g3(std::string& out, double x) { append_general(out, x, 3); }  // as printf("%.3g")

void append_g6(std::string& out, double x) { append_general(out, x, 6); }  // as printf("%g")

namespace {

// Text written where there is room for it (the caller sized the buffer: see hit_part_bounds).
struct Cursor {
    char* p;
    void put(char c) { *p++ = c; }
    void put(const std::string& s) {
        std::memcpy(p, s.data(), s.size());
        p += s.size();
    }
    void put(const char* s, size_t n) {
        std::memcpy(p, s, n);
        p += n;
    }
    template <size_t N>
    void text(const char (&s)[N]) {
        std::memcpy(p, s, N - 1);
        p += N - 1;
    }
    void integer(int64_t v) { p = std::to_chars(p, p + 24, v).ptr; }
    void repr(double x) { p = write_repr(p, x); }
    void general(double x, int precision) { p = write_general(p, x, precision); }
};

// Rows [begin, end_row) as lines written at out (room for their hit_part_bounds); returns the end.
char* format_range(const HitRows& rows, int64_t begin, int64_t end_row, const int64_t* sequence, HitFormat format,
                   const HitNames& names, int64_t first_id, char* out) {
    Cursor c{out};
    for (int64_t i = begin; i < end_row; ++i) {
        const uint8_t* row = rows.data + i * rows.itemsize;
        const int32_t motif = field<int32_t>(row, rows.motif);
        const int64_t start = field<int64_t>(row, rows.start), end = field<int64_t>(row, rows.end);
        const char strand = static_cast<char>(row[rows.strand]);
        const double score = field<double>(row, rows.score);
        const std::string& seq = pick(names.sequence, sequence[i], "sequence");
        const std::string& name = pick(names.motif, motif, "motif");
        if (format == HitFormat::Bed) {
            c.put(seq);
            c.put('\t');
            c.integer(start);
            c.put('\t');
            c.integer(end);
            c.put('\t');
            c.put(name);
            c.put('\t');
            c.repr(score);
            c.put('\t');
            c.put(strand);
            c.put('\n');
            continue;
        }
        const double pvalue = field<double>(row, rows.pvalue), qvalue = field<double>(row, rows.qvalue);
        const char* matched = reinterpret_cast<const char*>(row + rows.matched);
        const size_t matched_len = strnlen(matched, static_cast<size_t>(rows.matched_width));
        if (format == HitFormat::Tsv || format == HitFormat::FimoTsv) {
            c.put(name);
            c.put('\t');
            c.put(pick(names.alt, motif, "motif"));
            c.put('\t');
            c.put(seq);
            c.put('\t');
            c.integer(start + 1);
            c.put('\t');
            c.integer(end);
            c.put('\t');
            c.put(strand);
            c.put('\t');
            if (format == HitFormat::FimoTsv) c.general(score, 6);
            else c.repr(score);
            c.put('\t');
            c.general(pvalue, 3);
            c.put('\t');
            if (!std::isnan(qvalue)) c.general(qvalue, 3);
            c.put('\t');
            c.put(matched, matched_len);
            c.put('\n');
            continue;
        }
        const std::string& name_gff = pick(names.motif_gff, motif, "motif");
        const std::string& alt_gff = pick(names.alt_gff, motif, "motif");
        c.put(seq);
        c.text("\texactpwm\tnucleotide_motif\t");
        c.integer(start + 1);
        c.put('\t');
        c.integer(end);
        c.put('\t');
        c.repr(score);
        c.put('\t');
        c.put(strand);
        c.text("\t.\tID=");
        c.put(name_gff);
        c.put('-');
        c.integer(first_id + i);  // i counts rows of the whole call
        c.put('-');
        c.put(pick(names.sequence_gff, sequence[i], "sequence"));
        c.text(";Name=");
        c.put(name_gff);
        if (!alt_gff.empty()) {
            c.text(";Alias=");
            c.put(alt_gff);
        }
        c.text(";pvalue=");
        c.general(pvalue, 3);
        if (!std::isnan(qvalue)) {
            c.text(";qvalue=");
            c.general(qvalue, 3);
        }
        c.text(";sequence=");
        c.put(matched, matched_len);
        c.put('\n');
    }
    return c.p;
}

// Parts of kHitRowsPerPart consecutive rows of [0, n): run(t, b, e) for part t, rows [b, e), on up to
// `threads` OpenMP threads; the first exception any part throws is rethrown after the loop.
template <class Run>
void for_each_part(int64_t n, int threads, const Run& run) {
    const int64_t n_parts = hit_text_parts(n);
    if (n_parts == 1 || threads <= 1) {
        for (int64_t t = 0; t < n_parts; ++t) run(t, t * kHitRowsPerPart, std::min(n, (t + 1) * kHitRowsPerPart));
        return;
    }
    std::exception_ptr error;
#ifdef _OPENMP
#pragma omp parallel for num_threads(static_cast<int>(std::min<int64_t>(threads, n_parts))) schedule(dynamic, 1)
#endif
    for (int64_t t = 0; t < n_parts; ++t) {
        try {
            run(t, t * kHitRowsPerPart, std::min(n, (t + 1) * kHitRowsPerPart));
        } catch (...) {
#ifdef _OPENMP
#pragma omp critical
#endif
            error = std::current_exception();
        }
    }
    if (error) std::rethrow_exception(error);
}

// Lines of rows [0, n) in parts of kHitRowsPerPart consecutive rows, format(b, e, out) appending rows
// [b, e) of one part to its string.
template <class Format>
void format_in_parts(int64_t n, int threads, std::vector<std::string>& parts, const Format& format) {
    parts.assign(static_cast<size_t>(hit_text_parts(n)), std::string());
    for_each_part(n, threads, [&](int64_t t, int64_t b, int64_t e) { format(b, e, parts[static_cast<size_t>(t)]); });
}

}  // namespace

int64_t hit_text_parts(int64_t n) { return std::max<int64_t>(1, (n + kHitRowsPerPart - 1) / kHitRowsPerPart); }

void hit_part_bounds(const HitRows& rows, const int64_t* sequence, const HitNames& names, int64_t* bounds) {
    // per row: its names (the motif's at most twice, as GFF writes it), six numbers of at most 32
    // bytes, the matched sequence, and the fixed text and separators of the longest format (GFF)
    const auto size = [](const std::vector<std::string>& list, int64_t i) {
        return i < static_cast<int64_t>(list.size()) ? static_cast<int64_t>(list[static_cast<size_t>(i)].size()) : 0;
    };
    const int64_t fixed = std::max<int64_t>(rows.matched_width, 0) + 6 * 32 + 128;
    std::fill(bounds, bounds + hit_text_parts(rows.n), int64_t{0});
    for (int64_t i = 0; i < rows.n; ++i) {
        const int32_t motif = field<int32_t>(rows.data + i * rows.itemsize, rows.motif);
        pick(names.motif, motif, "motif");
        pick(names.sequence, sequence[i], "sequence");
        bounds[i / kHitRowsPerPart] += fixed + 2 * (size(names.motif, motif) + size(names.motif_gff, motif)) +
                                       size(names.alt, motif) + size(names.alt_gff, motif) +
                                       size(names.sequence, sequence[i]) + size(names.sequence_gff, sequence[i]);
    }
}

void format_hit_parts(const HitRows& rows, const int64_t* sequence, HitFormat format, const HitNames& names,
                      int64_t first_id, char* const* out, int64_t* lengths, int threads) {
    for_each_part(rows.n, threads, [&](int64_t t, int64_t b, int64_t e) {
        lengths[t] = format_range(rows, b, e, sequence, format, names, first_id, out[t]) - out[t];
    });
}

void format_tomtom_parts(const TomtomRows& rows, const TomtomNames& names, std::vector<std::string>& parts,
                         int threads) {
    const int64_t Q = static_cast<int64_t>(names.query.size()), T = static_cast<int64_t>(names.target.size());
    if (static_cast<int64_t>(names.query_consensus.size()) != Q ||
        static_cast<int64_t>(names.target_consensus.size()) != 2 * T)
        throw std::out_of_range("one consensus per query and two per target are needed");
    for (int64_t i = 0; i < rows.n; ++i) {  // every index checked before any line is made
        const uint8_t* row = rows.data + i * rows.itemsize;
        const int64_t q = field<int64_t>(row, rows.query), t = field<int64_t>(row, rows.target);
        const char strand = field<char>(row, rows.strand);
        if (q < 0 || q >= Q || t < 0 || t >= T) throw std::out_of_range("a row's query or target index is out of range");
        if (strand != '+' && strand != '-') throw std::out_of_range("a row's strand is not '+' or '-'");
    }
    // a value as Tomtom stores it (float32) and prints it (%g)
    const auto stored = [](std::string& out, double x) { append_g6(out, static_cast<double>(static_cast<float>(x))); };
    format_in_parts(rows.n, threads, parts, [&](int64_t b, int64_t e, std::string& out) {
        for (int64_t i = b; i < e; ++i) {
            const uint8_t* row = rows.data + i * rows.itemsize;
            const int64_t q = field<int64_t>(row, rows.query), t = field<int64_t>(row, rows.target);
            const char strand = field<char>(row, rows.strand);
            out += names.query[static_cast<size_t>(q)];
            out += '\t';
            out += names.target[static_cast<size_t>(t)];
            out += '\t';
            append_int(out, field<int64_t>(row, rows.offset));
            out += '\t';
            stored(out, field<double>(row, rows.pvalue));
            out += '\t';
            stored(out, field<double>(row, rows.evalue));
            out += '\t';
            stored(out, field<double>(row, rows.qvalue));
            out += '\t';
            append_int(out, field<int64_t>(row, rows.overlap));
            out += '\t';
            out += names.query_consensus[static_cast<size_t>(q)];
            out += '\t';
            out += names.target_consensus[static_cast<size_t>(2 * t + (strand == '-'))];
            out += '\t';
            out += strand;
            out += '\n';
        }
    });
}

void join_columns(const std::vector<TextColumn>& columns, int64_t n_rows, std::string& out) {
    // C - 1 tabs and a newline per row (a newline alone without columns), then the fields
    const size_t per_row = std::max<size_t>(1, columns.size());
    size_t total = out.size() + per_row * static_cast<size_t>(n_rows);
    for (const TextColumn& c : columns)
        for (int64_t i = 0; i < n_rows; ++i) {
            const int64_t e = c.codes[i];
            if (e < 0 || e >= c.n_entries) throw std::out_of_range("a text column's code is outside its dictionary");
            total += static_cast<size_t>(c.offsets[e + 1] - c.offsets[e]);
        }
    const size_t start = out.size();
    out.resize(total);
    char* at = out.data() + start;
    for (int64_t i = 0; i < n_rows; ++i) {
        for (size_t c = 0; c < columns.size(); ++c) {
            const TextColumn& col = columns[c];
            const int64_t e = col.codes[i];
            const int64_t n = col.offsets[e + 1] - col.offsets[e];
            std::memcpy(at, col.text + col.offsets[e], static_cast<size_t>(n));
            at += n;
            *at++ = '\t';
        }
        if (!columns.empty()) --at;
        *at++ = '\n';
    }
}

}  // namespace exactpwm
