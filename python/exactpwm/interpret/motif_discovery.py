"""Motifs discovered from attribution maps: TF-MoDISco's method (Shrikumar et al.), with the
similarity computed by the compiled engine.

Steps, for the positive and the negative seqlets separately (the two metaclusters):

1. Seqlets (:func:`exactpwm.interpret.seqlets.call_seqlets`, or the recursive caller, which is also
   used, with a note, when the Laplace null gives fewer than ``min_seqlets``, as on short maps
   crowded with sites): windows of ``window + 2 * flank`` bases centred on each seqlet.
2. Candidate neighbours: each seqlet's ``neighbors`` nearest by cosine similarity of a strand-free
   embedding (its 4-mers weighted by their contributions, :func:`~exactpwm.interpret.seqlet_similarity.kmer_embedding`).
3. Exact similarity of each seqlet with its candidates: the continuous Jaccard over both strands and
   offsets up to 30% of the width (:func:`~exactpwm.interpret.seqlet_similarity.continuous_jaccard`).
4. A graph: similarities made distances (``log(1 / (0.5 s) - 1)``, at least 0), each seqlet's
   Gaussian affinities fitted to ``perplexity`` (as t-SNE), symmetrised; clustered by Leiden on
   modularity (igraph's; ``leiden_runs`` seeds, the partition of highest modularity kept).
5. Patterns: each cluster's seqlets aligned to its strongest seqlet (best offset and strand), the
   mean taken, then every seqlet aligned again to that mean; windows are re-read from the maps at
   their aligned place, so no edge is left empty.
6. Merging: patterns whose cores (the strongest block of important positions, so a pattern of two
   nearby sites offers the stronger one) have a continuous Jaccard of at least ``merge_similarity``
   (best over strands and offsets, either way round) are pooled and aligned again to the larger
   pattern, until no pair is left.
7. Filtering and trimming: a pattern needs ``min_seqlets`` seqlets, ``min_information`` bits in its
   best 6 columns (TF-MoDISco's defaults) and a summed contribution of its metacluster's sign; it is
   trimmed to its core (as in step 6, with ``trim``), plus ``pattern_flank`` on each side.
8. Subpatterns: Leiden on the graph of each pattern's own seqlets.

Deterministic for a ``seed``: the engine's similarities are exact integers whatever the backend or
threads, neighbours are ranked on rounded similarities with ties broken by index, and Leiden runs
single-threaded from fixed seeds (igraph's random generator is set for each run and put back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from exactpwm.core._checks import check_number, optional_import
from exactpwm.core.motif import MotifSet
from exactpwm.interpret.motif_patterns import Pattern, build_pattern, information_content
from exactpwm.interpret.seqlet_similarity import coarse_neighbors, continuous_jaccard, kmer_embedding, tracks, windows
from exactpwm.interpret.seqlets import Seqlets, call_seqlets, recursive_seqlets

__all__ = ["MotifDiscovery", "discover_motifs", "pattern_similarity", "affinity_graph", "leiden",
           "STEPS"]

STEPS = 6  # progress units per metacluster


@dataclass
class MotifDiscovery:
    """What :func:`discover_motifs` found.

    Attributes
    ----------
    patterns : list of Pattern
        Positive patterns then negative ones, each by seqlet count (largest first)
    seqlets : Seqlets
        Every seqlet called
    clusters : dict
        ``{+1: labels, -1: labels}``: the Leiden cluster of each seqlet of that sign (in the order of
        ``seqlets``), -1 for seqlets left out
    params : dict
        The settings used
    notes : list of str
    """

    patterns: list
    seqlets: Seqlets
    clusters: dict
    params: dict
    notes: list = field(default_factory=list)

    def to_motifs(self, kind: str = "pfm", *, trim: float | None = 0.3) -> MotifSet:
        """The patterns as a :class:`exactpwm.MotifSet` (see :meth:`Pattern.motif`)."""
        return MotifSet([p.motif(kind, trim=trim) for p in self.patterns], source="exactpwm modisco")

    def to_pandas(self) -> Any:
        """A table: name, sign, seqlets, width, consensus (of the trimmed PFM), subpatterns."""
        pd = optional_import("pandas", "tables", "MotifDiscovery.to_pandas")
        return pd.DataFrame({
            "name": [p.name for p in self.patterns], "sign": [p.sign for p in self.patterns],
            "seqlets": [p.n_seqlets for p in self.patterns], "width": [p.width for p in self.patterns],
            "consensus": [p.motif("pfm").consensus() for p in self.patterns],
            "subpatterns": [len(p.subpatterns) for p in self.patterns]})


def discover_motifs(hypothetical: Any, one_hot: Any, *, window: int = 21, flank: int = 10,
                    seqlet_method: str = "laplace", target_fdr: float = 0.2, max_seqlets: int = 20_000,
                    neighbors: int = 64, perplexity: float = 10.0, leiden_runs: int = 4,
                    merge_similarity: float = 0.6, min_seqlets: int = 20, min_information: float = 0.6,
                    trim: float = 0.3, pattern_flank: int = 5, subpatterns: bool = True, seed: int = 0,
                    threads: int = 0, backend: str = "auto",
                    progress: Callable[[int], Any] | None = None) -> MotifDiscovery:
    """Motif patterns from attribution maps (see the module's notes for the method).

    Parameters
    ----------
    hypothetical : (N, 4, L) float
        Hypothetical contributions (DeepSHAP's, or any method's ``hypothetical``); their product
        with ``one_hot`` is the contribution of the letters present
    one_hot : (N, 4, L) float, uint8 or bool, ACGT rows (N: an all-zero column); uint8 or bool is
        used as it is, a quarter of float32's memory
    window, flank : seqlet core and the bases added on each side (TF-MoDISco's 21 and 10)
    seqlet_method : "laplace" (TF-MoDISco's null and FDR, ``target_fdr``) or "recursive" (tangermeme's
        recursive seqlets, at p < 0.01)
    max_seqlets : at most this many seqlets per sign, the strongest
    neighbors : candidate neighbours per seqlet for the exact similarity
    perplexity, leiden_runs, seed : the graph and its clustering
    merge_similarity, min_seqlets, min_information, trim, pattern_flank : see the module's notes
    subpatterns : whether to find each pattern's subpatterns
    threads : engine threads (0: all cores); backend : the engine (results do not depend on either)
    progress : called with 1 after each of the :data:`STEPS` steps of each sign

    Returns
    -------
    MotifDiscovery

    Raises
    ------
    ValueError
        Maps that do not match the sequences, NaN or infinite values, maps shorter than a window.
    """
    hyp = np.asarray(hypothetical)
    oh = np.asarray(one_hot)
    if hyp.ndim != 3 or hyp.shape[1] != 4:
        raise ValueError(f"hypothetical contributions must be (N, 4, L); got shape {hyp.shape}")
    if oh.shape != hyp.shape:
        raise ValueError(f"the one-hot sequences {oh.shape} and the attribution maps {hyp.shape} differ in shape")
    if hyp.dtype.kind not in "fiub" or oh.dtype.kind not in "fiub":
        raise ValueError("attribution maps and one-hot sequences must be numeric arrays")
    hyp = hyp.astype(np.float32, copy=False)
    if oh.dtype != np.uint8 and oh.dtype != bool:
        oh = oh.astype(np.float32, copy=False)  # uint8 / bool one-hot is kept as it is (a quarter of the memory)
    for a in range(0, hyp.shape[0], 1024):  # checked a block of rows at a time (no full-size temporaries)
        h, o = hyp[a:a + 1024], oh[a:a + 1024]
        if not np.isfinite(h).all():
            n, _, pos = np.argwhere(~np.isfinite(h))[0]
            raise ValueError(f"the attribution maps hold NaN or infinity (first in sequence {a + n}, position {pos})")
        if ((o != 0) & (o != 1)).any() or (o.sum(axis=1, dtype=np.int16) > 1).any():
            raise ValueError("one_hot must hold 0 and 1 with at most one 1 per position (ACGT rows)")
    window = int(check_number(window, "window", low=1, integer=True))
    flank = int(check_number(flank, "flank", low=0, integer=True))
    neighbors = int(check_number(neighbors, "neighbors", low=1, integer=True))
    min_seqlets = int(check_number(min_seqlets, "min_seqlets", low=1, integer=True))
    leiden_runs = int(check_number(leiden_runs, "leiden_runs", low=1, integer=True))
    pattern_flank = int(check_number(pattern_flank, "pattern_flank", low=0, integer=True))
    perplexity = float(check_number(perplexity, "perplexity", low=1))
    merge_similarity = float(check_number(merge_similarity, "merge_similarity", low=0, high=1))
    trim = float(check_number(trim, "trim", low=0, high=1))
    min_information = float(check_number(min_information, "min_information", low=0))
    if seqlet_method not in ("laplace", "recursive"):
        raise ValueError(f"seqlet_method must be 'laplace' or 'recursive', got {seqlet_method!r}")
    params = dict(window=window, flank=flank, seqlet_method=seqlet_method, target_fdr=target_fdr,
                  max_seqlets=max_seqlets, neighbors=neighbors, perplexity=perplexity, leiden_runs=leiden_runs,
                  merge_similarity=merge_similarity, min_seqlets=min_seqlets, min_information=min_information,
                  trim=trim, pattern_flank=pattern_flank, subpatterns=subpatterns, seed=seed)
    optional_import("igraph", "modisco", "discover_motifs")
    optional_import("scipy", "modisco", "discover_motifs")
    contrib = np.empty(hyp.shape[::2], np.float32)  # (N, L): without the (N, 4, L) product
    for a in range(0, hyp.shape[0], 1024):
        contrib[a:a + 1024] = np.einsum("nbl,nbl->nl", hyp[a:a + 1024], oh[a:a + 1024].astype(np.float32))
    notes: list[str] = []
    if not contrib.any():
        raise ValueError("every attribution map is zero at the letters present: there is nothing to cluster")
    if seqlet_method == "laplace":
        seqlets = call_seqlets(contrib, window=window, flank=flank, target_fdr=target_fdr,
                               max_seqlets=2 * max_seqlets)
        if len(seqlets) < min_seqlets:
            # short maps crowded with sites leave no noise windows to fit the null to (the mode of the
            # window sums is then the signal): the recursive caller's null is per base
            notes.append(f"the Laplace null gave {len(seqlets)} seqlets (maps of {hyp.shape[2]} bases with few "
                         "windows free of sites fit it poorly): recursive seqlets were called instead")
            seqlet_method = "recursive"
            params["seqlet_method"] = "recursive (fallback)"
    if seqlet_method == "recursive":
        seqlets = recursive_seqlets(contrib, max_seqlets=2 * max_seqlets)
    notes += seqlets.notes
    W = window + 2 * flank
    centers = seqlets.centers()
    tick = progress if progress is not None else (lambda n: None)
    tick(1)
    patterns: list[Pattern] = []
    clusters: dict[int, np.ndarray] = {}
    for sign, prefix in ((1, "pos"), (-1, "neg")):
        idx = np.flatnonzero(seqlets.sign == sign)
        if idx.size > max_seqlets:  # the strongest
            idx = np.sort(idx[np.argsort(-np.abs(seqlets.score[idx]), kind="stable")[:max_seqlets]])
        labels = np.full(int((seqlets.sign == sign).sum()), -1, np.int64)
        clusters[sign] = labels
        if idx.size < min_seqlets:
            notes.append(f"{idx.size} {'positive' if sign > 0 else 'negative'} seqlets, fewer than "
                         f"min_seqlets={min_seqlets}: no {prefix} patterns")
            tick(STEPS - 1)
            continue
        found, lab = _metacluster(hyp, oh, seqlets.sequence[idx], centers[idx] - W // 2, sign, prefix, W, params,
                                  threads, backend, tick, notes)
        where = np.searchsorted(np.flatnonzero(seqlets.sign == sign), idx)
        labels[where] = lab
        patterns += found
    return MotifDiscovery(patterns, seqlets, clusters, params, notes)


def _metacluster(hyp, oh, seq, start, sign, prefix, W, params, threads, backend, tick, notes):
    """Patterns of one sign's seqlets (windows seq, start of width W); and each seqlet's cluster."""
    S = seq.size
    minus = np.zeros(S, bool)
    hyp_w = windows(hyp, seq, start, W)
    oh_w = windows(oh, seq, start, W)
    X = tracks(hyp_w, oh_w)
    emb = kmer_embedding(oh_w, sign * hyp_w * oh_w)
    nbrs = coarse_neighbors(emb, params["neighbors"])
    tick(1)
    shift = int(W * 0.3)
    best, _, _ = continuous_jaccard(X, X, nbrs, max_shift=shift, threads=threads, backend=backend)
    tick(1)
    graph = affinity_graph(best, nbrs, params["perplexity"])
    labels = leiden(graph, params["leiden_runs"], params["seed"])
    tick(1)
    strength = np.abs(hyp_w * oh_w).sum(axis=(1, 2))
    built = []
    for c in range(int(labels.max()) + 1 if labels.size else 0):
        members = np.flatnonzero(labels == c)
        if members.size < params["min_seqlets"]:
            continue
        built.append(_aligned(members, X, seq, start, minus, strength, hyp, oh, W, shift, sign, threads, backend))
    tick(1)
    built = _merge(built, X, seq, start, minus, strength, hyp, oh, W, shift, sign, params["merge_similarity"],
                   params["trim"], threads, backend)
    tick(1)
    kept = []
    for members, p in built:
        ic = information_content(p.pfm)
        win = np.convolve(ic, np.ones(min(6, ic.size)), mode="valid").max()
        if members.size < params["min_seqlets"]:
            continue
        if win < params["min_information"]:
            notes.append(f"a {prefix} cluster of {members.size} seqlets was dropped: {win:.2f} bits in its best "
                         f"6 columns < min_information={params['min_information']:g}")
            continue
        if np.sign(p.cwm.sum()) != sign:
            notes.append(f"a {prefix} cluster of {members.size} seqlets was dropped: its contributions sum "
                         f"to the other sign")
            continue
        kept.append((members, p))
    kept.sort(key=lambda mp: (-mp[0].size, int(mp[0][0])))
    out_labels = np.full(S, -1, np.int64)
    patterns = []
    for i, (members, p) in enumerate(kept):
        out_labels[members] = i
        p = _trimmed(p, params["trim"], params["pattern_flank"], hyp, oh, f"{prefix}_pattern_{i}")
        if params["subpatterns"]:
            p.subpatterns = _subpatterns(p, members, graph, hyp, oh, params)
        patterns.append(p)
    tick(1)
    return patterns, out_labels


def affinity_graph(similarity: np.ndarray, neighbors: np.ndarray, perplexity: float) -> Any:
    """(S, S) scipy CSR matrix: symmetric affinities from each row's similarities to its neighbours
    (see the module's notes, step 4). ``similarity`` and ``neighbors`` are (S, k); NaN and -1 are skipped."""
    import scipy.sparse as sp

    S, k = neighbors.shape
    s = np.where(np.isfinite(similarity) & (neighbors >= 0), similarity, -1.0).astype(np.float64)
    d = np.maximum(np.log(1.0 / (0.5 * np.maximum(s, 1e-7)) - 1.0), 0.0)
    d[neighbors < 0] = np.inf
    target = np.log(min(perplexity, max(k - 1, 1)))
    lo = np.zeros(S)
    hi = np.full(S, np.inf)
    beta = np.ones(S)
    dmin = np.where(np.isfinite(d), d, np.inf).min(axis=1, keepdims=True)
    dmin[~np.isfinite(dmin)] = 0
    dd = d - dmin
    dd[~np.isfinite(dd)] = 1e300  # exp(-beta * 1e300) == 0
    for _ in range(40):
        w = np.exp(-dd * beta[:, None])
        z = w.sum(axis=1)
        z[z == 0] = 1
        p = w / z[:, None]
        h = np.log(z) + beta * (p * np.minimum(dd, 1e6)).sum(axis=1)  # the entropy of p
        up = h > target  # too flat: sharpen
        lo = np.where(up, beta, lo)
        hi = np.where(up, hi, beta)
        beta = np.where(np.isfinite(hi), (lo + hi) / 2, beta * 2)
    rows = np.repeat(np.arange(S), k)
    ok = (neighbors >= 0).ravel()
    P = sp.csr_matrix((p.ravel()[ok], (rows[ok], neighbors.ravel()[ok])), shape=(S, S))
    P = (P + P.T) * 0.5
    P.eliminate_zeros()
    return P


def leiden(graph: Any, runs: int, seed: int) -> np.ndarray:
    """(S,) int64 labels: the best of ``runs`` Leiden runs on modularity (seeds ``seed`` ..
    ``seed + runs - 1``), clusters numbered by size (largest first; ties by first member)."""
    import random

    import igraph as ig

    S = graph.shape[0]
    if S == 0:
        return np.empty(0, np.int64)
    upper = graph.tocoo()
    keep = upper.row <= upper.col
    g = ig.Graph(n=S, edges=np.column_stack([upper.row[keep], upper.col[keep]]), directed=False)
    weights = np.where(upper.row[keep] == upper.col[keep], 1.0, 2.0) * upper.data[keep]
    best_q, best = -np.inf, None
    try:
        for r in range(runs):
            ig.set_random_number_generator(random.Random(int(seed) + r))
            part = g.community_leiden(objective_function="modularity", weights=weights, n_iterations=2)
            q = part.modularity
            if q > best_q:
                best_q, best = q, np.asarray(part.membership, np.int64)
    finally:
        ig.set_random_number_generator(random)
    assert best is not None
    sizes = np.bincount(best)
    first = np.full(sizes.size, S)
    np.minimum.at(first, best, np.arange(S))
    order = np.lexsort((first, -sizes))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[best]


def _aligned(members, X, seq, start, minus, strength, hyp, oh, W, shift, sign, threads, backend, seed_track=None):
    """(members, Pattern): members aligned to their strongest seqlet (or to ``seed_track``), the mean
    taken, and all aligned again to the mean."""
    if seed_track is None:
        seed_track = X[members[np.argmax(strength[members])]][None]
    ref = seed_track
    p = None
    for _ in range(2):
        best, off, strand = continuous_jaccard(X[members], ref, np.arange(members.size, dtype=np.int32)[None],
                                               max_shift=shift, threads=threads, backend=backend)
        o = off[0].astype(np.int64)
        rev = strand[0].astype(bool)
        new_start = np.where(rev, start[members] + o, start[members] - o)
        new_minus = rev ^ minus[members]
        p = build_pattern("pattern", sign, hyp, oh, seq[members], new_start, new_minus, W, best[0])
        ref = tracks(p.hcwm.T[None], contributions=p.cwm.T[None])
    assert p is not None
    return members, p


def _merge(built, X, seq, start, minus, strength, hyp, oh, W, shift, sign, threshold, trim, threads, backend):
    """Pool patterns whose mean tracks are alike (see step 6), until none are."""
    for _ in range(8):
        if len(built) < 2:
            return built
        sim = pattern_similarity([p for _, p in built], trim=trim, threads=threads, backend=backend)
        np.fill_diagonal(sim, -1)
        groups = _groups(sim, threshold)
        if all(len(g) == 1 for g in groups):
            return built
        merged = []
        for g in groups:
            if len(g) == 1:
                merged.append(built[g[0]])
                continue
            big = max(g, key=lambda i: built[i][0].size)
            members = np.sort(np.concatenate([built[i][0] for i in g]))
            ref = tracks(built[big][1].hcwm.T[None], contributions=built[big][1].cwm.T[None])
            merged.append(_aligned(members, X, seq, start, minus, strength, hyp, oh, W, shift, sign, threads,
                                   backend, seed_track=ref))
        built = merged
    return built


def _groups(sim: np.ndarray, threshold: float) -> list:
    """Connected groups of indices whose similarity reaches ``threshold`` (single linkage), by first index."""
    parent = list(range(sim.shape[0]))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(sim >= threshold, 1))):
        ri, rj = root(int(i)), root(int(j))
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[int]] = {}
    for i in range(sim.shape[0]):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def pattern_similarity(patterns: list, *, trim: float = 0.3, flank: int = 2, threads: int = 0,
                       backend: str = "auto") -> np.ndarray:
    """(P, P) float32: the continuous Jaccard similarity of the patterns' cores (the strongest block
    of positions with at least ``trim`` times the largest summed absolute CWM, :meth:`Pattern.core_span`,
    plus ``flank``; tracks of the hCWM and the CWM), best over strands and offsets (at most half the
    widest core), the larger of the two ways round; 1 on the diagonal."""
    cores = []
    for p in patterns:
        lo, hi = p.core_span(trim)
        lo, hi = max(0, lo - flank), min(p.width, hi + flank)
        cores.append((p.hcwm[:, lo:hi].T, p.cwm[:, lo:hi].T))
    Wc = max(c[0].shape[0] for c in cores)
    hyp = np.zeros((len(cores), Wc, 4), np.float32)
    con = np.zeros_like(hyp)
    for i, (h, c) in enumerate(cores):
        a = (Wc - h.shape[0]) // 2
        hyp[i, a:a + h.shape[0]] = h
        con[i, a:a + h.shape[0]] = c
    T = tracks(hyp, contributions=con)
    sim, _, _ = continuous_jaccard(T, T, None, max_shift=Wc // 2, threads=threads, backend=backend)
    sim = np.maximum(sim, sim.T)
    np.fill_diagonal(sim, 1.0)
    return sim


def _trimmed(p: Pattern, trim: float, flank: int, hyp, oh, name: str) -> Pattern:
    lo, hi = p.core_span(trim)
    lo, hi = max(0, lo - flank), min(p.width, hi + flank)
    start = np.where(p.minus, p.start + p.width - hi, p.start + lo)
    out = build_pattern(name, p.sign, hyp, oh, p.sequence, start, p.minus, hi - lo, p.similarity)
    return out


def _subpatterns(p: Pattern, members: np.ndarray, graph: Any, hyp, oh, params) -> list:
    if members.size < 2 * params["min_seqlets"]:
        return []
    sub = graph[members][:, members]
    labels = leiden(sub, 1, params["seed"])
    parts = [np.flatnonzero(labels == c) for c in range(int(labels.max()) + 1)]
    parts = [r for r in parts if r.size >= params["min_seqlets"]]
    if len(parts) < 2:
        return []

    def made(rows, name="sub"):
        return build_pattern(name, p.sign, hyp, oh, p.sequence[rows], p.start[rows], p.minus[rows], p.width,
                             p.similarity[rows])

    # subclusters as alike as patterns that would be merged are one subpattern
    sim = pattern_similarity([made(r) for r in parts], trim=params["trim"])
    pooled = sorted((np.sort(np.concatenate([parts[i] for i in g])) for g in _groups(sim, params["merge_similarity"])),
                    key=lambda r: (-r.size, int(r[0])))
    if len(pooled) < 2:
        return []
    return [made(r, f"{p.name}.subpattern_{i}") for i, r in enumerate(pooled)]
