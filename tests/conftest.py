import exactpwm
import numpy as np
import pytest


def engine_backends() -> list[str]:
    """Every backend that can run here: each compiled instruction set, and numba."""
    info = exactpwm.backends()
    names = []
    if info["cpp"]["available"]:
        names += [f"cpp-{isa}" for isa in info["cpp"]["isa_compiled"] if isa in info["cpp"]["isa_cpu"]]
    if info["numba"]["available"]:
        names.append("numba")
    return names


BACKENDS = engine_backends()


@pytest.fixture
def rng():
    return np.random.default_rng(20261121)


def random_codes(rng, n, n_frac=0.0):
    codes = rng.integers(0, 4, size=n).astype(np.uint8)
    if n_frac:
        codes[rng.random(n) < n_frac] = 4
    return codes
