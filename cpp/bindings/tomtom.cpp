// Bindings for motif comparison (Tomtom's statistics): shapes and bounds checked here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <tuple>
#include <utility>
#include <vector>

#include "engine_call.hpp"
#include "isa.hpp"
#include "exactpwm/engine.hpp"

namespace py = pybind11;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

// A comparison's inputs, checked: the number of queries and the database.
std::pair<int64_t, exactpwm::TomtomDatabase> comparison_inputs(
    const carray<double>& query_cols, const carray<int64_t>& query_start, const carray<double>& query_nsites,
    const carray<double>& db_cols, const carray<double>& db_nsites, const carray<int64_t>& entry_start,
    const carray<int64_t>& width_index, const carray<int64_t>& widths, int distance,
    const carray<double>& background, int orientations, int min_overlap) {
    if (query_cols.ndim() != 2 || query_cols.shape(1) != 4 || db_cols.ndim() != 2 || db_cols.shape(1) != 4)
        throw py::value_error("query_cols and db_cols must have shape (n, 4)");
    if (query_start.ndim() != 1 || query_start.shape(0) < 1 || query_nsites.ndim() != 1 ||
        query_nsites.shape(0) != query_start.shape(0) - 1)
        throw py::value_error("query_start must be (Q + 1,) and query_nsites (Q,)");
    const int64_t Q = query_start.shape(0) - 1;
    const int64_t* qs = query_start.data();
    if (qs[0] != 0 || qs[Q] != query_cols.shape(0)) throw py::value_error("query_start must span query_cols");
    for (int64_t q = 0; q < Q; ++q)
        if (qs[q + 1] - qs[q] < 1) throw py::value_error("every query needs at least one column");
    if (entry_start.ndim() != 1 || entry_start.shape(0) < 2) throw py::value_error("entry_start must be (E + 1,)");
    const int64_t E = entry_start.shape(0) - 1, n = db_cols.shape(0);
    const int64_t* es = entry_start.data();
    if (es[0] != 0 || es[E] != n) throw py::value_error("entry_start must span db_cols");
    if (db_nsites.ndim() != 1 || db_nsites.shape(0) != n) throw py::value_error("db_nsites must be (n_cols,)");
    if (width_index.ndim() != 1 || width_index.shape(0) != E || widths.ndim() != 1)
        throw py::value_error("width_index must be (E,) and widths 1-D");
    const int64_t NW = widths.shape(0);
    for (int64_t e = 0; e < E; ++e) {
        const int64_t k = width_index.data()[e];
        if (k < 0 || k >= NW || widths.data()[k] != es[e + 1] - es[e] || es[e + 1] - es[e] < 1)
            throw py::value_error("width_index must point at each entry's width");
    }
    if (distance < 0 || distance > 4) throw py::value_error("distance must be 0..4");
    if (background.ndim() != 1 || background.shape(0) != 4) throw py::value_error("background must be (4,)");
    if (orientations < 1 || orientations > 2 || min_overlap < 1 || E % orientations != 0)
        throw py::value_error("orientations must be 1 or 2 (dividing the entries) and min_overlap >= 1");
    return {Q, exactpwm::TomtomDatabase{db_cols.data(), db_nsites.data(), n, es, width_index.data(), E,
                                        widths.data(), NW}};
}

// Each target's better orientation: (Q, T) writeable outputs, checked.
void check_best(const carray<double>& best_pvalue, const carray<int64_t>& best_offset,
                const carray<int64_t>& best_overlap, const carray<uint8_t>& strand, int64_t Q, int64_t T) {
    for (const auto* a : {static_cast<const py::array*>(&best_pvalue), static_cast<const py::array*>(&best_offset),
                          static_cast<const py::array*>(&best_overlap), static_cast<const py::array*>(&strand)})
        if (a->ndim() != 2 || a->shape(0) != Q || a->shape(1) != T || !a->writeable())
            throw py::value_error("the outputs must be writeable (Q, E / orientations) arrays");
}

