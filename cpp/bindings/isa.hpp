// Bindings: instruction-set names as Python passes them ("auto", "scalar", "avx2", "avx512").
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "exactpwm/engine.hpp"

namespace exactpwm_bindings {

inline exactpwm::Isa parse_isa(const std::string& name) {
    if (name == "auto") return exactpwm::Isa::Auto;
    for (exactpwm::Isa isa : exactpwm::kAllIsas)
        if (name == exactpwm::isa_name(isa)) return isa;
    throw pybind11::value_error("unknown instruction set '" + name + "' (expected auto, scalar, avx2 or avx512)");
}

}  // namespace exactpwm_bindings
