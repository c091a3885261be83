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

}  // namespace

void register_pvalues(py::module_& m) {
    m.def("null_survival", &survival, py::arg("shifts").noconvert(), py::arg("background").noconvert(),
          py::arg("floor"), py::arg("sf").noconvert(),
          "null_survival(shifts (L, 4) int64 >= 0, background (4,) float64, floor int >= 0, "
          "sf (size - floor,) float64 written): sf[i - floor] = P(sum of column shifts >= i) for i >= floor, "
          "size = 1 + the sum of the column maxima");
}
