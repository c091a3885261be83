"""Names for the input forms the public API accepts (for annotations and the docs).

Each alias documents a family of inputs; the functions check and convert them
at run time and raise a clear error for anything else.
"""

from __future__ import annotations

import os
from typing import IO, Any, Literal, Union

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayLike", "Background", "Float64Array", "Motifs", "PathOrFile", "Sequences", "Strand"]

ArrayLike = npt.ArrayLike
"""Anything ``numpy.asarray`` takes (a torch tensor included)."""

Sequences = Any
"""Sequences to score: a ``str``/``bytes`` sequence, a list of them, a uint8 code array
(S, n) or (n,), a packed ``(codes, offsets)`` pair, or a FASTA path (``pathlib.Path``) or
open binary file (plain, gzip, bzip2 or xz)."""

Motifs = Any
"""Motifs: a ``MotifSet``, a ``Motif``, a list of them, a (K, 4, L) probability array,
a list of (4, L_k) arrays, or a motif file path."""

PathOrFile = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]
"""An output or input path, or an open file object."""

Background = Union[None, str, npt.ArrayLike]
"""A background: None (uniform), "uniform", or 4 frequencies of A, C, G, T."""

Float64Array = npt.NDArray[np.float64]

Strand = Literal["+", "-", "both"]
"""Which strands an argument asks for: "+" (as given), "-" (the reverse complement, reported at
the forward window start) or "both". Results say a strand as int8 +1/-1 in numeric arrays and as
"+"/"-" in tables (``docs/conventions.md``)."""
