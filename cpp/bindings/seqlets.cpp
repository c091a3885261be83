// Bindings for seqlet similarity (motif discovery): shapes and indices checked here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "engine_call.hpp"
#include "exactpwm/engine.hpp"
#include "isa.hpp"

namespace py = pybind11;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

void jaccard(const carray<int16_t>& a_fwd, const carray<int16_t>& a_rev, const carray<int16_t>& b,
             const carray<int32_t>& neighbors, int64_t max_shift, carray<float>& best, carray<int32_t>& offset,
             carray<uint8_t>& strand, int threads, const std::string& isa) {
    if (a_fwd.ndim() != 3 || a_rev.ndim() != 3 || b.ndim() != 3)
        throw py::value_error("a_fwd, a_rev and b must be (n, width, channels) int16 arrays");
    const int64_t n_a = a_fwd.shape(0), W = a_fwd.shape(1), C = a_fwd.shape(2), n_b = b.shape(0);
    if (a_rev.shape(0) != n_a || a_rev.shape(1) != W || a_rev.shape(2) != C || b.shape(1) != W || b.shape(2) != C)
        throw py::value_error("a_fwd, a_rev and b must share width and channels (and a_rev a_fwd's rows)");
    if (neighbors.ndim() != 2 || neighbors.shape(0) != n_b) throw py::value_error("neighbors must be (n_b, k) int32");
    const int64_t k = neighbors.shape(1);
    const int32_t* nb = neighbors.data();
    for (int64_t i = 0; i < n_b * k; ++i)
        if (nb[i] < -1 || nb[i] >= n_a) throw py::value_error("neighbors must index rows of a_fwd (or be -1)");
    if (max_shift < 0 || max_shift >= W) throw py::value_error("max_shift must be in [0, width)");
    if (best.ndim() != 2 || best.shape(0) != n_b || best.shape(1) != k || !best.writeable() || offset.ndim() != 2 ||
        offset.shape(0) != n_b || offset.shape(1) != k || !offset.writeable() || strand.ndim() != 2 ||
        strand.shape(0) != n_b || strand.shape(1) != k || !strand.writeable())
        throw py::value_error("best, offset and strand must be writeable (n_b, k) float32, int32, uint8 arrays");
    const exactpwm::Isa want = exactpwm_bindings::parse_isa(isa);
    float* bp = best.mutable_data();
    int32_t* op = offset.mutable_data();
    uint8_t* sp = strand.mutable_data();
    exactpwm_bindings::EngineCall call;
    exactpwm::seqlet_jaccard(a_fwd.data(), a_rev.data(), n_a, b.data(), n_b, W, C, nb, k, max_shift, bp, op, sp,
                             threads, want);
}

}  // namespace

void register_seqlets(py::module_& m) {
    m.def("seqlet_jaccard", &jaccard, py::arg("a_fwd").noconvert(), py::arg("a_rev").noconvert(),
          py::arg("b").noconvert(), py::arg("neighbors").noconvert(), py::arg("max_shift"),
          py::arg("best").noconvert(), py::arg("offset").noconvert(), py::arg("strand").noconvert(),
          py::arg("threads"), py::arg("isa"),
          "seqlet_jaccard(a_fwd (n_a, W, C) int16, a_rev (n_a, W, C), b (n_b, W, C), neighbors (n_b, k) int32, "
          "max_shift, best (n_b, k) float32, offset (n_b, k) int32, strand (n_b, k) uint8 written, threads, isa)");
}
