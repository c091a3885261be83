// Bindings for fragments: counting (heuristic transforms) and window letters (hit tables).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "engine_call.hpp"
#include "isa.hpp"
#include "exactpwm/engine.hpp"

namespace py = pybind11;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

void count(const carray<uint8_t>& codes, const carray<int64_t>& starts, const carray<int32_t>& kernels,
           const carray<int8_t>& minus, carray<int64_t>& counts, int threads) {
    if (codes.ndim() != 1) throw py::value_error("codes must be one-dimensional");
    const int64_t n = starts.shape(0);
    if (starts.ndim() != 1 || kernels.ndim() != 1 || minus.ndim() != 1 || kernels.shape(0) != n ||
        minus.shape(0) != n)
        throw py::value_error("starts, kernels and minus must be 1-D of one length");
    if (counts.ndim() != 3 || counts.shape(1) != 4 || !counts.writeable())
        throw py::value_error("counts must be a writeable (K, 4, L) int64 array");
    const int64_t K = counts.shape(0), L = counts.shape(2);
    const int64_t* st = starts.data();
    const int32_t* ks = kernels.data();
    for (int64_t i = 0; i < n; ++i) {  // bounds: never read or write outside the arrays
        if (st[i] < 0 || st[i] + L > codes.shape(0)) throw py::value_error("a fragment lies outside codes");
        if (ks[i] < 0 || ks[i] >= K) throw py::value_error("a kernel index is out of range");
    }
    int64_t* out = counts.mutable_data();
    py::gil_scoped_release nogil;
    exactpwm::count_fragments(codes.data(), st, ks, minus.data(), n, K, L, out, threads);
}

void letters(const carray<uint8_t>& codes, const carray<int64_t>& starts, const carray<int64_t>& widths,
             const carray<bool>& minus, carray<uint8_t>& out, int threads) {
    if (codes.ndim() != 1) throw py::value_error("codes must be one-dimensional");
    const int64_t n = starts.shape(0);
    if (starts.ndim() != 1 || widths.ndim() != 1 || minus.ndim() != 1 || widths.shape(0) != n ||
        minus.shape(0) != n)
        throw py::value_error("starts, widths and minus must be 1-D of one length");
    if (out.ndim() != 2 || out.shape(0) != n || !out.writeable())
        throw py::value_error("out must be a writeable (H, max_width) uint8 array");
    const int64_t W = out.shape(1), N = codes.shape(0);
    const int64_t* st = starts.data();
    const int64_t* wd = widths.data();
    for (int64_t i = 0; i < n; ++i)  // bounds: never read or write outside the arrays
        if (wd[i] < 0 || wd[i] > W || st[i] < 0 || st[i] > N - wd[i])
            throw py::value_error("windows must lie inside codes and be at most max_width wide");
    uint8_t* o = out.mutable_data();
    const uint8_t* m = reinterpret_cast<const uint8_t*>(minus.data());
    py::gil_scoped_release nogil;
    exactpwm::window_letters(codes.data(), st, wd, m, n, W, o, threads);
}

void sums(const carray<uint8_t>& codes, const carray<int64_t>& starts, const carray<int64_t>& which,
          const carray<double>& tables, const carray<int64_t>& table_start, carray<double>& out, int threads) {
    if (codes.ndim() != 1 || tables.ndim() != 1 || table_start.ndim() != 1 || table_start.shape(0) < 1)
        throw py::value_error("codes, tables and table_start must be one-dimensional (table_start (T + 1,))");
    const int64_t n = starts.shape(0), T = table_start.shape(0) - 1, N = codes.shape(0);
    if (starts.ndim() != 1 || which.ndim() != 1 || which.shape(0) != n)
        throw py::value_error("starts and which must be 1-D of one length");
    if (out.ndim() != 1 || out.shape(0) != n || !out.writeable())
        throw py::value_error("out must be a writeable (H,) float64 array");
    const int64_t* ts = table_start.data();
    if (ts[0] != 0 || ts[T] != tables.shape(0)) throw py::value_error("table_start must span tables");
    for (int64_t t = 0; t < T; ++t)
        if (ts[t + 1] <= ts[t] || (ts[t + 1] - ts[t]) % 4 != 0)
            throw py::value_error("each table must hold (w, 4) values, w >= 1");
    const int64_t* st = starts.data();
    const int64_t* wh = which.data();
    for (int64_t i = 0; i < n; ++i) {  // bounds: never read outside the arrays
        if (wh[i] < 0 || wh[i] >= T) throw py::value_error("a table index is out of range");
        if (st[i] < 0 || st[i] > N - (ts[wh[i] + 1] - ts[wh[i]]) / 4)
            throw py::value_error("windows must lie inside codes");
    }
    double* o = out.mutable_data();
    py::gil_scoped_release nogil;
    exactpwm::window_sums(codes.data(), st, wh, n, tables.data(), ts, o, threads);
}

