// Bindings for FASTA text: a block of whole lines -> codes, header places, record starts, names.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>

#include "exactpwm/fasta_text.hpp"

namespace py = pybind11;

namespace {

template <class T>
py::array_t<T> as_array(const std::vector<T>& v) {
    py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
    if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
    return a;
}

py::tuple parse_block(const py::bytes& text, bool continues, const py::array_t<uint8_t, py::array::c_style>& table,
                      bool letters) {
    if (table.ndim() != 1 || table.shape(0) != 256) throw py::value_error("table must hold 256 bytes");
    char* data = nullptr;
    Py_ssize_t n = 0;
    if (PyBytes_AsStringAndSize(text.ptr(), &data, &n) < 0) throw py::error_already_set();
    py::array_t<uint8_t> codes(static_cast<py::ssize_t>(n));
    exactpwm::FastaBlock block;
    {
        py::gil_scoped_release nogil;
        exactpwm::parse_fasta_block(reinterpret_cast<const uint8_t*>(data), n, continues, table.data(), letters,
                                    codes.mutable_data(), block);
    }
    py::object names = py::none();
    if (block.ascii_headers) names = py::bytes(block.names);
    return py::make_tuple(codes[py::slice(0, block.n_codes, 1)], as_array(block.heads), as_array(block.head_ends),
                          as_array(block.cuts), block.bad, block.first_kept, block.nameless, names, block.newlines);
}

}  // namespace

void register_fasta(py::module_& m) {
    m.def("parse_fasta_block", &parse_block, py::arg("text"), py::arg("continues"), py::arg("table"),
          py::arg("letters"),
          "A block of whole FASTA lines -> (codes uint8, heads int64, head_ends int64, cuts int64, bad, first_kept, "
          "nameless, names bytes or None, newlines); see exactpwm.io.fasta and cpp/include/exactpwm/fasta_text.hpp.");
}
