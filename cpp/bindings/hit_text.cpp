// Bindings for hit text: a structured array of hits -> bytes of TSV, BED or GFF lines.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "exactpwm/hit_text.hpp"

namespace py = pybind11;

namespace {

int64_t offset_of(const py::dict& fields, const char* name) {
    if (!fields.contains(name)) throw py::value_error(std::string("hit rows have no field '") + name + "'");
    return py::cast<int64_t>(py::tuple(fields[name])[1]);
}

py::bytes format_hits(const py::array& rows, const py::array_t<int64_t, py::array::c_style>& sequence,
                      const std::string& format, exactpwm::HitNames names, int64_t first_id, int threads) {
    const py::dtype dt = rows.dtype();
    if (rows.ndim() != 1 || !(rows.flags() & py::array::c_style) || !py::hasattr(dt, "fields") ||
        dt.attr("fields").is_none())
        throw py::value_error("rows must be a contiguous 1-D structured array of hits");
    const py::dict fields = dt.attr("fields");
    const std::vector<std::pair<const char*, char>> kinds = {{"motif", 'i'}, {"start", 'i'}, {"end", 'i'},
        {"strand", 'S'}, {"score", 'f'}, {"pvalue", 'f'}, {"qvalue", 'f'}, {"matched", 'S'}};
    for (const auto& [name, kind] : kinds) {  // the layout hit_dtype makes; anything else is refused
        const py::dtype f = py::tuple(fields[name])[0].cast<py::dtype>();
        if (f.kind() != kind) throw py::value_error(std::string("hit field '") + name + "' has an unexpected type");
    }
    const auto size_of = [&](const char* name) {
        return py::tuple(fields[name])[0].cast<py::dtype>().itemsize();
    };
    if (size_of("motif") != 4 || size_of("start") != 8 || size_of("end") != 8 || size_of("strand") != 1 ||
        size_of("score") != 8 || size_of("pvalue") != 8 || size_of("qvalue") != 8)
        throw py::value_error("hit rows must have the layout of exactpwm.hit_dtype");
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
    std::string out;
    try {
        py::gil_scoped_release nogil;
        exactpwm::format_hits(hr, sequence.data(), fmt, names, first_id, out, threads);
    } catch (const std::out_of_range& e) {  // the GIL is held again here
        throw py::value_error(e.what());
    }
    return py::bytes(out);
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
          "Hit rows (hit_dtype) as TSV/BED/GFF lines, bytes; sequence: each row's index into sequence_names.");
    m.def("join_columns", &join_columns, py::arg("texts"), py::arg("offsets"), py::arg("codes"),
          "Tab-separated lines, bytes: row i, column c is entry codes[c][i] of column c's dictionary, entry e "
          "being texts[c][offsets[c][e]:offsets[c][e + 1]].");
    m.def("format_repr", [](double x) { std::string s; exactpwm::append_repr(s, x); return s; },
          "repr(float(x)) as the engine writes it (for tests).");
    m.def("format_g3", [](double x) { std::string s; exactpwm::append_g3(s, x); return s; },
          "format(x, '.3g') as the engine writes it (for tests).");
}