void compare(const carray<double>& query_cols, const carray<int64_t>& query_start, const carray<double>& query_nsites,
             const carray<double>& db_cols, const carray<double>& db_nsites, const carray<int64_t>& entry_start,
             const carray<int64_t>& width_index, const carray<int64_t>& widths, int distance,
             const carray<double>& background, int orientations, int min_overlap, carray<double>& pvalue,
             carray<int64_t>& offset, carray<int64_t>& overlap, int threads, const std::string& isa) {
    const auto [Q, db] = comparison_inputs(query_cols, query_start, query_nsites, db_cols, db_nsites, entry_start,
                                           width_index, widths, distance, background, orientations, min_overlap);
    const int64_t E = db.n_entries;
    if (pvalue.ndim() != 2 || pvalue.shape(0) != Q || pvalue.shape(1) != E || !pvalue.writeable())
        throw py::value_error("pvalue must be a writeable (Q, E) float64 array");
    for (auto* a : {&offset, &overlap}) {
        if (a->ndim() != 2 || a->shape(0) != Q || a->shape(1) != E || !a->writeable())
            throw py::value_error("offset and overlap must be writeable (Q, E) int64 arrays");
    }
    const exactpwm::Isa want = exactpwm_bindings::parse_isa(isa);
    double* pv = pvalue.mutable_data();
    int64_t* off = offset.mutable_data();
    int64_t* ov = overlap.mutable_data();
    exactpwm_bindings::EngineCall call;
    exactpwm::tomtom_compare(query_cols.data(), query_start.data(), query_nsites.data(), Q, db, distance,
                             background.data(), orientations, min_overlap, pv, off, ov, threads, want);
}

void compare_best(const carray<double>& query_cols, const carray<int64_t>& query_start,
                  const carray<double>& query_nsites, const carray<double>& db_cols, const carray<double>& db_nsites,
                  const carray<int64_t>& entry_start, const carray<int64_t>& width_index,
                  const carray<int64_t>& widths, int distance, const carray<double>& background, int orientations,
                  int min_overlap, carray<double>& best_pvalue, carray<int64_t>& best_offset,
                  carray<int64_t>& best_overlap, carray<uint8_t>& strand, int threads, const std::string& isa) {
    const auto [Q, db] = comparison_inputs(query_cols, query_start, query_nsites, db_cols, db_nsites, entry_start,
                                           width_index, widths, distance, background, orientations, min_overlap);
    check_best(best_pvalue, best_offset, best_overlap, strand, Q, db.n_entries / orientations);
    const exactpwm::Isa want = exactpwm_bindings::parse_isa(isa);
    const exactpwm::TomtomBest best{best_pvalue.mutable_data(), best_offset.mutable_data(),
                                    best_overlap.mutable_data(), reinterpret_cast<char*>(strand.mutable_data())};
    exactpwm_bindings::EngineCall call;
    exactpwm::tomtom_compare(query_cols.data(), query_start.data(), query_nsites.data(), Q, db, distance,
                             background.data(), orientations, min_overlap, nullptr, nullptr, nullptr, threads, want,
                             &best);
}

// (Q, E, T) of tomtom_compare's (Q, E) arrays with `orientations` entries per target, checked
std::tuple<int64_t, int64_t, int64_t> comparison_shape(const carray<double>& pvalue, const carray<int64_t>& offset,
                                                       const carray<int64_t>& overlap, int orientations) {
    if (pvalue.ndim() != 2 || offset.ndim() != 2 || overlap.ndim() != 2)
        throw py::value_error("pvalue, offset and overlap must be (Q, E)");
    const int64_t Q = pvalue.shape(0), E = pvalue.shape(1);
    for (const auto* a : {static_cast<const py::array*>(&offset), static_cast<const py::array*>(&overlap)})
        if (a->shape(0) != Q || a->shape(1) != E) throw py::value_error("offset and overlap must have pvalue's shape");
    if (orientations < 1 || orientations > 2 || E % orientations != 0)
        throw py::value_error("orientations must be 1 or 2 and divide the number of entries");
    const int64_t T = E / orientations;
    return {Q, E, T};
}

