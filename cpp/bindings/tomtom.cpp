// Bindings for motif comparison (Tomtom's statistics): shapes and bounds checked here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "engine_call.hpp"
#include "exactpwm/engine.hpp"

namespace py = pybind11;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

void compare(const carray<double>& query_cols, const carray<int64_t>& query_start, const carray<double>& query_nsites,
             const carray<double>& db_cols, const carray<double>& db_nsites, const carray<int64_t>& entry_start,
             const carray<int64_t>& width_index, const carray<int64_t>& widths, int distance,
             const carray<double>& background, int orientations, int min_overlap, carray<double>& pvalue,
             carray<int64_t>& offset, carray<int64_t>& overlap, int threads) {
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
    if (orientations < 1 || orientations > 2 || min_overlap < 1)
        throw py::value_error("orientations must be 1 or 2 and min_overlap >= 1");
    for (auto* a : {&pvalue}) {
        if (a->ndim() != 2 || a->shape(0) != Q || a->shape(1) != E || !a->writeable())
            throw py::value_error("pvalue must be a writeable (Q, E) float64 array");
    }
    for (auto* a : {&offset, &overlap}) {
        if (a->ndim() != 2 || a->shape(0) != Q || a->shape(1) != E || !a->writeable())
            throw py::value_error("offset and overlap must be writeable (Q, E) int64 arrays");
    }
    const exactpwm::TomtomDatabase db{db_cols.data(), db_nsites.data(), n, es, width_index.data(), E,
                                      widths.data(), NW};
    double* pv = pvalue.mutable_data();
    int64_t* off = offset.mutable_data();
    int64_t* ov = overlap.mutable_data();
    exactpwm_bindings::EngineCall call;
    exactpwm::tomtom_compare(query_cols.data(), qs, query_nsites.data(), Q, db, distance, background.data(),
                             orientations, min_overlap, pv, off, ov, threads);
}

}  // namespace

void register_tomtom(py::module_& m) {
    m.def("tomtom_compare", &compare, py::arg("query_cols").noconvert(), py::arg("query_start").noconvert(),
          py::arg("query_nsites").noconvert(), py::arg("db_cols").noconvert(), py::arg("db_nsites").noconvert(),
          py::arg("entry_start").noconvert(), py::arg("width_index").noconvert(), py::arg("widths").noconvert(),
          py::arg("distance"), py::arg("background").noconvert(), py::arg("orientations"), py::arg("min_overlap"),
          py::arg("pvalue").noconvert(), py::arg("offset").noconvert(), py::arg("overlap").noconvert(),
          py::arg("threads"),
          "tomtom_compare(query_cols (n_q, 4), query_start (Q + 1,), query_nsites (Q,), db_cols (n, 4), "
          "db_nsites (n,), entry_start (E + 1,), width_index (E,), widths (W,), distance 0..4, background (4,), "
          "orientations, min_overlap, pvalue (Q, E) float64, offset (Q, E) int64, overlap (Q, E) int64 written, "
          "threads)");
}
