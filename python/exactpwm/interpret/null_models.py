"""Null sequence models for global importance analysis (Koo & Ploenzke): sets of sequences with
the statistics of real ones and none of the hypothesis embedded in them.

Every function returns (N, n) uint8 codes (A, C, G, T = 0..3, N = 4) and is seeded: the same
arguments give the same sequences on every machine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exactpwm.core._checks import check_number
from exactpwm.core.sequence import code_rows

__all__ = ["iid_null", "kmer_shuffle", "profile_null", "quantile_null", "shuffle_null"]


def _rows(sequences: Any, what: str) -> np.ndarray:
    X = code_rows(sequences)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{what}: no sequences given (or sequences of length 0)")
    return X


def shuffle_null(sequences: Any, n: int | None = None, *, k: int = 2, seed: int = 0, threads: int = 0) -> np.ndarray:
    """Shuffles of real sequences that keep their k-mer counts.

    Parameters
    ----------
    sequences : equal-length str, (M, n) uint8 codes or one-hot (M, 4, n)
    n : null sequences wanted (None: one per sequence); sequence ``j % M`` gives row ``j``
    k : 1 keeps base counts (a permutation); 2 keeps dinucleotide counts and the first and last
        bases (Altschul & Erickson, as :func:`exactpwm.dinucleotide_shuffle`, in the engine); k > 2
        keeps every k-mer's count and the first and last (k - 1)-mers (a uniformly drawn Eulerian
        path of the (k - 1)-mer graph, as uShuffle; in Python, 1 to 2 s per 10^6 bases)

    Returns
    -------
    (n, length) uint8
    """
    X = _rows(sequences, "shuffle null")
    M = len(X)
    n = M if n is None else int(check_number(n, "n", low=1, integer=True))
    seed = int(check_number(seed, "seed", low=0, integer=True))
    k = int(check_number(k, "k", low=1, integer=True))
    rounds = -(-n // M)
    if k == 1:
        rng = np.random.default_rng(seed)
        out = rng.permuted(np.tile(X, (rounds, 1)), axis=1)
    elif k > 2:
        rng = np.random.default_rng(seed)
        out = np.stack([kmer_shuffle(X[j % M], k, rng) for j in range(rounds * M)])
    else:
        from exactpwm.core.shuffle import dinucleotide_shuffle

        out = dinucleotide_shuffle(X, rounds, seed=seed, threads=threads).transpose(1, 0, 2).reshape(-1, X.shape[1])
    return np.ascontiguousarray(out[:n])


def kmer_shuffle(codes: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """One shuffle of a (n,) uint8 sequence keeping the count of every k-mer (k >= 2) and its first
    and last (k - 1)-mers: a uniformly random Eulerian path of the graph whose vertices are the
    (k - 1)-mers and whose edges are the k-mers (Altschul & Erickson; Jiang et al.'s uShuffle). The
    last exit of each vertex is drawn as a random arborescence towards the final vertex (Wilson's
    algorithm), the other exits in random order before it. N (code 4) is a fifth letter."""
    s = np.asarray(codes, np.int64)
    n = s.size
    m = k - 1
    if n <= k:
        return np.asarray(codes, np.uint8).copy()
    weights = 5 ** np.arange(m - 1, -1, -1)
    ids = np.convolve(s, weights[::-1], mode="valid") if m > 1 else s.copy()  # (n - m + 1,) vertex per position
    exits: dict = {}
    for a, b in zip(ids[:-1].tolist(), ids[1:].tolist()):
        exits.setdefault(a, []).append(b)
    start, end = int(ids[0]), int(ids[-1])
    last: dict = {}
    in_tree = {end}
    for v in exits:
        u = v
        path: dict = {}
        while u not in in_tree:  # loop-erased random walk to the tree
            out = exits[u]
            path[u] = out[int(rng.integers(len(out)))]
            u = path[u]
        u = v
        while u not in in_tree:
            last[u] = path[u]
            in_tree.add(u)
            u = path[u]
    order: dict = {}
    for v, out in exits.items():
        rest = list(out)
        if v in last:
            rest.remove(last[v])
        perm = rng.permutation(len(rest))
        order[v] = [rest[i] for i in perm] + ([last[v]] if v in last else [])
    pos = {v: 0 for v in order}
    walk = [start]
    u = start
    for _ in range(n - m):
        nxt = order[u][pos[u]]
        pos[u] += 1
        walk.append(nxt)
        u = nxt
    out = np.empty(n, np.uint8)
    out[:m] = s[:m]
    out[m:] = np.asarray(walk[1:], np.int64) % 5
    return out


def profile_null(sequences: Any, n: int, *, pseudocount: float = 0.0, seed: int = 0) -> np.ndarray:
    """Sequences drawn position by position from the base frequencies of real sequences at each
    position (Koo's "profile" model): keeps a positional bias such as a central enrichment.

    Parameters
    ----------
    sequences : equal-length str, (M, length) codes or one-hot; or a (4, length) profile of
        probabilities (rows A, C, G, T)
    pseudocount : added to each base's count at each position before normalizing
    """
    n = int(check_number(n, "n", low=1, integer=True))
    arr = np.asarray(sequences) if isinstance(sequences, np.ndarray) else None
    if arr is not None and arr.ndim == 2 and arr.shape[0] == 4 and arr.dtype.kind == "f":
        P = arr.astype(np.float64)
        if (P < 0).any() or not np.allclose(P.sum(axis=0), 1.0, atol=1e-6):
            raise ValueError("a (4, length) profile must hold probabilities: columns of non-negative numbers summing "
                             "to 1")
    else:
        X = _rows(sequences, "profile null")
        counts = np.stack([(X == b).sum(axis=0) for b in range(4)]).astype(np.float64) + float(pseudocount)
        total = counts.sum(axis=0)
        if (total == 0).any():
            raise ValueError("a position holds only N in every sequence: give a pseudocount > 0")
        P = counts / total
    rng = np.random.default_rng(int(check_number(seed, "seed", low=0, integer=True)))
    cdf = np.cumsum(P, axis=0)  # (4, length)
    u = rng.random((n, P.shape[1]))
    return np.minimum((u[:, None, :] > cdf[None, :3, :]).sum(axis=1), 3).astype(np.uint8)


def iid_null(n: int, length: int, composition: Any = None, *, seed: int = 0) -> np.ndarray:
    """Sequences of independent bases with a given composition (default uniform); ``composition``
    may be the GC fraction as one number."""
    n = int(check_number(n, "n", low=1, integer=True))
    length = int(check_number(length, "length", low=1, integer=True))
    if composition is None:
        p = np.full(4, 0.25)
    elif np.ndim(composition) == 0:
        gc = float(check_number(composition, "GC fraction", low=0.0, high=1.0))
        p = np.array([1 - gc, gc, gc, 1 - gc]) / 2
    else:
        p = np.asarray(composition, np.float64).reshape(-1)
        if p.size != 4 or (p < 0).any() or p.sum() <= 0:
            raise ValueError(f"composition must be 4 non-negative numbers (A, C, G, T) or a GC fraction, got {p}")
        p = p / p.sum()
    rng = np.random.default_rng(int(check_number(seed, "seed", low=0, integer=True)))
    return rng.choice(4, size=(n, length), p=p).astype(np.uint8)


def quantile_null(model: Any, sequences: Any, low: float = 0.0, high: float = 0.25, *, output: int = 0,
                  batch_size: int | None = 256) -> np.ndarray:
    """The real sequences whose prediction (output ``output``) lies between the ``low`` and
    ``high`` quantiles of all of theirs (Koo's "quartile" model: by default the lowest quarter).
    ``model`` as :class:`exactpwm.interpret.edited_outputs.EditedOutputs` takes it."""
    from exactpwm.interpret.model_runner import model_runner

    X = _rows(sequences, "quantile null")
    low = float(check_number(low, "low", low=0.0, high=1.0))
    high = float(check_number(high, "high", low=0.0, high=1.0))
    if not low < high:
        raise ValueError(f"the quantiles must satisfy low < high, got {low} and {high}")
    y = model_runner(model, batch_size=batch_size)(X)
    output = int(check_number(output, "output", low=0, integer=True))
    if output >= y.shape[1]:
        raise ValueError(f"output {output} does not exist: the model has {y.shape[1]} outputs")
    a, b = np.quantile(y[:, output], [low, high])
    keep = (y[:, output] >= a) & (y[:, output] <= b)
    return np.ascontiguousarray(X[keep])
