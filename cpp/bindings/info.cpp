// Build and CPU information.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "exactpwm/engine.hpp"

namespace py = pybind11;
using exactpwm::Isa;

void register_info(py::module_& m) {
    m.def("build_info", [] {
        py::dict d;
        py::list compiled, supported;
        for (Isa isa : exactpwm::kAllIsas) {
            if (exactpwm::isa_compiled(isa)) compiled.append(exactpwm::isa_name(isa));
            if (exactpwm::cpu_supports(isa)) supported.append(exactpwm::isa_name(isa));
        }
        d["isa_compiled"] = compiled;
        d["isa_cpu"] = supported;
        d["isa_best"] = exactpwm::isa_name(exactpwm::best_isa());
        d["openmp"] = exactpwm::openmp_enabled();
        d["compiler"] = exactpwm::compiler_id();
        d["sanitizers"] = exactpwm::sanitizers();
        return d;
    }, "Instruction sets compiled and supported by this CPU, OpenMP, compiler, sanitizers.");
}