void table(const carray<double>& pvalue, const carray<int64_t>& offset, const carray<int64_t>& overlap,
           int orientations, const carray<int64_t>& name_rank, py::array& rows, const std::vector<int64_t>& fields,
           int64_t first_query, int threads) {
    const auto [Q, E, T] = comparison_shape(pvalue, offset, overlap, orientations);
    if (name_rank.ndim() != 1 || name_rank.shape(0) != T) throw py::value_error("name_rank must be (T,)");
    std::vector<char> seen(static_cast<size_t>(T), 0);
    for (int64_t t = 0; t < T; ++t) {
        const int64_t r = name_rank.data()[t];
        if (r < 0 || r >= T || seen[static_cast<size_t>(r)]) throw py::value_error("name_rank must order 0..T-1");
        seen[static_cast<size_t>(r)] = 1;
    }
    for (int64_t k = 0; k < Q * E; ++k)
        if (overlap.data()[k] < 0 || overlap.data()[k] >= (int64_t{1} << 24))
            throw py::value_error("overlaps must lie in [0, 2^24)");
    if (rows.ndim() != 1 || rows.shape(0) != Q * T || !rows.writeable() ||
        !(rows.flags() & py::array::c_style))
        throw py::value_error("rows must be a writeable contiguous (Q * T,) record array");
    if (fields.size() != 8) throw py::value_error("fields must hold 8 byte offsets");
    const int64_t stride = rows.itemsize();
    const int64_t sizes[8] = {8, 8, 8, 8, 8, 8, 8, 1};  // query, target, offset, pvalue, evalue, qvalue, overlap, strand
    for (int k = 0; k < 8; ++k)
        if (fields[k] < 0 || fields[k] + sizes[k] > stride) throw py::value_error("a field lies outside the record");
    const exactpwm::TomtomRowLayout layout{stride, fields[0], fields[1], fields[2], fields[3],
                                           fields[4], fields[5], fields[6], fields[7]};
    auto* out = static_cast<uint8_t*>(rows.mutable_data());
    exactpwm_bindings::EngineCall call;
    exactpwm::tomtom_table(pvalue.data(), offset.data(), overlap.data(), Q, T, orientations, name_rank.data(), out,
                           layout, first_query, threads);
}

void matrices(const carray<double>& pvalue, const carray<int64_t>& offset, const carray<int64_t>& overlap,
              int orientations, carray<double>& best_pvalue, carray<int64_t>& best_offset,
              carray<int64_t>& best_overlap, carray<uint8_t>& strand, int threads) {
    const auto [Q, E, T] = comparison_shape(pvalue, offset, overlap, orientations);
    check_best(best_pvalue, best_offset, best_overlap, strand, Q, T);
    double* p = best_pvalue.mutable_data();
    int64_t* off = best_offset.mutable_data();
    int64_t* ov = best_overlap.mutable_data();
    char* s = reinterpret_cast<char*>(strand.mutable_data());
    py::gil_scoped_release nogil;
    exactpwm::tomtom_matrices(pvalue.data(), offset.data(), overlap.data(), Q, T, orientations, p, off, ov, s,
                              threads);
}

}  // namespace

