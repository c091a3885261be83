// Binding for null score distributions (exact p-values).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "engine_call.hpp"
#include "exactpwm/engine.hpp"
#include "isa.hpp"

namespace py = pybind11;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

void survival(const carray<int64_t>& shifts, const carray<double>& background, int64_t floor, carray<double>& sf,
              const std::string& isa) {
    if (shifts.ndim() != 2 || shifts.shape(1) != 4) throw py::value_error("shifts must have shape (L, 4)");
    if (background.ndim() != 1 || background.shape(0) != 4) throw py::value_error("background must have shape (4,)");
    if (sf.ndim() != 1 || !sf.writeable()) throw py::value_error("sf must be a writeable 1-D float64 array");
    const int64_t* s = shifts.data();
    const double* bg = background.data();
    double* out = sf.mutable_data();
    const int64_t L = shifts.shape(0), size = floor + sf.shape(0);
    const exactpwm::Isa want = exactpwm_bindings::parse_isa(isa);
    py::gil_scoped_release nogil;  // checks of the sizes happen in the engine (std::invalid_argument)
    exactpwm::null_survival(s, L, bg, size, floor, out, want);
}

void survivals(const carray<int64_t>& shifts, const carray<int64_t>& col_start, const carray<double>& background,
               const carray<int64_t>& floors, const carray<int64_t>& sf_start, carray<double>& sf, int threads,
               const std::string& isa) {
    if (shifts.ndim() != 2 || shifts.shape(1) != 4) throw py::value_error("shifts must have shape (rows, 4)");
    if (background.ndim() != 1 || background.shape(0) != 4) throw py::value_error("background must have shape (4,)");
    if (col_start.ndim() != 1 || col_start.shape(0) < 1) throw py::value_error("col_start must have shape (n + 1,)");
    const int64_t n = col_start.shape(0) - 1;
    if (floors.ndim() != 1 || floors.shape(0) != n) throw py::value_error("floors must have shape (n,)");
    if (sf_start.ndim() != 1 || sf_start.shape(0) != n + 1) throw py::value_error("sf_start must have shape (n + 1,)");
    if (sf.ndim() != 1 || !sf.writeable()) throw py::value_error("sf must be a writeable 1-D float64 array");
    const int64_t* cs = col_start.data();
    const int64_t* ss = sf_start.data();
    if (cs[0] != 0 || ss[0] != 0) throw py::value_error("col_start and sf_start must start at 0");
    for (int64_t k = 0; k < n; ++k)
        if (cs[k + 1] < cs[k] || ss[k + 1] < ss[k]) throw py::value_error("col_start and sf_start must not decrease");
    if (cs[n] != shifts.shape(0)) throw py::value_error("col_start must end at the number of shift rows");
    if (ss[n] != sf.shape(0)) throw py::value_error("sf_start must end at the length of sf");
    const int64_t* s = shifts.data();
    const int64_t* f = floors.data();
    const double* bg = background.data();
    double* out = sf.mutable_data();
    const exactpwm::Isa want = exactpwm_bindings::parse_isa(isa);
    py::gil_scoped_release nogil;  // the sizes are checked in the engine (std::invalid_argument)
    exactpwm::null_survivals(s, cs, n, bg, f, ss, out, threads, want);
}

// a vector's doubles as a 1-D array that owns them (no copy)
py::array_t<double> owned(std::vector<double>&& v) {
    auto* heap = new std::vector<double>(std::move(v));
    py::capsule free(heap, [](void* p) { delete static_cast<std::vector<double>*>(p); });
    return py::array_t<double>(static_cast<py::ssize_t>(heap->size()), heap->data(), free);
}