template <class T>
void stack_above(const carray<uint8_t>& codes, const carray<int64_t>& offsets, const carray<T>& table,
                 const carray<T>& bias, const carray<T>& thresholds, const carray<int32_t>& target,
                 const carray<int8_t>& minus, carray<int64_t>& counts, carray<int64_t>& n_hits, int threads,
                 const std::string& isa) {
    if (table.ndim() != 3 || table.shape(2) != exactpwm::kTableWidth || table.shape(1) < 1)
        throw py::value_error("table must have shape (K, L, 8)");
    const int64_t K = table.shape(0), L = table.shape(1);
    if (bias.ndim() != 1 || bias.shape(0) != K || thresholds.ndim() != 1 || thresholds.shape(0) != K ||
        target.ndim() != 1 || target.shape(0) != K || minus.ndim() != 1 || minus.shape(0) != K)
        throw py::value_error("bias, thresholds, target and minus must have shape (K,)");
    if (codes.ndim() != 1 || offsets.ndim() != 1 || offsets.shape(0) < 1)
        throw py::value_error("codes must be 1-D and offsets (S + 1,)");
    const int64_t S = offsets.shape(0) - 1;
    if (offsets.data()[0] < 0 || offsets.data()[S] > codes.shape(0))
        throw py::value_error("offsets must lie within codes");
    if (counts.ndim() != 3 || counts.shape(1) != 4 || counts.shape(2) != L || !counts.writeable())
        throw py::value_error("counts must be a writeable (T, 4, L) int64 array");
    const int64_t n_targets = counts.shape(0);
    if (n_hits.ndim() != 1 || n_hits.shape(0) != n_targets || !n_hits.writeable())
        throw py::value_error("n_hits must be a writeable (T,) int64 array");
    for (int64_t k = 0; k < K; ++k)
        if (target.data()[k] < 0 || target.data()[k] >= n_targets) throw py::value_error("target index out of range");
    const exactpwm::Isa want = exactpwm_bindings::parse_isa(isa);
    const exactpwm::ScoreTable<T> tab{table.data(), bias.data(), K, L};
    int64_t* c = counts.mutable_data();
    int64_t* h = n_hits.mutable_data();
    exactpwm_bindings::EngineCall call;
    exactpwm::threshold_counts<T>(codes.data(), offsets.data(), S, tab, thresholds.data(), target.data(),
                                  minus.data(), n_targets, c, h, threads, want);
}

template <class T>
void def_stack_above(py::module_& m) {
    m.def("threshold_counts", &stack_above<T>, py::arg("codes").noconvert(), py::arg("offsets").noconvert(),
          py::arg("table").noconvert(), py::arg("bias").noconvert(), py::arg("thresholds").noconvert(),
          py::arg("target").noconvert(), py::arg("minus").noconvert(), py::arg("counts").noconvert(),
          py::arg("n_hits").noconvert(), py::arg("threads"), py::arg("isa"),
          "threshold_counts(codes, offsets, table (K, L, 8), bias (K,), thresholds (K,), target (K,) int32, "
          "minus (K,) int8, counts (T, 4, L) int64 +=, n_hits (T,) int64 +=, threads, isa)");
}

}  // namespace

void register_fragments(py::module_& m) {
    m.def("count_fragments", &count, py::arg("codes").noconvert(), py::arg("starts").noconvert(),
          py::arg("kernels").noconvert(), py::arg("minus").noconvert(), py::arg("counts").noconvert(),
          py::arg("threads"),
          "count_fragments(codes (N,) uint8, starts (F,) int64, kernels (F,) int32, minus (F,) int8, "
          "counts (K, 4, L) int64 accumulated in place, threads)");
    m.def("window_letters", &letters, py::arg("codes").noconvert(), py::arg("starts").noconvert(),
          py::arg("widths").noconvert(), py::arg("minus").noconvert(), py::arg("out").noconvert(),
          py::arg("threads"),
          "window_letters(codes (N,) uint8, starts (H,) int64, widths (H,) int64, minus (H,) bool, "
          "out (H, W) uint8 written, threads)");
    m.def("window_sums", &sums, py::arg("codes").noconvert(), py::arg("starts").noconvert(),
          py::arg("which").noconvert(), py::arg("tables").noconvert(), py::arg("table_start").noconvert(),
          py::arg("out").noconvert(), py::arg("threads"),
          "window_sums(codes (N,) uint8, starts (H,) int64, which (H,) int64, tables (sum of 4 w,) float64 "
          "(each (w, 4)), table_start (T + 1,) int64, out (H,) float64 written, threads)");
    def_stack_above<float>(m);
    def_stack_above<double>(m);
}
