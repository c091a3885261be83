// Bindings for the dinucleotide shuffle (references for attributions).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "exactpwm/engine.hpp"

namespace py = pybind11;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

void shuffle(const carray<uint8_t>& codes, const carray<int64_t>& offsets, int64_t n_shuffles, uint64_t seed,
             carray<uint8_t>& out, int threads) {
    if (codes.ndim() != 1 || offsets.ndim() != 1 || offsets.shape(0) < 1)
        throw py::value_error("codes must be 1-D and offsets 1-D with at least one entry");
    const int64_t n = codes.shape(0), S = offsets.shape(0) - 1;
    const int64_t* off = offsets.data();
    if (off[0] != 0 || off[S] != n) throw py::value_error("offsets must start at 0 and end at len(codes)");
    for (int64_t i = 0; i < S; ++i)
        if (off[i + 1] < off[i]) throw py::value_error("offsets must not decrease");
    const uint8_t* c = codes.data();
    for (int64_t i = 0; i < n; ++i)  // codes index the letter tables: never read outside them
        if (c[i] > 4) throw py::value_error("codes must be 0..4 (A, C, G, T, N)");
    if (n_shuffles < 0) throw py::value_error("n_shuffles must be >= 0");
    if (out.ndim() != 2 || out.shape(0) != n_shuffles || out.shape(1) != n || !out.writeable())
        throw py::value_error("out must be a writeable (n_shuffles, len(codes)) uint8 array");
    uint8_t* o = out.mutable_data();
    py::gil_scoped_release nogil;
    exactpwm::dinucleotide_shuffle(c, off, S, n_shuffles, seed, o, threads);
}

}  // namespace

void register_shuffle(py::module_& m) {
    m.def("dinucleotide_shuffle", &shuffle, py::arg("codes"), py::arg("offsets"), py::arg("n_shuffles"),
          py::arg("seed"), py::arg("out"), py::arg("threads"),
          "Dinucleotide shuffles (Altschul-Erickson) of packed codes into out (n_shuffles, len(codes)).");
}