py::tuple tail_tables(const carray<double>& matrices, const carray<int64_t>& col_start,
                      const carray<double>& background, const carray<int64_t>& cols_a, const carray<double>& rest_a,
                      const carray<int64_t>& a_start, const carray<double>& need_a, const carray<int64_t>& cols_b,
                      const carray<double>& rest_b, const carray<int64_t>& b_start, const carray<double>& need_b,
                      const carray<double>& lo, const carray<double>& tol, const carray<double>& ceilings,
                      const carray<int64_t>& max_words, const carray<int64_t>& range_start, int threads) {
    if (col_start.ndim() != 1 || col_start.shape(0) < 1) throw py::value_error("col_start must have shape (n + 1,)");
    const py::ssize_t n = col_start.shape(0) - 1;
    if (background.ndim() != 1 || background.shape(0) != 4) throw py::value_error("background must have shape (4,)");
    for (const auto* a : {&a_start, &b_start, &range_start})
        if (a->ndim() != 1 || a->shape(0) != n + 1)
            throw py::value_error("a_start, b_start and range_start must have shape (n + 1,)");
    for (const auto* a : {&need_a, &need_b, &lo, &tol})
        if (a->ndim() != 1 || a->shape(0) != n) throw py::value_error("need_a, need_b, lo and tol must have shape (n,)");
    for (const auto* a : {&matrices, &rest_a, &rest_b, &ceilings})
        if (a->ndim() != 1) throw py::value_error("matrices, rest_a, rest_b and ceilings must be 1-D");
    if (cols_a.ndim() != 1 || cols_b.ndim() != 1 || max_words.ndim() != 1)
        throw py::value_error("cols_a, cols_b and max_words must be 1-D");
    // the offsets' last entries bound every read (the engine checks that they start at 0 and never decrease)
    if (col_start.data()[n] * 4 != matrices.shape(0)) throw py::value_error("col_start must end at matrices' columns");
    if (a_start.data()[n] != cols_a.shape(0) || rest_a.shape(0) != cols_a.shape(0))
        throw py::value_error("a_start must end at the length of cols_a and rest_a");
    if (b_start.data()[n] != cols_b.shape(0) || rest_b.shape(0) != cols_b.shape(0))
        throw py::value_error("b_start must end at the length of cols_b and rest_b");
    if (range_start.data()[n] != ceilings.shape(0) || max_words.shape(0) != ceilings.shape(0))
        throw py::value_error("range_start must end at the length of ceilings and max_words");
    const exactpwm::TailTableJobs jobs{matrices.data(), col_start.data(), cols_a.data(), a_start.data(),
                                       rest_a.data(),   need_a.data(),    cols_b.data(), b_start.data(),
                                       rest_b.data(),   need_b.data(),    lo.data(),     tol.data(),
                                       ceilings.data(), max_words.data(), range_start.data(), n};
    py::array_t<int64_t> r(n);
    int64_t* out = r.mutable_data();
    std::vector<std::vector<double>> scores, tails;
    {
        exactpwm_bindings::EngineCall call;  // offsets and column indices are checked in the engine (ValueError)
        exactpwm::tail_tables(jobs, background.data(), out, scores, tails, threads);
    }
    py::list s, t;
    for (py::ssize_t k = 0; k < n; ++k) {
        s.append(owned(std::move(scores[static_cast<size_t>(k)])));
        t.append(owned(std::move(tails[static_cast<size_t>(k)])));
    }
    return py::make_tuple(r, s, t);
}

}  // namespace

void register_pvalues(py::module_& m) {
    m.def("tail_tables", &tail_tables, py::arg("matrices").noconvert(), py::arg("col_start").noconvert(),
          py::arg("background").noconvert(), py::arg("cols_a").noconvert(), py::arg("rest_a").noconvert(),
          py::arg("a_start").noconvert(), py::arg("need_a").noconvert(), py::arg("cols_b").noconvert(),
          py::arg("rest_b").noconvert(), py::arg("b_start").noconvert(), py::arg("need_b").noconvert(),
          py::arg("lo").noconvert(), py::arg("tol").noconvert(), py::arg("ceilings").noconvert(),
          py::arg("max_words").noconvert(), py::arg("range_start").noconvert(), py::arg("threads"),
          "tail_tables(matrices float64 (each job's (4, w) matrix row-major, concatenated), col_start (n + 1,) "
          "int64, background (4,), cols_a int64, rest_a float64, a_start (n + 1,), need_a (n,), cols_b, rest_b, "
          "b_start, need_b, lo (n,), tol (n,), ceilings float64, max_words int64, range_start (n + 1,), threads) -> "
          "(r (n,) int64, [scores], [tail]): tail_table of every job, on threads threads");
    m.def("null_survival", &survival, py::arg("shifts").noconvert(), py::arg("background").noconvert(),
          py::arg("floor"), py::arg("sf").noconvert(), py::arg("isa") = "auto",
          "null_survival(shifts (L, 4) int64 >= 0, background (4,) float64, floor int >= 0, "
          "sf (size - floor,) float64 written, isa): sf[i - floor] = P(sum of column shifts >= i) for i >= floor, "
          "size = 1 + the sum of the column maxima");
    m.def("null_survivals", &survivals, py::arg("shifts").noconvert(), py::arg("col_start").noconvert(),
          py::arg("background").noconvert(), py::arg("floors").noconvert(), py::arg("sf_start").noconvert(),
          py::arg("sf").noconvert(), py::arg("threads"), py::arg("isa") = "auto",
          "null_survivals(shifts (rows, 4) int64, col_start (n + 1,) int64, background (4,) float64, floors (n,) "
          "int64, sf_start (n + 1,) int64, sf float64 written, threads, isa): null_survival of each distribution k "
          "(shift rows col_start[k] .. col_start[k + 1]) into sf[sf_start[k] .. sf_start[k + 1]), on threads threads");
}
