import numpy as np
import pytest


@pytest.fixture(scope="session")
def genome():
    """1 Mbp of seeded random DNA (uint8 codes)."""
    return np.random.default_rng(7).integers(0, 4, size=1_000_000).astype(np.uint8)
