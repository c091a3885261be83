// Bindings for the scoring drivers: check shapes and dtypes, release the GIL, call.
// Arrays are taken without conversion so that `out` arrays are written in place.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine_call.hpp"
#include "isa.hpp"
#include "exactpwm/engine.hpp"

namespace py = pybind11;
using exactpwm::Isa;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

using exactpwm_bindings::parse_isa;

void require(bool ok, const std::string& what) {
    if (!ok) throw py::value_error(what);
}

template <class T>
exactpwm::ScoreTable<T> table_view(const carray<T>& table, const carray<T>& bias) {
    require(table.ndim() == 3 && table.shape(2) == exactpwm::kTableWidth,
            "table must have shape (K, L, 8)");
    require(table.shape(1) >= 1, "table must have L >= 1");
    require(bias.ndim() == 1 && bias.shape(0) == table.shape(0), "bias must have shape (K,)");
    return {table.data(), bias.data(), table.shape(0), table.shape(1)};
}

// The number of packed sequences S, after checking codes (N,) and offsets (S + 1,) within them.
int64_t packed_sequences(const carray<uint8_t>& codes, const carray<int64_t>& offsets) {
    require(codes.ndim() == 1, "codes must be one-dimensional");
    require(offsets.ndim() == 1 && offsets.shape(0) >= 1, "offsets must have shape (S + 1,)");
    const int64_t S = offsets.shape(0) - 1;
    require(offsets.data()[0] >= 0 && offsets.data()[S] <= codes.shape(0), "offsets must lie within codes");
    return S;
}

template <class T>
void dense(const carray<uint8_t>& codes, const carray<T>& table, const carray<T>& bias,
           carray<T>& out, int threads, const std::string& isa) {
    auto tab = table_view(table, bias);
    require(codes.ndim() == 2, "codes must have shape (B, n)");
    const int64_t B = codes.shape(0), n = codes.shape(1), K = tab.n_kernels, L = tab.length;
    require(n >= L, "sequences are shorter than the kernel");
    require(out.ndim() == 3 && out.shape(0) == B && out.shape(1) == K && out.shape(2) == n - L + 1,
            "out must have shape (B, K, n - L + 1)");
    require(out.writeable(), "out must be writeable");
    const Isa want = parse_isa(isa);
    T* dst = out.mutable_data();
    exactpwm_bindings::EngineCall call;
    exactpwm::dense_scores<T>(codes.data(), B, n, tab, dst, threads, want);
}

template <class T>
void maxpool(const carray<uint8_t>& codes, const carray<int64_t>& offsets, const carray<T>& table,
             const carray<T>& bias, carray<T>& out_max, carray<int64_t>& out_pos, int threads,
             const std::string& isa, bool skip_n_windows) {
    auto tab = table_view(table, bias);
    const int64_t S = packed_sequences(codes, offsets), K = tab.n_kernels;
    const int64_t* off = offsets.data();
    require(out_max.ndim() == 2 && out_max.shape(0) == S && out_max.shape(1) == K,
            "out_max must have shape (S, K)");
    require(out_pos.ndim() == 2 && out_pos.shape(0) == S && out_pos.shape(1) == K,
            "out_pos must have shape (S, K)");
    require(out_max.writeable() && out_pos.writeable(), "outputs must be writeable");
    const Isa want = parse_isa(isa);
    T* mx = out_max.mutable_data();
    int64_t* ps = out_pos.mutable_data();
    exactpwm_bindings::EngineCall call;
    exactpwm::max_scores<T>(codes.data(), off, S, tab, mx, ps, threads, want, skip_n_windows);
}

template <class T>
void maxpool_pairs(const carray<uint8_t>& codes, const carray<int64_t>& offsets, const carray<T>& table,
                   const carray<T>& bias, const carray<int64_t>& seqs, const carray<int64_t>& kernels,
                   carray<T>& out_max, carray<int64_t>& out_pos, int threads, const std::string& isa,
                   bool skip_n_windows) {
    auto tab = table_view(table, bias);
    const int64_t S = packed_sequences(codes, offsets);
    const int64_t* off = offsets.data();
    require(seqs.ndim() == 1 && kernels.ndim() == 1 && kernels.shape(0) == seqs.shape(0),
            "seqs and kernels must have shape (P,)");
    const int64_t P = seqs.shape(0);
    require(out_max.ndim() == 1 && out_max.shape(0) == P && out_pos.ndim() == 1 && out_pos.shape(0) == P,
            "out_max and out_pos must have shape (P,)");
    require(out_max.writeable() && out_pos.writeable(), "outputs must be writeable");
    const Isa want = parse_isa(isa);
    T* mx = out_max.mutable_data();
    int64_t* ps = out_pos.mutable_data();
    exactpwm_bindings::EngineCall call;
    exactpwm::max_scores_pairs<T>(codes.data(), off, S, tab, seqs.data(), kernels.data(), P, mx, ps, threads, want,
                                  skip_n_windows);
}

