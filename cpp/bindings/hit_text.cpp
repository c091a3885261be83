// Bindings for hit text: a structured array of hits -> bytes of TSV, BED or GFF lines.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "exactpwm/engine.hpp"
#include "exactpwm/hit_text.hpp"

namespace py = pybind11;

namespace {

int64_t offset_of(const py::dict& fields, const char* name) {
    if (!fields.contains(name)) throw py::value_error(std::string("rows have no field '") + name + "'");
    return py::cast<int64_t>(py::tuple(fields[name])[1]);
}

// Refuses rows whose fields differ from hit_dtype's: each (name, kind, size) must be there (size 0:
// any size).
void check_hit_fields(const py::dict& fields, const std::vector<std::tuple<const char*, char, int64_t>>& kinds) {
    for (const auto& [name, kind, size] : kinds) {
        if (!fields.contains(name)) throw py::value_error(std::string("rows have no field '") + name + "'");
        const py::dtype f = py::tuple(fields[name])[0].cast<py::dtype>();
        if (f.kind() != kind || (size && f.itemsize() != size))
            throw py::value_error(std::string("field '") + name + "' has an unexpected type");
    }
}

// the parts copied once, straight into one bytes object
py::bytes joined(const std::vector<std::string>& parts) {
    size_t total = 0;
    for (const auto& p : parts) total += p.size();
    PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(total));
    if (!raw) throw py::error_already_set();
    py::bytes out = py::reinterpret_steal<py::bytes>(raw);
    char* at = PyBytes_AS_STRING(raw);
    for (const auto& p : parts) {
        std::memcpy(at, p.data(), p.size());
        at += p.size();
    }
    return out;
}

py::list format_hits(const py::array& rows, const py::array_t<int64_t, py::array::c_style>& sequence,
                      const std::string& format, exactpwm::HitNames names, int64_t first_id, int threads) {
    const py::dtype dt = rows.dtype();
    if (rows.ndim() != 1 || !(rows.flags() & py::array::c_style) || !py::hasattr(dt, "fields") ||
        dt.attr("fields").is_none())
        throw py::value_error("rows must be a contiguous 1-D structured array of hits");
    const py::dict fields = dt.attr("fields");
    check_hit_fields(fields, {{"motif", 'i', 4}, {"start", 'i', 8}, {"end", 'i', 8}, {"strand", 'S', 1},
                              {"score", 'f', 8}, {"pvalue", 'f', 8}, {"qvalue", 'f', 8}, {"matched", 'S', 0}});
    const auto size_of = [&](const char* name) {
        return py::tuple(fields[name])[0].cast<py::dtype>().itemsize();
    };
    if (sequence.ndim() != 1 || sequence.shape(0) != rows.shape(0))
        throw py::value_error("sequence must give one index per row");
    exactpwm::HitFormat fmt;
    if (format == "tsv") fmt = exactpwm::HitFormat::Tsv;
    else if (format == "bed") fmt = exactpwm::HitFormat::Bed;
    else if (format == "gff") fmt = exactpwm::HitFormat::Gff;
    else if (format == "fimo") fmt = exactpwm::HitFormat::FimoTsv;
    else throw py::value_error("format must be 'tsv', 'fimo', 'bed' or 'gff'");
    if (fmt == exactpwm::HitFormat::Gff &&
        (names.motif_gff.size() != names.motif.size() || names.alt_gff.size() != names.motif.size() ||
         names.sequence_gff.size() != names.sequence.size()))
        throw py::value_error("GFF needs escaped names for every motif and sequence");
    if (fmt != exactpwm::HitFormat::Bed && names.alt.size() != names.motif.size())
        throw py::value_error("one alt name per motif is needed");
    const exactpwm::HitRows hr{static_cast<const uint8_t*>(rows.data()), rows.shape(0), dt.itemsize(),
                               offset_of(fields, "motif"), offset_of(fields, "start"), offset_of(fields, "end"),
                               offset_of(fields, "strand"), offset_of(fields, "score"), offset_of(fields, "pvalue"),
                               offset_of(fields, "qvalue"), offset_of(fields, "matched"), size_of("matched")};
    const int64_t n_parts = exactpwm::hit_text_parts(hr.n);
    std::vector<int64_t> bounds(static_cast<size_t>(n_parts)), lengths(static_cast<size_t>(n_parts), 0);
    try {
        exactpwm::hit_part_bounds(hr, sequence.data(), names, bounds.data());
    } catch (const std::out_of_range& e) {
        throw py::value_error(e.what());
    }
    // each part written straight into a bytes object of its bound, then cut to its length (pages past
    // it are never touched)
    std::vector<py::object> held(static_cast<size_t>(n_parts));
    std::vector<char*> out(static_cast<size_t>(n_parts));
    for (size_t t = 0; t < held.size(); ++t) {
        PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(bounds[t]));
        if (!raw) throw py::error_already_set();
        held[t] = py::reinterpret_steal<py::object>(raw);
        out[t] = PyBytes_AS_STRING(raw);
    }
    {
        py::gil_scoped_release nogil;
        exactpwm::format_hit_parts(hr, sequence.data(), fmt, names, first_id, out.data(), lengths.data(), threads);
    }
    py::list parts;
    for (size_t t = 0; t < held.size(); ++t) {
        PyObject* raw = held[t].release().ptr();
        if (_PyBytes_Resize(&raw, static_cast<Py_ssize_t>(lengths[t])) < 0) throw py::error_already_set();
        parts.append(py::reinterpret_steal<py::bytes>(raw));
    }
    return parts;
}

