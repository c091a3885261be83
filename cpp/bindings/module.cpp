// exactpwm._core: the private compiled module. Each area registers itself here.
#include <pybind11/pybind11.h>

#include <exception>

#include "exactpwm/interrupt.hpp"

namespace py = pybind11;

void register_info(py::module_& m);
void register_scores(py::module_& m);
void register_fragments(py::module_& m);
void register_tomtom(py::module_& m);
void register_pvalues(py::module_& m);
void register_hit_text(py::module_& m);
void register_shuffle(py::module_& m);
void register_seqlets(py::module_& m);
void register_fasta(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "exactpwm compiled engine (private; use the exactpwm package API).";
    register_info(m);
    register_scores(m);
    register_fragments(m);
    register_tomtom(m);
    register_pvalues(m);
    register_hit_text(m);
    register_shuffle(m);
    register_seqlets(m);
    register_fasta(m);
    // An engine call stopped by a signal: the handler's exception (KeyboardInterrupt) is pending.
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const exactpwm::Interrupted&) {
            if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
        }
    });
}
