// Bindings for FASTA text: a block of whole lines -> codes, header places, record starts, names.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

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

template <class T>
using carray = py::array_t<T, py::array::c_style>;

void pack(const std::vector<carray<uint8_t>>& codes, const std::vector<carray<int64_t>>& lengths, uint8_t separator,
          carray<uint8_t>& out) {
    if (codes.size() != lengths.size()) throw py::value_error("one lengths array per codes array is needed");
    std::vector<const uint8_t*> from;
    std::vector<const int64_t*> len;
    std::vector<int64_t> counts;
    int64_t total = 0;
    for (size_t r = 0; r < codes.size(); ++r) {
        if (codes[r].ndim() != 1 || lengths[r].ndim() != 1) throw py::value_error("codes and lengths must be 1-D");
        int64_t sum = 0;
        for (int64_t i = 0; i < lengths[r].shape(0); ++i) {
            if (lengths[r].data()[i] < 0) throw py::value_error("lengths must be >= 0");
            sum += lengths[r].data()[i];
        }
        if (sum != codes[r].shape(0)) throw py::value_error("a run's lengths must add up to its codes");
        total += sum + lengths[r].shape(0);
        from.push_back(codes[r].data());
        len.push_back(lengths[r].data());
        counts.push_back(lengths[r].shape(0));
    }
    if (out.ndim() != 1 || out.shape(0) != total || !out.writeable())
        throw py::value_error("out must be a writeable uint8 array of every record's bytes and one separator each");
    uint8_t* o = out.mutable_data();
    py::gil_scoped_release nogil;
    exactpwm::pack_records(from.data(), len.data(), counts.data(), static_cast<int64_t>(counts.size()), separator, o);
}

// a vector handed to numpy without a copy: the array owns it
template <class T>
py::array_t<T> owned_array(std::vector<T>&& v, size_t n) {
    auto* held = new std::vector<T>(std::move(v));
    py::capsule owner(held, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>(static_cast<py::ssize_t>(n), held->data(), owner);
}

std::unique_ptr<exactpwm::FastaReadAhead> start_read_ahead(const std::string& path, const py::bytes& table,
                                                           bool letters, int64_t limit) {
    const std::string t = table;  // no numpy here: this runs before the interpreter has loaded it
    if (t.size() != 256) throw py::value_error("table must hold 256 bytes");
    return std::make_unique<exactpwm::FastaReadAhead>(path, reinterpret_cast<const uint8_t*>(t.data()), letters,
                                                      limit);
}

py::object read_ahead_result(exactpwm::FastaReadAhead& ahead) {
    exactpwm::FastaFileParse* r = nullptr;
    {
        py::gil_scoped_release nogil;
        r = &ahead.wait();
    }
    if (!r->read) return py::none();
    const exactpwm::FastaBlock& b = r->block;
    py::object names = py::none();
    if (b.ascii_headers) names = py::bytes(b.names);
    const size_t n_codes = static_cast<size_t>(b.n_codes);
    py::tuple parsed = py::make_tuple(owned_array(std::move(r->codes), n_codes), as_array(b.heads),
                                      as_array(b.head_ends), as_array(b.cuts), b.bad, b.first_kept, b.nameless,
                                      names, b.newlines);
    r->read = false;  // the codes are the array's now: one result per read
    return py::make_tuple(parsed, py::make_tuple(r->device, r->inode, r->size, r->mtime_ns), py::bytes(r->head));
}

}  // namespace

void register_fasta(py::module_& m) {
    py::class_<exactpwm::FastaReadAhead>(m, "FastaReadAhead",
                                         "A plain FASTA file read and parsed as one block on a thread of its own "
                                         "(see exactpwm._read_ahead and cpp/include/exactpwm/fasta_text.hpp).")
        .def(py::init(&start_read_ahead), py::arg("path"), py::arg("table"), py::arg("letters"), py::arg("limit"),
             "Starts reading the file (table: the 256-byte decode table, as bytes; limit: the largest size read).")
        .def("result", &read_ahead_result,
             "Waits for the thread: ((codes, heads, head_ends, cuts, bad, first_kept, nameless, names, newlines), "
             "(st_dev, st_ino, st_size, st_mtime_ns), the text's first 6 bytes), as parse_fasta_block parses the "
             "whole text; None when the file was not read (not a regular file, too large, holds '\\r', a read "
             "error) or its result was taken.");
    m.def("pack_records", &pack, py::arg("codes"), py::arg("lengths"), py::arg("separator"), py::arg("out"),
          "Records packed for a scan, each followed by the separator byte: run r's records are codes[r], their "
          "lengths lengths[r]; written to out, run after run.");
    m.def("parse_fasta_block", &parse_block, py::arg("text"), py::arg("continues"), py::arg("table"),
          py::arg("letters"),
          "A block of whole FASTA lines -> (codes uint8, heads int64, head_ends int64, cuts int64, bad, first_kept, "
          "nameless, names bytes or None, newlines); see exactpwm.io.fasta and cpp/include/exactpwm/fasta_text.hpp.");
}