// Hand a vector's buffer to numpy without copying: the capsule owns the vector.
template <class V>
py::array_t<V> to_numpy(std::vector<V>&& v) {
    auto* owner = new std::vector<V>(std::move(v));
    py::capsule free_when_done(owner, [](void* p) { delete static_cast<std::vector<V>*>(p); });
    return py::array_t<V>({static_cast<py::ssize_t>(owner->size())}, owner->data(), free_when_done);
}

template <class T>
py::tuple hits(const carray<uint8_t>& codes, const carray<int64_t>& offsets, const carray<T>& table,
               const carray<T>& bias, const carray<T>& thresholds, bool skip_n_windows, int threads,
               const std::string& isa) {
    auto tab = table_view(table, bias);
    const int64_t S = packed_sequences(codes, offsets);
    const int64_t* off = offsets.data();
    require(thresholds.ndim() == 1 && thresholds.shape(0) == tab.n_kernels, "thresholds must have shape (K,)");
    const Isa want = parse_isa(isa);
    exactpwm::Hits<T> h;
    {
        exactpwm_bindings::EngineCall call;
        h = exactpwm::threshold_hits<T>(codes.data(), off, S, tab, thresholds.data(), skip_n_windows,
                                        threads, want);
    }
    return py::make_tuple(to_numpy(std::move(h.seq)), to_numpy(std::move(h.pos)),
                          to_numpy(std::move(h.kernel)), to_numpy(std::move(h.score)));
}

}  // namespace

template <class T>
void def_for_dtype(py::module_& m) {
    m.def("dense_scores", &dense<T>, py::arg("codes").noconvert(), py::arg("table").noconvert(),
          py::arg("bias").noconvert(), py::arg("out").noconvert(), py::arg("threads"), py::arg("isa"),
          "dense_scores(codes (B, n) uint8, table (K, L, 8), bias (K,), out (B, K, n-L+1), threads, isa)");
    m.def("max_scores", &maxpool<T>, py::arg("codes").noconvert(), py::arg("offsets").noconvert(),
          py::arg("table").noconvert(), py::arg("bias").noconvert(), py::arg("out_max").noconvert(),
          py::arg("out_pos").noconvert(), py::arg("threads"), py::arg("isa"), py::arg("skip_n_windows") = false,
          "max_scores(codes (N,) uint8, offsets (S+1,) int64, table (K, L, 8), bias (K,), "
          "out_max (S, K), out_pos (S, K) int64, threads, isa, skip_n_windows=False)");
    m.def("max_scores_pairs", &maxpool_pairs<T>, py::arg("codes").noconvert(), py::arg("offsets").noconvert(),
          py::arg("table").noconvert(), py::arg("bias").noconvert(), py::arg("seqs").noconvert(),
          py::arg("kernels").noconvert(), py::arg("out_max").noconvert(), py::arg("out_pos").noconvert(),
          py::arg("threads"), py::arg("isa"), py::arg("skip_n_windows") = false,
          "max_scores_pairs(codes (N,) uint8, offsets (S+1,) int64, table (K, L, 8), bias (K,), seqs (P,) int64, "
          "kernels (P,) int64, out_max (P,), out_pos (P,) int64, threads, isa, skip_n_windows=False)");
    m.def("threshold_hits", &hits<T>, py::arg("codes").noconvert(), py::arg("offsets").noconvert(),
          py::arg("table").noconvert(), py::arg("bias").noconvert(), py::arg("thresholds").noconvert(),
          py::arg("skip_n_windows"), py::arg("threads"), py::arg("isa"),
          "threshold_hits(codes (N,) uint8, offsets (S+1,) int64, table (K, L, 8), bias (K,), "
          "thresholds (K,), skip_n_windows, threads, isa) -> (seq int64, pos int64, kernel int32, score)");
}

void register_scores(py::module_& m) {
    def_for_dtype<float>(m);
    def_for_dtype<double>(m);
}
