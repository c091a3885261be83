"""exactpwm: the exact CNN kernel <-> PWM transformation and a fast motif scoring engine.

Conventions: alphabet ACGT (U read as T, N/IUPAC = code 4); kernels and PWMs
(K, 4, L) in the PyTorch Conv1d layout; 0-based half-open coordinates; kernels
applied by cross-correlation unless ``flip=True``; log base e unless ``base=``.
"""

from .backends import BACKENDS, backends
from .layout import from_torch_layout, to_torch_layout
from .scoring import MaxScores, conv1d, max_scores
from .sequence import decode, encode, one_hot, pack, reverse_complement
from .transform import DEFAULT_BASE, kernel_to_pwm, pwm_to_kernel, reverse_complement_kernels

__version__ = "0.1.0"

__all__ = [
    "BACKENDS",
    "DEFAULT_BASE",
    "MaxScores",
    "backends",
    "conv1d",
    "decode",
    "encode",
    "from_torch_layout",
    "kernel_to_pwm",
    "max_scores",
    "one_hot",
    "pack",
    "pwm_to_kernel",
    "reverse_complement",
    "reverse_complement_kernels",
    "to_torch_layout",
]