void register_tomtom(py::module_& m) {
    m.def("tomtom_compare", &compare, py::arg("query_cols").noconvert(), py::arg("query_start").noconvert(),
          py::arg("query_nsites").noconvert(), py::arg("db_cols").noconvert(), py::arg("db_nsites").noconvert(),
          py::arg("entry_start").noconvert(), py::arg("width_index").noconvert(), py::arg("widths").noconvert(),
          py::arg("distance"), py::arg("background").noconvert(), py::arg("orientations"), py::arg("min_overlap"),
          py::arg("pvalue").noconvert(), py::arg("offset").noconvert(), py::arg("overlap").noconvert(),
          py::arg("threads"), py::arg("isa"),
          "tomtom_compare(query_cols (n_q, 4), query_start (Q + 1,), query_nsites (Q,), db_cols (n, 4), "
          "db_nsites (n,), entry_start (E + 1,), width_index (E,), widths (W,), distance 0..4, background (4,), "
          "orientations, min_overlap, pvalue (Q, E) float64, offset (Q, E) int64, overlap (Q, E) int64 written, "
          "threads, isa)");
    m.def("tomtom_compare_best", &compare_best, py::arg("query_cols").noconvert(),
          py::arg("query_start").noconvert(), py::arg("query_nsites").noconvert(), py::arg("db_cols").noconvert(),
          py::arg("db_nsites").noconvert(), py::arg("entry_start").noconvert(), py::arg("width_index").noconvert(),
          py::arg("widths").noconvert(), py::arg("distance"), py::arg("background").noconvert(),
          py::arg("orientations"), py::arg("min_overlap"), py::arg("best_pvalue").noconvert(),
          py::arg("best_offset").noconvert(), py::arg("best_overlap").noconvert(), py::arg("strand").noconvert(),
          py::arg("threads"), py::arg("isa"),
          "tomtom_compare_best(the inputs of tomtom_compare, then best_pvalue (Q, T) float64, best_offset, "
          "best_overlap (Q, T) int64, strand (Q, T) uint8 written, threads, isa): each target's better "
          "orientation (as tomtom_matrices picks it), with no (Q, E) arrays");
    m.def(
        "tomtom_ed_grid",
        [](int mode) {
            if (mode < 0 || mode > 2) throw py::value_error("tomtom_ed_grid: mode must be 0, 1 or 2");
            return exactpwm::tomtom_ed_grid(mode);
        },
        py::arg("mode"),
        "tomtom_ed_grid(mode) -> previous mode: how the AVX-512 build puts ed's scores on Tomtom's grid "
        "(the same results): 0 the faster on this CPU, 1 a square root per value, 2 estimates made exact "
        "near grid steps");
    m.def(
        "tomtom_release",
        [] {
            py::gil_scoped_release nogil;
            exactpwm::tomtom_release();
        },
        "tomtom_release(): free the scratch tomtom_compare keeps between calls");
    m.def("tomtom_table", &table, py::arg("pvalue").noconvert(), py::arg("offset").noconvert(),
          py::arg("overlap").noconvert(), py::arg("orientations"), py::arg("name_rank").noconvert(),
          py::arg("rows"), py::arg("fields"), py::arg("first_query"), py::arg("threads"),
          "tomtom_table(pvalue (Q, E) float64, offset, overlap (Q, E) int64, orientations, name_rank (T,) int64, "
          "rows (Q * T,) records written, fields: byte offsets of query, target, offset, pvalue, evalue, qvalue, "
          "overlap (8 bytes each) and strand (1 byte), first_query (the query column holds first_query + row's "
          "query), threads)");
    m.def("tomtom_matrices", &matrices, py::arg("pvalue").noconvert(), py::arg("offset").noconvert(),
          py::arg("overlap").noconvert(), py::arg("orientations"), py::arg("best_pvalue").noconvert(),
          py::arg("best_offset").noconvert(), py::arg("best_overlap").noconvert(), py::arg("strand").noconvert(),
          py::arg("threads"),
          "tomtom_matrices(pvalue (Q, E) float64, offset, overlap (Q, E) int64, orientations, best_pvalue (Q, T) "
          "float64, best_offset, best_overlap (Q, T) int64, strand (Q, T) uint8 written (b'+' or b'-'), threads): "
          "each target's better orientation, as tomtom_table picks it");
}