py::bytes format_tomtom(const py::array& rows, exactpwm::TomtomNames names, int threads) {
    const py::dtype dt = rows.dtype();
    if (rows.ndim() != 1 || !(rows.flags() & py::array::c_style) || !py::hasattr(dt, "fields") ||
        dt.attr("fields").is_none())
        throw py::value_error("rows must be a contiguous 1-D structured array of Tomtom's table");
    const py::dict fields = dt.attr("fields");
    check_hit_fields(fields, {{"query", 'i', 8}, {"target", 'i', 8}, {"offset", 'i', 8}, {"pvalue", 'f', 8},
                              {"evalue", 'f', 8}, {"qvalue", 'f', 8}, {"overlap", 'i', 8}, {"strand", 'S', 1}});
    const exactpwm::TomtomRows tr{static_cast<const uint8_t*>(rows.data()), rows.shape(0), dt.itemsize(),
                                  offset_of(fields, "query"), offset_of(fields, "target"),
                                  offset_of(fields, "offset"), offset_of(fields, "pvalue"),
                                  offset_of(fields, "evalue"), offset_of(fields, "qvalue"),
                                  offset_of(fields, "overlap"), offset_of(fields, "strand")};
    std::vector<std::string> parts;
    try {
        py::gil_scoped_release nogil;
        exactpwm::format_tomtom_parts(tr, names, parts, threads);
    } catch (const std::out_of_range& e) {  // the GIL is held again here
        throw py::value_error(e.what());
    }
    return joined(parts);
}

template <class T>
using carray = py::array_t<T, py::array::c_style>;

