// Bindings: how every heavy engine call runs. The GIL is released, and Ctrl-C stays live:
// the engine polls Python's signal handlers from the calling thread every 50 ms; a
// handler that raises (KeyboardInterrupt) stops the call, and module.cpp turns the
// engine's Interrupted into that pending Python exception.
#pragma once

#include <pybind11/pybind11.h>

#include "exactpwm/interrupt.hpp"

namespace exactpwm_bindings {

inline bool python_signal_raised(void*) {
    const PyGILState_STATE state = PyGILState_Ensure();
    const bool raised = PyErr_CheckSignals() != 0;  // leaves the exception pending
    PyGILState_Release(state);
    return raised;
}

struct EngineCall {
    pybind11::gil_scoped_release nogil;
    exactpwm::ScopedInterruptCheck check{&python_signal_raised, nullptr, 50};
};

}  // namespace exactpwm_bindings
