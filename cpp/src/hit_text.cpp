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

const std::string& pick(const std::vector<std::string>& names, int64_t i, const char* what) {
    if (i < 0 || i >= static_cast<int64_t>(names.size())) throw std::out_of_range(std::string("a row's ") + what + " index is out of range");
    return names[static_cast<size_t>(i)];
}

}  // namespace

void append_repr(std::string& out, double x) {
    const double a = std::fabs(x);
    if ((a >= 1e-4 && a < 1e16) || x == 0) {  // Python's fixed layout: the shortest fixed digits
        char buf[48];
        const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed);
        out.append(buf, r.ptr);
        if (!std::memchr(buf, '.', static_cast<size_t>(r.ptr - buf))) out += ".0";
        return;
    }
    if (std::isnan(x)) {
        out += "nan";
        return;
    }
    if (std::isinf(x)) {
        out += x < 0 ? "-inf" : "inf";
        return;
    }
    // the shortest digits that round-trip, then Python's layout: fixed for 1e-4 <= |x| < 1e16
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
    const char* p = buf;
    if (*p == '-') {
        out += '-';
        ++p;
    }
    std::string digits;
    while (p < r.ptr && *p != 'e') {
        if (*p != '.') digits += *p;
        ++p;
    }
    int exp = 0;  // "e+05" -> 5 (the buffer is not NUL-terminated: parse up to r.ptr)
    const char* e0 = p + 1 + (p + 1 < r.ptr && p[1] == '+');
    std::from_chars(e0, r.ptr, exp);
    const int nd = static_cast<int>(digits.size());
    if (exp >= -4 && exp < 16) {
        if (exp >= 0) {
            if (nd <= exp + 1) {
                out += digits;
                out.append(static_cast<size_t>(exp + 1 - nd), '0');
                out += ".0";
            } else {
                out.append(digits, 0, static_cast<size_t>(exp + 1));
                out += '.';
                out.append(digits, static_cast<size_t>(exp + 1), std::string::npos);
            }
        } else {
            out += "0.";
            out.append(static_cast<size_t>(-exp - 1), '0');
            out += digits;
        }
        return;
    }
    out += digits[0];
    if (nd > 1) {
        out += '.';
        out.append(digits, 1, std::string::npos);
    }
    out += exp < 0 ? "e-" : "e+";
    const int e = exp < 0 ? -exp : exp;
    if (e < 10) out += '0';
    append_int(out, e);
}

namespace {

// printf("%.<precision>g"), appended to out ("nan" for NaN).
void append_general(std::string& out, double x, int precision) {
    if (std::isnan(x)) {
        out += "nan";
        return;
    }
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::general, precision);
    out.append(buf, r.ptr);
}

}  // namespace

void append_g3(std::string& out, double x) { append_general(out, x, 3); }  // as printf("%.3g")

void append_g6(std::string& out, double x) { append_general(out, x, 6); }  // as printf("%g")

