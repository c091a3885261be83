// Binding for null score distributions (exact p-values).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "exactpwm/engine.hpp"

namespace py = pybind11;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

void survival(const carray<int64_t>& shifts, const carray<double>& background, int64_t floor, carray<double>& sf) {
    if (shifts.ndim() != 2 || shifts.shape(1) != 4) throw py::value_error("shifts must have shape (L, 4)");
    if (background.ndim() != 1 || background.shape(0) != 4) throw py::value_error("background must have shape (4,)");
    if (sf.ndim() != 1 || !sf.writeable()) throw py::value_error("sf must be a writeable 1-D float64 array");
    const int64_t* s = shifts.data();
    const double* bg = background.data();
    double* out = sf.mutable_data();
    const int64_t L = shifts.shape(0), size = floor + sf.shape(0);
    py::gil_scoped_release nogil;  // checks of the sizes happen in the engine (std::invalid_argument)
    exactpwm::null_survival(s, L, bg, size, floor, out);
}

void survivals(const carray<int64_t>& shifts, const carray<int64_t>& col_start, const carray<double>& background,
               const carray<int64_t>& floors, const carray<int64_t>& sf_start, carray<double>& sf, int threads) {
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
    py::gil_scoped_release nogil;  // the sizes are checked in the engine (std::invalid_argument)
    exactpwm::null_survivals(s, cs, n, bg, f, ss, out, threads);
}

}  // namespace

void register_pvalues(py::module_& m) {
    m.def("null_survival", &survival, py::arg("shifts").noconvert(), py::arg("background").noconvert(),
          py::arg("floor"), py::arg("sf").noconvert(),
          "null_survival(shifts (L, 4) int64 >= 0, background (4,) float64, floor int >= 0, "
          "sf (size - floor,) float64 written): sf[i - floor] = P(sum of column shifts >= i) for i >= floor, "
          "size = 1 + the sum of the column maxima");
    m.def("null_survivals", &survivals, py::arg("shifts").noconvert(), py::arg("col_start").noconvert(),
          py::arg("background").noconvert(), py::arg("floors").noconvert(), py::arg("sf_start").noconvert(),
          py::arg("sf").noconvert(), py::arg("threads"),
          "null_survivals(shifts (rows, 4) int64, col_start (n + 1,) int64, background (4,) float64, floors (n,) "
          "int64, sf_start (n + 1,) int64, sf float64 written, threads): null_survival of each distribution k "
          "(shift rows col_start[k] .. col_start[k + 1]) into sf[sf_start[k] .. sf_start[k + 1]), on threads threads");
}