void hit_rows(const carray<int32_t>& motif, const carray<int64_t>& pos, const carray<bool>& minus,
              const carray<double>& score, const carray<double>& pvalue, const carray<int64_t>& piece_offsets,
              const carray<int64_t>& piece_records, const carray<int64_t>& piece_starts,
              const carray<int64_t>& widths, const carray<uint8_t>& codes, bool rna, py::array& rows, int threads) {
    const int64_t n = pos.shape(0);
    for (const py::array* a : {static_cast<const py::array*>(&motif), static_cast<const py::array*>(&pos),
                               static_cast<const py::array*>(&minus), static_cast<const py::array*>(&score),
                               static_cast<const py::array*>(&pvalue)})
        if (a->ndim() != 1 || a->shape(0) != n) throw py::value_error("motif, pos, minus, score and pvalue must be (n,)");
    if (piece_offsets.ndim() != 1 || piece_offsets.shape(0) < 2 || piece_records.ndim() != 1 ||
        piece_starts.ndim() != 1 || piece_records.shape(0) != piece_offsets.shape(0) - 1 ||
        piece_starts.shape(0) != piece_records.shape(0))
        throw py::value_error("piece_offsets must be (P + 1,), piece_records and piece_starts (P,)");
    const int64_t P = piece_records.shape(0), K = widths.shape(0), N = codes.shape(0);
    const int64_t* po = piece_offsets.data();
    for (int64_t p = 0; p < P; ++p)
        if (po[p + 1] < po[p]) throw py::value_error("piece_offsets must be non-decreasing");
    if (widths.ndim() != 1 || codes.ndim() != 1) throw py::value_error("widths and codes must be 1-D");
    const py::dtype dt = rows.dtype();
    if (rows.ndim() != 1 || rows.shape(0) != n || !rows.writeable() || !(rows.flags() & py::array::c_style) ||
        !py::hasattr(dt, "fields") || dt.attr("fields").is_none())
        throw py::value_error("rows must be a writeable contiguous (n,) structured array of hits");
    const py::dict fields = dt.attr("fields");
    check_hit_fields(fields, {{"motif", 'i', 4}, {"sequence", 'i', 8}, {"start", 'i', 8}, {"end", 'i', 8},
                              {"strand", 'S', 1}, {"score", 'f', 8}, {"pvalue", 'f', 8}, {"qvalue", 'f', 8},
                              {"matched", 'S', 0}});
    const int64_t matched_size = py::tuple(fields["matched"])[0].cast<py::dtype>().itemsize();
    const int32_t* m = motif.data();
    const int64_t* ps = pos.data();
    const int64_t* wd = widths.data();
    for (int64_t i = 0; i < n; ++i) {  // bounds: never read or write outside the arrays
        if (m[i] < 0 || m[i] >= K) throw py::value_error("a motif index is out of range");
        if (wd[m[i]] < 0 || wd[m[i]] > matched_size) throw py::value_error("a width exceeds the matched field");
        if (ps[i] < po[0] || ps[i] >= po[P] || ps[i] > N - wd[m[i]])
            throw py::value_error("a window lies outside the pieces' codes");
    }
    const exactpwm::HitRowLayout layout{dt.itemsize(), offset_of(fields, "motif"), offset_of(fields, "sequence"),
                                        offset_of(fields, "start"), offset_of(fields, "end"),
                                        offset_of(fields, "strand"), offset_of(fields, "score"),
                                        offset_of(fields, "pvalue"), offset_of(fields, "qvalue"),
                                        offset_of(fields, "matched"), matched_size};
    auto* out = static_cast<uint8_t*>(rows.mutable_data());
    const uint8_t* mi = reinterpret_cast<const uint8_t*>(minus.data());
    py::gil_scoped_release nogil;
    exactpwm::hit_rows(m, ps, mi, score.data(), pvalue.data(), n, K, po, piece_records.data(), piece_starts.data(),
                       P, wd, codes.data(), rna, out, layout, threads);
}

py::bytes join_columns(const std::vector<py::array_t<uint8_t, py::array::c_style>>& texts,
                       const std::vector<py::array_t<int64_t, py::array::c_style>>& offsets,
                       const std::vector<py::array_t<int64_t, py::array::c_style>>& codes) {
    if (texts.size() != codes.size() || offsets.size() != codes.size())
        throw py::value_error("one text, offsets and codes array per column is needed");
    std::vector<exactpwm::TextColumn> columns;
    const int64_t n = codes.empty() ? 0 : codes[0].shape(0);
    for (size_t c = 0; c < texts.size(); ++c) {
        const auto& off = offsets[c];
        if (texts[c].ndim() != 1 || off.ndim() != 1 || off.shape(0) < 1)
            throw py::value_error("each column needs text (T,) uint8 and offsets (U + 1,) int64");
        const int64_t U = off.shape(0) - 1;
        const int64_t* o = off.data();
        if (o[0] < 0 || o[U] > texts[c].shape(0)) throw py::value_error("offsets must lie within their text");
        for (int64_t e = 0; e < U; ++e)
            if (o[e + 1] < o[e]) throw py::value_error("offsets must be non-decreasing");
        if (codes[c].ndim() != 1 || codes[c].shape(0) != n)
            throw py::value_error("each code array must have shape (n,), one n for all");
        columns.push_back({reinterpret_cast<const char*>(texts[c].data()), o, U, codes[c].data()});
    }
    std::string out;
    try {
        py::gil_scoped_release nogil;
        exactpwm::join_columns(columns, n, out);
    } catch (const std::out_of_range& e) {  // the GIL is held again here
        throw py::value_error(e.what());
    }
    return py::bytes(out);
}

}  // namespace