namespace {

void format_range(const HitRows& rows, int64_t begin, int64_t end_row, const int64_t* sequence, HitFormat format,
                  const HitNames& names, int64_t first_id, std::string& out) {
    out.reserve(out.size() + static_cast<size_t>(end_row - begin) * 96);
    for (int64_t i = begin; i < end_row; ++i) {
        const uint8_t* row = rows.data + i * rows.itemsize;
        const int32_t motif = field<int32_t>(row, rows.motif);
        const int64_t start = field<int64_t>(row, rows.start), end = field<int64_t>(row, rows.end);
        const char strand = static_cast<char>(row[rows.strand]);
        const double score = field<double>(row, rows.score);
        const std::string& seq = pick(names.sequence, sequence[i], "sequence");
        const std::string& name = pick(names.motif, motif, "motif");
        if (format == HitFormat::Bed) {
            out += seq;
            out += '\t';
            append_int(out, start);
            out += '\t';
            append_int(out, end);
            out += '\t';
            out += name;
            out += '\t';
            append_repr(out, score);
            out += '\t';
            out += strand;
            out += '\n';
            continue;
        }
        const double pvalue = field<double>(row, rows.pvalue), qvalue = field<double>(row, rows.qvalue);
        const char* matched = reinterpret_cast<const char*>(row + rows.matched);
        const size_t matched_len = strnlen(matched, static_cast<size_t>(rows.matched_width));
        if (format == HitFormat::Tsv || format == HitFormat::FimoTsv) {
            out += name;
            out += '\t';
            out += pick(names.alt, motif, "motif");
            out += '\t';
            out += seq;
            out += '\t';
            append_int(out, start + 1);
            out += '\t';
            append_int(out, end);
            out += '\t';
            out += strand;
            out += '\t';
            if (format == HitFormat::FimoTsv) append_g6(out, score);
            else append_repr(out, score);
            out += '\t';
            append_g3(out, pvalue);
            out += '\t';
            if (!std::isnan(qvalue)) append_g3(out, qvalue);
            out += '\t';
            out.append(matched, matched_len);
            out += '\n';
            continue;
        }
        const std::string& name_gff = pick(names.motif_gff, motif, "motif");
        const std::string& alt_gff = pick(names.alt_gff, motif, "motif");
        out += seq;
        out += "\texactpwm\tnucleotide_motif\t";
        append_int(out, start + 1);
        out += '\t';
        append_int(out, end);
        out += '\t';
        append_repr(out, score);
        out += '\t';
        out += strand;
        out += "\t.\tID=";
        out += name_gff;
        out += '-';
        append_int(out, first_id + i);  // i counts rows of the whole call
        out += '-';
        out += pick(names.sequence_gff, sequence[i], "sequence");
        out += ";Name=";
        out += name_gff;
        if (!alt_gff.empty()) {
            out += ";Alias=";
            out += alt_gff;
        }
        out += ";pvalue=";
        append_g3(out, pvalue);
        if (!std::isnan(qvalue)) {
            out += ";qvalue=";
            append_g3(out, qvalue);
        }
        out += ";sequence=";
        out.append(matched, matched_len);
        out += '\n';
    }
}

// Lines of rows [0, n) in parts of 2^14 consecutive rows, format(b, e, out) writing rows [b, e) of
// one part, on up to `threads` OpenMP threads (the bytes do not depend on it); the first exception
// any part throws is rethrown after the loop.
template <class Format>
void format_in_parts(int64_t n, int threads, std::vector<std::string>& parts, const Format& format) {
    constexpr int64_t kRowsPerPart = 1 << 14;
    const int64_t n_parts = std::max<int64_t>(1, (n + kRowsPerPart - 1) / kRowsPerPart);
    parts.assign(static_cast<size_t>(n_parts), std::string());
    if (n_parts == 1 || threads <= 1) {
        for (int64_t t = 0; t < n_parts; ++t)
            format(t * kRowsPerPart, std::min(n, (t + 1) * kRowsPerPart), parts[static_cast<size_t>(t)]);
        return;
    }
    std::exception_ptr error;
#ifdef _OPENMP
#pragma omp parallel for num_threads(static_cast<int>(std::min<int64_t>(threads, n_parts))) schedule(dynamic, 1)
#endif
    for (int64_t t = 0; t < n_parts; ++t) {
        try {
            format(t * kRowsPerPart, std::min(n, (t + 1) * kRowsPerPart), parts[static_cast<size_t>(t)]);
        } catch (...) {
#ifdef _OPENMP
#pragma omp critical
#endif
            error = std::current_exception();
        }
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace

void format_hit_parts(const HitRows& rows, const int64_t* sequence, HitFormat format, const HitNames& names,
                      int64_t first_id, std::vector<std::string>& parts, int threads) {
    format_in_parts(rows.n, threads, parts, [&](int64_t b, int64_t e, std::string& out) {
        format_range(rows, b, e, sequence, format, names, first_id, out);
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
