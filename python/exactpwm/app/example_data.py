"""The example's world: four planted binding sites, the sequences a small CNN was trained on,
and a genome to scan. Everything is generated from a seed (nothing is downloaded).

The planted motifs are consensus sites of well-known factors (facts, not data
files) turned into PWMs with 90% of the mass on the consensus base.
``examples/train_cnn.py`` trained the CNN whose first-layer kernels ship in
``exactpwm/app/data/example_cnn.npz`` on :func:`training_set`.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from exactpwm.app.synthetic import plant_motif, sample_sites
from exactpwm.core.sequence import encode, reverse_complement

__all__ = ["PLANTED_SITES", "planted_pwms", "training_set", "example_genome", "load_example_cnn"]

#: name -> consensus of the motifs planted in the example data
PLANTED_SITES = {"Ebox": "CACGTG", "GATA": "AGATAA", "AP1": "TGAGTCA", "TATA": "TATAAAAG"}


def consensus_pwm(site: str, weight: float = 0.9) -> np.ndarray:
    """(4, len(site)) PWM: ``weight`` on each consensus base, the rest spread evenly."""
    pwm = np.full((4, len(site)), (1 - weight) / 3)
    pwm[encode(site), np.arange(len(site))] = weight
    return pwm


def planted_pwms() -> dict[str, np.ndarray]:
    """name -> (4, L) PWM of each planted motif."""
    return {n: consensus_pwm(s) for n, s in PLANTED_SITES.items()}


def training_set(rng: np.random.Generator, n: int = 20_000, length: int = 100, rate: float = 0.5):
    """(codes (n, length) uint8, labels (n, 4) float32): each motif is planted, on a random
    strand, in a fraction ``rate`` of the sequences; label k says whether motif k was planted."""
    codes = rng.integers(0, 4, size=(n, length), dtype=np.uint8)
    labels = np.zeros((n, len(PLANTED_SITES)), np.float32)
    for k, pwm in enumerate(planted_pwms().values()):
        planted, _, _ = plant_motif(rng, codes, pwm, fraction=rate, strand="both")
        labels[:, k] = planted
    return codes, labels


def example_genome(rng: np.random.Generator, length: int, sites_per_mbp: int = 200):
    """(codes (length,) uint8, sites): random DNA with planted sites of every motif and a few N runs.

    sites : structured array (motif, start, strand) of the planted sites, 0-based starts.
    Sites do not overlap each other; N runs avoid them.
    """
    codes = rng.integers(0, 4, size=length, dtype=np.uint8)
    pwms = list(planted_pwms().values())
    n_each = max(1, int(length * sites_per_mbp / 1e6))
    slot = 20  # sites go into disjoint slots of 20 bp
    slots = rng.choice(length // slot - 1, size=n_each * len(pwms), replace=False)
    sites = np.zeros(slots.size, dtype=[("motif", np.int32), ("start", np.int64), ("strand", "S1")])
    for k, pwm in enumerate(pwms):
        mine = slots[k * n_each:(k + 1) * n_each]
        drawn = sample_sites(rng, pwm, mine.size)
        minus = rng.random(mine.size) < 0.5
        drawn[minus] = reverse_complement(drawn[minus])
        starts = mine * slot + rng.integers(0, slot - pwm.shape[1] + 1, size=mine.size)
        codes[starts[:, None] + np.arange(pwm.shape[1])] = drawn
        sites[k * n_each:(k + 1) * n_each] = list(zip([k] * mine.size, starts, np.where(minus, b"-", b"+")))
    free = np.ones(length, bool)
    for s in sites["start"]:
        free[s:s + 20] = False
    for pos in rng.integers(0, length - 1000, size=5):
        if free[pos:pos + 500].all():
            codes[pos:pos + 500] = 4
    return codes, np.sort(sites, order="start")


def load_example_cnn() -> dict:
    """The shipped first layer of the example CNN: ``weight`` (8, 4, 15) float32, ``bias`` (8,),
    plus ``test_auc`` (4,) and ``seed`` from the training run."""
    with resources.files("exactpwm.app").joinpath("data/example_cnn.npz").open("rb") as f:
        with np.load(f) as z:
            return {k: z[k] for k in z.files}