void register_hit_text(py::module_& m) {
    m.def("hit_rows", &hit_rows, py::arg("motif").noconvert(), py::arg("pos").noconvert(),
          py::arg("minus").noconvert(), py::arg("score").noconvert(), py::arg("pvalue").noconvert(),
          py::arg("piece_offsets").noconvert(), py::arg("piece_records").noconvert(),
          py::arg("piece_starts").noconvert(), py::arg("widths").noconvert(), py::arg("codes").noconvert(),
          py::arg("rna"), py::arg("rows"), py::arg("threads"),
          "hit_rows(motif (n,) int32, pos (n,) int64, minus (n,) bool, score, pvalue (n,) float64, "
          "piece_offsets (P + 1,), piece_records (P,), piece_starts (P,) int64, widths (K,) int64, codes (N,) "
          "uint8, rna, rows (n,) hit records written in (pos, strand, motif) order, threads)");
    m.def(
        "format_tomtom",
        [](const py::array& rows, std::vector<std::string> query, std::vector<std::string> target,
           std::vector<std::string> query_consensus, std::vector<std::string> target_consensus, int threads) {
            return format_tomtom(rows,
                                 exactpwm::TomtomNames{std::move(query), std::move(target), std::move(query_consensus),
                                                       std::move(target_consensus)},
                                 threads);
        },
        py::arg("rows"), py::arg("query_names"), py::arg("target_names"), py::arg("query_consensus"),
        py::arg("target_consensus"), py::arg("threads"),
        "format_tomtom(rows (n,) Tomtom table records, query_names, target_names, query_consensus, target_consensus "
        "(2 per target: '+', '-'), threads) -> bytes: Tomtom's TSV lines (tomtom -text) of the rows");
    m.def("format_hits",
          [](const py::array& rows, const py::array_t<int64_t, py::array::c_style>& sequence, const std::string& format,
             std::vector<std::string> motif, std::vector<std::string> alt, std::vector<std::string> seq,
             std::vector<std::string> motif_gff, std::vector<std::string> alt_gff, std::vector<std::string> seq_gff,
             int64_t first_id, int threads) {
              return format_hits(rows, sequence, format,
                                 exactpwm::HitNames{std::move(motif), std::move(alt), std::move(seq), std::move(motif_gff),
                                                    std::move(alt_gff), std::move(seq_gff)},
                                 first_id, threads);
          },
          py::arg("rows"), py::arg("sequence"), py::arg("format"), py::arg("motif_names"), py::arg("alt_names"),
          py::arg("sequence_names"), py::arg("motif_gff"), py::arg("alt_gff"), py::arg("sequence_gff"),
          py::arg("first_id"), py::arg("threads") = 1,
          "Hit rows (hit_dtype) as TSV/BED/GFF lines, a list of bytes (the text is their concatenation); sequence: "
          "each row's index into sequence_names.");
    m.def("join_columns", &join_columns, py::arg("texts"), py::arg("offsets"), py::arg("codes"),
          "Tab-separated lines, bytes: row i, column c is entry codes[c][i] of column c's dictionary, entry e "
          "being texts[c][offsets[c][e]:offsets[c][e + 1]].");
    m.def("format_repr", [](double x) { std::string s; exactpwm::append_repr(s, x); return s; },
          "repr(float(x)) as the engine writes it (for tests).");
    m.def("format_g3", [](double x) { std::string s; exactpwm::append_g3(s, x); return s; },
          "format(x, '.3g') as the engine writes it (for tests).");
}
