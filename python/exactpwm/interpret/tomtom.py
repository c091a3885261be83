"""Motif comparison with Tomtom's statistics (Gupta, Stamatoyannopoulos, Bailey & Noble, 2007).

The method, as MEME's ``tomtom`` 5.4.1 computes it (complete scores, its default):

1. Both motifs get a pseudocount (0.1, spread by the background; the one meaning of
   :func:`exactpwm.Motif.probabilities`); each target is also tried reverse-complemented.
2. Every query column is scored against every column of the whole target database with a
   column similarity (``dist``): ``pearson`` (correlation, our default), ``ed`` (minus the
   Euclidean distance, ``tomtom``'s default), ``sandelin``, ``kullback`` or ``allr``.
3. *Complete scores*: each query column's scores are shifted so that their median over the
   database is 0 (an unaligned column then scores 0, as a median alignment would), and the
   whole (L, database columns) matrix is quantized to integers ``round((s - floor(min)) * scale)``,
   ``scale = floor(100 / (max - floor(min)))``.
4. Null model: each aligned query column draws its score uniformly from the database's columns,
   independently. The distribution of a sum over query columns ``[s, e]`` is the convolution of
   their histograms (exact, on the integer grid).
5. A target of width w is aligned at every offset with at least ``min_overlap`` columns in common;
   the best alignment maximises the complete score (ties: the larger overlap). Its p-value is
   the probability that the best of all ``L + w - 1`` alignments, in both orientations, of a
   random target of width w scores at least as high (the maximum of independent sums), so the
   choice of offset and strand is paid for.
6. E-value = p x number of targets; q-values by Storey's method over all targets and orientations
   (lambda chosen by the bootstraps' mean-squared error, in closed form here).

Motifs are (4, L) probability matrices, rows A, C, G, T; offsets count columns (``Optimal_offset``
as Tomtom: the target's first column minus the query's, in the alignment).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from exactpwm._engine import engine
from exactpwm._numpy_kernels import storey_qvalues
from exactpwm.core._checks import check_number, optional_import, resolve_threads
from exactpwm.core.errors import ExactpwmWarning
from exactpwm.core.matrices import as_background, probabilities_with_pseudocount, site_count
from exactpwm.core.motif import MotifSet
from exactpwm.core.types import Strand

__all__ = ["DISTANCES", "TSV_COLUMNS", "TomtomMatrices", "TomtomResult", "compare_motifs", "tomtom", "as_motifs",
           "storey_qvalues"]

DISTANCES = ("ed", "pearson", "sandelin", "kullback", "allr")
BINS = 100  # Tomtom's score range for the quantized column scores
_ACGT = np.array(list("ACGT"))


@dataclass
class TomtomResult:
    """All (query, target) comparisons, one row per pair, the best orientation of each target.

    Attributes
    ----------
    rows : (Q * T,) structured array
        Fields ``query``, ``target`` (indices), ``offset`` (int), ``pvalue``, ``evalue``, ``qvalue``
        (float64), ``overlap`` (int), ``strand`` (``b"+"``/``b"-"``, the target's orientation);
        sorted by query, then p-value (ties: larger overlap, then target order) as Tomtom writes them.
    query_names, target_names : list of str
    query_consensus, target_consensus : list of str
        Consensus of each query; of each target on its '+' and '-' strand (``target_consensus[2 * t + r]``).
    """

    rows: np.ndarray
    query_names: list
    target_names: list
    query_consensus: list
    target_consensus: list

    def significant(self, threshold: float = 0.5, by: str = "qvalue") -> TomtomResult:
        """The rows with ``by`` (``"qvalue"`` as Tomtom's default, or ``"evalue"``) <= threshold."""
        threshold = _check_threshold(threshold, by)
        keep = self.rows[by] <= threshold
        return TomtomResult(self.rows[keep], self.query_names, self.target_names, self.query_consensus,
                            self.target_consensus)

    def best(self) -> TomtomResult:
        """The best row (smallest p-value) of each query that has one."""
        q = self.rows["query"]
        first = np.ones(q.size, bool)
        first[1:] = q[1:] != q[:-1]
        return TomtomResult(self.rows[first], self.query_names, self.target_names, self.query_consensus,
                            self.target_consensus)

    def records(self) -> list[tuple]:
        """Rows in Tomtom's TSV columns: (Query_ID, Target_ID, Optimal_offset, p-value, E-value,
        q-value, Overlap, Query_consensus, Target_consensus, Orientation)."""
        return list(zip(*self._columns()))

    def _columns(self, as_stored: bool = False) -> list[list]:
        """The ten TSV columns as lists (whole-array operations); ``as_stored``: p-, E- and q-values
        rounded to float32, as Tomtom stores (and prints) them."""
        r = self.rows
        qn, tn = np.array(self.query_names, dtype=object), np.array(self.target_names, dtype=object)
        qc, tc = np.array(self.query_consensus, dtype=object), np.array(self.target_consensus, dtype=object)
        minus = r["strand"] == b"-"
        values = [(r[k].astype(np.float32).astype(np.float64) if as_stored else r[k]).tolist()
                  for k in ("pvalue", "evalue", "qvalue")]
        return [qn[r["query"]].tolist(), tn[r["target"]].tolist(), r["offset"].tolist(), *values,
                r["overlap"].tolist(), qc[r["query"]].tolist(), tc[2 * r["target"] + minus].tolist(),
                np.where(minus, "-", "+").tolist()]

    def to_pandas(self) -> Any:
        """A pandas DataFrame with Tomtom's column names."""
        pd = optional_import("pandas", "tables", "TomtomResult.to_pandas")

        return pd.DataFrame.from_records(self.records(), columns=list(TSV_COLUMNS))

    def __len__(self) -> int:
        return int(self.rows.size)

    def write_tsv(self, out: Any, *, command: str | None = None, threads: int = 0, backend: str = "auto") -> None:
        """Tomtom's TSV (``tomtom -text`` / ``tomtom_out/tomtom.tsv``): a header line, the rows with
        p-, E- and q-values as ``%g``, then comment lines naming the program and ``command``. The
        compiled core formats the rows (the same bytes as :meth:`format_python`, tested)."""
        from exactpwm.io.files import atomic_output, write_bytes

        data = None
        if self.rows.dtype == _ROW:  # the engine's records (rows made otherwise: Python formats them)
            data = engine(backend).format_tomtom(np.ascontiguousarray(self.rows), [str(n) for n in self.query_names],
                                                 [str(n) for n in self.target_names], list(self.query_consensus),
                                                 list(self.target_consensus), resolve_threads(threads))
        with atomic_output(out) as f:
            f.write("\t".join(TSV_COLUMNS) + "\n")
            if data is None:
                f.write(self.format_python())
            else:
                write_bytes(f, data)
            f.write("\n# exactpwm compare: Tomtom's method and output format "
                    "(https://meme-suite.org/meme/doc/tomtom-output-format.html)\n")
            if command:
                f.write(f"# {command}\n")

    def format_python(self) -> str:
        """The TSV's row lines, formatted in Python (the reference for the compiled formatter)."""
        columns = zip(*self._columns(as_stored=True))  # p-, E- and q-values printed with %g
        return "".join([f"{a}\t{b}\t{o}\t{p:g}\t{e:g}\t{q:g}\t{v}\t{c}\t{d}\t{s}\n"
                        for a, b, o, p, e, q, v, c, d, s in columns])


@dataclass
class TomtomMatrices:
    """Every (query, target) pair's best alignment as (Q, T) arrays, in query and target order: the
    form clustering and redundancy filters read (``tomtom(..., matrices=True)``). The numbers are
    :class:`TomtomResult`'s, without the table's order and q-values (a q-value needs every
    orientation's p-value of the query).

    Fields:

    - ``pvalue``: (Q, T) float64, Tomtom's p-value of the target's better orientation (smaller p,
      then larger overlap, then '+');
    - ``offset``, ``overlap``: (Q, T) int64, its ``Optimal_offset`` (the target's first column minus
      the query's) and its aligned columns;
    - ``strand``: (Q, T) S1, ``b"+"`` or ``b"-"``, the target's orientation;
    - ``query_names``, ``target_names``: lists of str.
    """

    pvalue: np.ndarray
    offset: np.ndarray
    overlap: np.ndarray
    strand: np.ndarray
    query_names: list
    target_names: list

    @property
    def evalue(self) -> np.ndarray:
        """(Q, T) float64: p x the number of targets, as Tomtom's E-value."""
        return self.pvalue * self.pvalue.shape[1]


TSV_COLUMNS = ("Query_ID", "Target_ID", "Optimal_offset", "p-value", "E-value", "q-value", "Overlap",
               "Query_consensus", "Target_consensus", "Orientation")

#: memory for one block of queries' (B, E) engine results (tomtom() makes them block by block)
_BLOCK_BYTES = 1 << 24
_ROW = np.dtype([("query", np.int64), ("target", np.int64), ("offset", np.int64), ("pvalue", np.float64),
                 ("evalue", np.float64), ("qvalue", np.float64), ("overlap", np.int64), ("strand", "S1")])


def _consensus(motifs: list[np.ndarray]) -> list[str]:
    """Most probable letter per column (ties: the first of A, C, G, T, as Tomtom) of (L, 4) matrices."""
    letters = "".join(_ACGT[np.argmax(np.concatenate(motifs), axis=1)])
    ends = np.cumsum([m.shape[0] for m in motifs])
    return [letters[e - m.shape[0]:e] for m, e in zip(motifs, ends)]


def _prepare(motifs: MotifSet, what: str, pseudocount: float, bg: np.ndarray) -> list[np.ndarray]:
    """(L, 4) probabilities of each motif with the pseudocount, checked: :meth:`exactpwm.Motif.probabilities`
    (the counts, or the probabilities read as counts of the motif's sites, as MEME reads them)."""
    if len(motifs) == 0:
        raise ValueError(f"no {what} motifs to compare")
    widths = [m.width for m in motifs]
    if min(widths) >= 2 and all(m.counts is None for m in motifs):  # all at once (a database of thousands)
        P = np.concatenate([m.pwm for m in motifs], axis=1)
        if np.isfinite(P).all() and (P >= 0).all():
            if pseudocount > 0:
                n = np.repeat([site_count(m.nsites) for m in motifs], widths)
                P = probabilities_with_pseudocount(P, pseudocount, bg, site_counts=n)
            return np.split(np.ascontiguousarray(P.T), np.cumsum(widths)[:-1])
    out = []  # one at a time, naming the motif an error is about
    for m in motifs:
        if m.width < 2:
            raise ValueError(f"{what} motif {m.name!r} has width {m.width}; comparing needs at least 2 columns")
        if not np.isfinite(m.pwm).all():
            raise ValueError(f"{what} motif {m.name!r} has NaN or infinite entries")
        try:
            out.append(np.ascontiguousarray(m.probabilities(pseudocount, bg).T))
        except ValueError as exc:  # a column of zero counts without a pseudocount
            raise ValueError(f"{what} motif {m.name!r}: {exc}") from None
    return out


def tomtom(queries: MotifSet, targets: MotifSet, *, dist: str = "pearson", min_overlap: int = 1,
           strand: Strand = "both", pseudocount: float = 0.1, background: Any = None, threads: int = 0,
           both_strands: bool | None = None, matrices: bool = False, threshold: float | None = None,
           by: str = "qvalue", backend: str = "auto") -> Any:
    """Compare every query with every target (see the module docstring for the method).

    queries, targets : MotifSet. background : the null letter frequencies for the pseudocount
    (and ``allr``); default the queries' background, made strand-symmetric as Tomtom does.
    Returns every pair: a :class:`TomtomResult` (Tomtom's table; :meth:`TomtomResult.significant`
    gives Tomtom's default output, q <= 0.5), or with ``matrices=True`` the same numbers as
    :class:`TomtomMatrices` ((Q, T) arrays, no table order or q-values; faster for all against all).
    ``threshold``: keep only the table's rows with ``by`` <= threshold (:meth:`TomtomResult.significant`,
    made block by block, so the whole table is never held).
    Results do not depend on ``threads`` or ``backend``. All against all (``targets is queries``, as
    ``exactpwm compare db.meme db.meme`` passes them) prepares the motifs once; each ordered pair is
    still its own test, as in Tomtom (a query's null distribution is its own).
    """
    both_strands = _strand_choice(strand, both_strands, "tomtom")
    if threshold is not None:
        if matrices:
            raise ValueError("threshold= applies to the table: matrices=True gives every pair")
        threshold = _check_threshold(threshold, by)
    if dist not in DISTANCES:
        raise ValueError(f"dist must be one of {DISTANCES}, got {dist!r}")
    if not (isinstance(min_overlap, (int, np.integer)) and min_overlap >= 1):
        raise ValueError(f"min_overlap must be an integer >= 1, got {min_overlap!r}")
    pseudocount = check_number(pseudocount, "pseudocount", low=0)
    bg = as_background(queries.background if background is None else background)
    bg = (bg + bg[::-1]) / 2  # symmetric, as Tomtom makes it for a complementable alphabet
    qs = _prepare(queries, "query", pseudocount, bg)
    ts = qs if targets is queries else _prepare(targets, "target", pseudocount, bg)
    if dist in ("kullback", "allr") and any((m <= 0).any() for m in qs + ts):
        raise ValueError(f"dist={dist!r} needs probabilities > 0: use a pseudocount > 0")
    norient = 2 if both_strands else 1
    # the database: targets and (interleaved, as Tomtom) their reverse complements
    entries = [m for t in ts for m in ((t, t[::-1, ::-1]) if both_strands else (t,))]
    widths = np.array([m.shape[0] for m in entries], dtype=np.int64)
    wmax = int(widths.max())
    wide = [f"{m.name} ({q.shape[0]})" for m, q in zip(queries, qs) if q.shape[0] > wmax]
    if wide:  # one line for all of them
        shown = ", ".join(wide[:8]) + (f" and {len(wide) - 8} more" if len(wide) > 8 else "")
        warnings.warn(f"{len(wide)} of {len(qs)} queries are wider than every target (at most {wmax} columns), so "
                      f"each of their matches is a partial overlap: {shown}", ExactpwmWarning, stacklevel=2)
    unique_widths, width_index = np.unique(widths, return_inverse=True)
    nsites_t = np.repeat(np.array([m.nsites or 20.0 for m in targets for _ in range(norient)], np.float64), widths)
    Q, E = len(qs), widths.size
    n_threads = resolve_threads(threads)
    query_cols = np.ascontiguousarray(np.concatenate(qs))
    query_start = np.concatenate([[0], np.cumsum([q.shape[0] for q in qs])])
    query_nsites = np.array([m.nsites or 20.0 for m in queries], np.float64)
    db = (np.ascontiguousarray(np.concatenate(entries)), nsites_t, np.concatenate([[0], np.cumsum(widths)]),
          width_index.astype(np.int64), unique_widths.astype(np.int64), DISTANCES.index(dist), bg, norient,
          int(min_overlap))
    name_rank = _name_rank(list(targets.names))
    T = len(targets)
    # queries in blocks: each block's (B, E) p-values, offsets and overlaps (about 16 MB) are made,
    # then turned into its rows, so they stay in memory already touched instead of 24 bytes per pair.
    # Matrices make no (B, E) arrays: one call, whose threads share all the queries (widest first)
    block = Q if matrices else min(Q, max(n_threads, _BLOCK_BYTES // (24 * E), 1))
    if matrices:
        out_p, out_off = np.empty((Q, T)), np.empty((Q, T), np.int64)
        out_ov, out_strand = np.empty((Q, T), np.int64), np.empty((Q, T), "S1")
    else:  # the whole table, or one block's rows at a time and the ones kept
        rows = np.empty(Q * T if threshold is None else min(Q, block) * T, _ROW)
        kept = []
    if not matrices:
        pvalue = np.empty((block, E))
        offset = np.empty((block, E), np.int64)
        overlap = np.empty((block, E), np.int64)
    eng = engine(backend)
    try:
        for q0 in range(0, Q, block):
            q1 = min(Q, q0 + block)
            s0, s1 = query_start[q0], query_start[q1]
            queries_block = (query_cols[s0:s1], query_start[q0:q1 + 1] - s0, query_nsites[q0:q1], *db)
            if matrices:  # each target's better orientation, picked as each query is done
                eng.tomtom_compare_best(*queries_block, out_p[q0:q1], out_off[q0:q1], out_ov[q0:q1],
                                        out_strand[q0:q1], n_threads)
                if not np.isfinite(out_p[q0:q1]).all():
                    raise ValueError(f"column scores are not finite with dist={dist!r}")
                continue
            pv, off, ov = pvalue[:q1 - q0], offset[:q1 - q0], overlap[:q1 - q0]
            eng.tomtom_compare(*queries_block, pv, off, ov, n_threads)
            if not np.isfinite(pv).all():
                raise ValueError(f"column scores are not finite with dist={dist!r}")
            if threshold is None:
                _rows(pv, off, ov, norient, name_rank, threads=n_threads, backend=backend,
                      out=rows[q0 * T:q1 * T], first_query=q0)
            else:
                part = rows[:(q1 - q0) * T]
                _rows(pv, off, ov, norient, name_rank, threads=n_threads, backend=backend, out=part, first_query=q0)
                kept.append(part[part[by] <= threshold])
    finally:
        eng.tomtom_release()  # the engine's scratch, kept from one block to the next
    if matrices:
        return TomtomMatrices(out_p, out_off, out_ov, out_strand, list(queries.names), list(targets.names))
    if threshold is not None:
        rows = np.concatenate(kept) if kept else np.empty(0, _ROW)
    t_cons = _consensus(entries)
    if not both_strands:  # keep target_consensus[2 * t + r] addressing
        t_cons = [c for c in t_cons for _ in range(2)]
    return TomtomResult(rows, list(queries.names), list(targets.names), _consensus(qs), t_cons)


def _check_threshold(threshold: Any, by: str) -> float:
    if by not in ("qvalue", "evalue", "pvalue"):
        raise ValueError(f"by must be 'qvalue', 'evalue' or 'pvalue', got {by!r}")
    return check_number(threshold, "threshold", low=0)


def _name_rank(names: list) -> np.ndarray:
    """(T,) int64: each target's rank by name (Tomtom's last tie-breaker)."""
    rank = np.empty(len(names), np.int64)
    rank[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
    return rank


def _rows(pvalue: np.ndarray, offset: np.ndarray, overlap: np.ndarray, norient: int, name_rank: np.ndarray, *,
          threads: int = 0, backend: str = "auto", out: np.ndarray | None = None, first_query: int = 0) -> np.ndarray:
    """Tomtom's table of (Q, E) engine results, made by the engine (order and q-values:
    ``exactpwm._numpy_kernels.fill_table``): (Q * T,) :data:`_ROW` records, written into ``out``
    when given; their ``query`` counts from ``first_query``."""
    rows = np.empty(pvalue.shape[0] * len(name_rank), _ROW) if out is None else out
    engine(backend).tomtom_table(pvalue, offset, overlap, norient, name_rank, rows, resolve_threads(threads),
                                 first_query=first_query)
    return rows


def _strand_choice(strand: str, both_strands: bool | None, where: str) -> bool:
    """True for both strands: ``strand`` ("both" or "+"), or the deprecated ``both_strands``."""
    if both_strands is not None:
        warnings.warn(f"{where}(both_strands=) is deprecated: use strand='both' or strand='+'", DeprecationWarning,
                      stacklevel=3)
        return bool(both_strands)
    if strand not in ("both", "+"):
        raise ValueError(f"strand must be 'both' or '+' (targets as given), got {strand!r}")
    return strand == "both"


def as_motifs(source: Any, what: str = "motifs", *, base: float | None = None) -> MotifSet:
    """A MotifSet from a MotifSet, Motif(s), (K, 4, L) or (4, L) probabilities, a motif file,
    a ``jaspar:`` spec, or a kernel file (.npy/.npz/.pt/.h5: its exact PWMs at ``base``, required)."""
    import os

    from exactpwm.io.formats import as_motif_set, read_motifs
    from exactpwm.io.kernels import KERNEL_EXTENSIONS

    if isinstance(source, (str, os.PathLike)):
        spec = os.fspath(source)
        if spec.startswith("jaspar:"):
            from exactpwm.io.formats.jaspardb import load_jaspar_spec

            return load_jaspar_spec(spec)
        if spec.lower().endswith(KERNEL_EXTENSIONS):
            if base is None:
                raise ValueError(f"{spec} is a kernel file: give base= (the transform's log base b > 1; "
                                 "fit one with exactpwm.fit_base) to turn its kernels into PWMs")
            from exactpwm.interpret.convert import kernels_to_motifs

            return kernels_to_motifs(spec, base=base).motifs
        return read_motifs(spec)
    return as_motif_set(source)


def compare_motifs(queries: Any, targets: Any, *, dist: str = "pearson", min_overlap: int = 1,
                   strand: Strand = "both", pseudocount: float = 0.1, background: Any = None,
                   both_strands: bool | None = None,
                   base: float | None = None, threshold: float | None = None, by: str = "qvalue",
                   as_frame: bool | None = None, matrices: bool = False, threads: int = 0,
                   backend: str = "auto") -> Any:
    """Which known motif is each query? Tomtom's comparison (see :mod:`exactpwm.interpret.tomtom`).

    Parameters
    ----------
    queries, targets
        A MotifSet, Motif(s), probability arrays ((K, 4, L) or a list of (4, L)), a motif file
        (MEME, JASPAR, TRANSFAC, HOMER), ``"jaspar:"`` (JASPAR CORE vertebrates via pyjaspar), or a
        kernel file (.npy/.npz/.pt/.h5) turned into exact PWMs at ``base``.
    dist : str
        Column similarity: ``"pearson"`` (the default here), ``"ed"`` (``tomtom``'s own default),
        ``"sandelin"``, ``"kullback"`` or ``"allr"``. Pearson is the default because learned PWMs
        have near-uniform flanks: with ``ed``, a near-uniform column scores above the database
        median against any other near-uniform column, so a wide noise PWM "matches" a long,
        low-information target with a tiny E-value (MEME's tomtom does the same); a correlation
        gives a flat column nothing.
    min_overlap : int
        Fewest aligned columns (capped at the narrower motif's width), as ``tomtom -min-overlap``.
    strand : str
        "both" (default): also try each target reverse-complemented; "+": only as given (``tomtom
        -norc``). ``both_strands=`` is its deprecated old form (True for "both").
    pseudocount : float
        Added to every motif's counts (spread by the background), as ``tomtom -motif-pseudo``.
    threshold, by : float, str
        Keep rows with ``by`` (``"qvalue"``, ``"evalue"`` or ``"pvalue"``) <= threshold; None keeps all.
    as_frame : bool or None
        A pandas DataFrame with Tomtom's columns (default when pandas is installed), else the
        :class:`TomtomResult`.
    matrices : bool
        Return :class:`TomtomMatrices` instead: (Q, T) arrays of every pair's p-value, offset,
        overlap and strand, in query and target order (no table order or q-values: what clustering
        reads; faster for all against all). ``threshold`` and ``as_frame`` do not apply.

    Returns
    -------
    pandas.DataFrame or TomtomResult
        Per query, every target's best alignment, sorted by p-value: ``Query_ID``, ``Target_ID``,
        ``Optimal_offset``, ``p-value``, ``E-value`` (p x number of targets), ``q-value``, ``Overlap``,
        ``Query_consensus``, ``Target_consensus``, ``Orientation``.
    """
    if matrices and (threshold is not None or as_frame):
        raise ValueError("matrices=True gives every pair as (Q, T) arrays: threshold= and as_frame= apply to the "
                         "table only")
    qs = as_motifs(queries, "query", base=base)
    ts = qs if targets is queries else as_motifs(targets, "target", base=base)
    result = tomtom(qs, ts, dist=dist, min_overlap=min_overlap,
                    strand="both" if _strand_choice(strand, both_strands, "compare_motifs") else "+",
                    pseudocount=pseudocount, background=background, matrices=matrices, threshold=threshold, by=by,
                    threads=threads, backend=backend)
    if matrices:
        return result
    if as_frame is None:
        try:
            import pandas  # noqa: F401
        except ImportError:
            as_frame = False
        else:
            as_frame = True
    return result.to_pandas() if as_frame else result
