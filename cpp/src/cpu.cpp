// Build and CPU feature reporting, and the choice of instruction set.
#include <stdexcept>
#include <string>

#include "exactpwm/engine.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace exactpwm {

bool isa_compiled(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return true;
#ifdef EXACTPWM_HAVE_AVX2
        case Isa::Avx2: return true;
#endif
#ifdef EXACTPWM_HAVE_AVX512
        case Isa::Avx512: return true;
#endif
        default: return false;
    }
}

bool cpu_supports(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return true;
        case Isa::Avx2:
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
            return __builtin_cpu_supports("avx2");
#else
            return false;
#endif
        case Isa::Avx512:  // F, BW and VBMI (Ice Lake, Zen 4 and later); also runs AVX2 kernels
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
                   __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
#else
            return false;
#endif
        default: return false;
    }
}

Isa best_isa() {
    if (isa_compiled(Isa::Avx512) && cpu_supports(Isa::Avx512)) return Isa::Avx512;
    if (isa_compiled(Isa::Avx2) && cpu_supports(Isa::Avx2)) return Isa::Avx2;
    return Isa::Scalar;
}

Isa resolve_isa(Isa requested) {
    if (requested == Isa::Auto) return best_isa();
    if (!isa_compiled(requested))
        throw std::invalid_argument(std::string("instruction set '") + isa_name(requested) +
                                    "' was not compiled into this build");
    if (!cpu_supports(requested))
        throw std::invalid_argument(std::string("this CPU does not support '") +
                                    isa_name(requested) + "'");
    return requested;
}

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return "scalar";
        case Isa::Avx2: return "avx2";
        case Isa::Avx512: return "avx512";
        default: return "auto";
    }
}

bool openmp_enabled() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

const char* sanitizers() {
#ifdef EXACTPWM_SANITIZED
    return "address,undefined";
#else
    return "";
#endif
}

std::string compiler_id() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("gcc ") + __VERSION__;
#else
    return "unknown";
#endif
}

}  // namespace exactpwm
