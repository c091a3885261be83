"""Global importance analysis (Koo & Ploenzke): what a pattern *does* to a model's prediction,
averaged over null sequences that carry none of it.

A hypothesis (a consensus, samples from a PWM, a k-mer, a pair at a spacing) is written into every
sequence of a null set (:mod:`exactpwm.interpret.null_models`); its *global importance* is the mean
over the set of the prediction with it minus the prediction without it, reported with a 95%
confidence interval (Student's t on the per-sequence differences). Every embedded copy of a null
set goes through the model in batches, recomputed only inside the edit's receptive field where the
model's graph allows (:class:`exactpwm.interpret.edited_outputs.EditedOutputs`).

Conventions: positions are 0-based starts; the default place is the centre (start ``n // 2 - w // 2``,
as tangermeme's ``substitute``); strand "-" embeds the reverse complement; a pattern's N keeps the
null's base. Results are :class:`GIATable` s (``to_pandas()``, ``write_tsv()``, ``plot()``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.core._checks import check_number
from exactpwm.core.errors import InputTypeError
from exactpwm.interpret.edited_outputs import KEEP, EditedOutputs

__all__ = ["GIATable", "GlobalImportance", "Hypothesis", "hypotheses"]

_RC = np.array([3, 2, 1, 0, 4], np.uint8)


@dataclass
class Hypothesis:
    """One pattern to embed: a name and a (4, w) probability matrix (a consensus or k-mer is a
    matrix of 0 and 1; a column of zeros, from N, keeps the null's base)."""

    name: str
    pfm: np.ndarray

    @property
    def width(self) -> int:
        return int(self.pfm.shape[1])

    def consensus(self) -> np.ndarray:
        """(w,) uint8 codes, KEEP where the column is empty."""
        word = self.pfm.argmax(axis=0).astype(np.uint8)
        word[self.pfm.sum(axis=0) == 0] = KEEP
        return word

    def samples(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, w) uint8: each column drawn from its probabilities (KEEP for an empty column)."""
        total = self.pfm.sum(axis=0)
        P = self.pfm / np.where(total > 0, total, 1)
        cdf = np.cumsum(P, axis=0)
        out = np.minimum((rng.random((n, self.width))[:, None, :] > cdf[None, :3, :]).sum(axis=1), 3).astype(np.uint8)
        out[:, total == 0] = KEEP
        return out


def hypotheses(patterns: Any) -> list[Hypothesis]:
    """Hypotheses from a str (a consensus: ACGT, N keeps the null's base), a list of str, a dict
    {name: str}, a :class:`exactpwm.Motif`, a :class:`exactpwm.MotifSet` or a list of motifs."""
    from exactpwm.core.motif import Motif

    if isinstance(patterns, (str, Motif, Hypothesis)):
        patterns = [patterns]
    items = list(patterns.items()) if isinstance(patterns, dict) else [(None, p) for p in patterns]
    out = []
    for name, p in items:
        if isinstance(p, Hypothesis):
            out.append(p)
        elif isinstance(p, Motif):
            out.append(Hypothesis(name or (f"{p.name} {p.alt_name}".strip()), np.asarray(p.pwm, np.float64)))
        elif isinstance(p, str):
            text = p.strip().upper()
            if not text or set(text) - set("ACGTN"):
                raise ValueError(f"a pattern must be a non-empty string of A, C, G, T and N, got {p!r}")
            pfm = np.zeros((4, len(text)))
            for j, c in enumerate(text):
                if c != "N":
                    pfm["ACGT".index(c), j] = 1.0
            out.append(Hypothesis(name or text, pfm))
        else:
            raise InputTypeError(f"a pattern must be a str, a Motif or a Hypothesis, got {type(p).__name__}")
    if not out:
        raise ValueError("no patterns given")
    return out


@dataclass
class GIATable:
    """A table of global importance: ``kind`` ("effect", "position", "copies", "spacing",
    "interactions" or "kmer") and ``columns`` {name: (rows,) array}. ``mean`` is the mean change
    of the output over the null set, ``ci_low`` .. ``ci_high`` its 95% interval, ``n`` the
    number of null sequences."""

    kind: str
    columns: dict
    notes: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def to_pandas(self) -> Any:
        """A pandas DataFrame of the columns (needs pandas: ``pip install 'exactpwm[tables]'``)."""
        import pandas as pd

        return pd.DataFrame(self.columns)

    def write_tsv(self, out: Any) -> None:
        """Tab-separated, one header line; numbers with 6 significant digits."""
        from exactpwm.io.files import atomic_output

        names = list(self.columns)

        def cell(v: Any) -> str:
            if isinstance(v, (float, np.floating)):
                return f"{v:.6g}"
            return str(v)
        lines = ["\t".join(names)] + ["\t".join(cell(self.columns[c][r]) for c in names) for r in range(len(self))]
        text = "\n".join(lines) + "\n"
        if hasattr(out, "write"):
            out.write(text)
        else:
            with atomic_output(str(out), "w") as f:
                f.write(text)

    def plot(self, ax: Any = None, output: int | None = None, top: int = 30) -> Any:
        """A matplotlib figure of the table as the GIA papers draw it (needs matplotlib)."""
        from exactpwm.interpret.gia_plots import plot_table

        return plot_table(self, ax=ax, output=output, top=top)


def _t95(dof: np.ndarray) -> np.ndarray:
    """The 0.975 quantile of Student's t (Cornish-Fisher expansion; exact to 1e-3 from 3 degrees)."""
    z = 1.959963984540054
    v = np.maximum(np.asarray(dof, np.float64), 1.0)
    return (z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3))


def summarize(diff: np.ndarray) -> dict:
    """{mean, sd, ci_low, ci_high, n} over axis 1 of ``diff`` (E, N, K), each (E, K)."""
    N = diff.shape[1]
    mean = diff.mean(axis=1)
    sd = diff.std(axis=1, ddof=1) if N > 1 else np.zeros_like(mean)
    half = _t95(N - 1) * sd / math.sqrt(N) if N > 1 else np.full_like(mean, np.nan)
    return {"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "n": N}


class GlobalImportance:
    """Global importance experiments on one model and one null set.

    Parameters
    ----------
    model : torch.nn.Module (one-hot (B, 4, n) input), :class:`exactpwm.PWMModel`, or a callable
        on (B, n) uint8 codes
    null : (N, n) uint8 codes of the null sequences (:mod:`exactpwm.interpret.null_models`), or
        anything :func:`exactpwm.core.sequence.code_rows` reads
    output : the output index to report, or None for all (a column ``output`` in every table)
    method, batch_size, check : as :class:`exactpwm.interpret.edited_outputs.EditedOutputs`
    seed : seeds samples from PWMs and the self-check
    runner : None, or what computes the edited outputs in place of an
        :class:`~exactpwm.interpret.edited_outputs.EditedOutputs` of ``model`` and ``null``: the
        same attributes (``baseline``, ``outputs``, ``sequences``, ``method``, ``why``) and call;
        ``exactpwm gia --dask`` gives one that runs blocks of the null set on a Dask cluster

    Attributes
    ----------
    baseline : (N, K) float64, the model's outputs on the null set
    """

    def __init__(self, model: Any, null: Any, *, output: int | None = None, method: str = "auto",
                 batch_size: int | None = None, check: int = 4, seed: int = 0, threads: int = 0,
                 runner: Any = None):
        from exactpwm.core.sequence import code_rows

        X = code_rows(null) if not (isinstance(null, np.ndarray) and null.dtype == np.uint8 and null.ndim == 2) \
            else null
        self.seed = int(check_number(seed, "seed", low=0, integer=True))
        self.runner = runner if runner is not None else \
            EditedOutputs(model, X, method=method, batch_size=batch_size, check=check, seed=self.seed, threads=threads)
        K = self.runner.outputs
        if output is not None:
            output = int(check_number(output, "output", low=0, integer=True))
            if output >= K:
                raise ValueError(f"output {output} does not exist: the model has {K} outputs")
        self.output = output
        self.baseline = self.runner.baseline

    @property
    def length(self) -> int:
        return int(self.runner.sequences.shape[1])

    @property
    def size(self) -> int:
        return int(self.runner.sequences.shape[0])

    # -- building edits -------------------------------------------------------------------------

    def _word(self, h: Hypothesis, strand: str, embed: str, rng: np.random.Generator) -> np.ndarray:
        """(w,) or (N, w) codes of one hypothesis on one strand."""
        if embed == "consensus":
            word = h.consensus()
        elif embed == "sample":
            word = h.samples(self.size, rng)
        else:
            raise ValueError(f"embed must be 'consensus' or 'sample', got {embed!r}")
        if strand == "-":
            word = np.where(word == KEEP, KEEP, _RC[np.minimum(word, 4)])[..., ::-1]
        elif strand != "+":
            raise ValueError(f"strand must be '+' or '-', got {strand!r}")
        return np.ascontiguousarray(word)

    def _check_fits(self, width: int, what: str) -> None:
        if width > self.length:
            raise ValueError(f"{what} ({width} bp) is wider than the null sequences ({self.length} bp)")

    def _run(self, starts: list, words: list) -> np.ndarray:
        """(E, N, K) outputs for edits of mixed widths and of per-sequence or shared words."""
        E = len(starts)
        w = max(x.shape[-1] for x in words)
        per_seq = any(x.ndim == 2 for x in words)
        N = self.size
        W = np.full((E, N, w) if per_seq else (E, w), KEEP, np.uint8)
        at = np.minimum(np.asarray(starts, np.int64), self.length - w)  # a narrow word near the end: KEEP before it
        for e, x in enumerate(words):
            off = int(starts[e] - at[e])
            W[e, ..., off:off + x.shape[-1]] = x
        return self.runner(at, W)

    def _table(self, kind: str, rows: dict, diff: np.ndarray, notes: list | None = None) -> GIATable:
        """Columns ``rows`` (E,) plus the summary of ``diff`` (E, N, K), long over the outputs."""
        table = self._stats_table(kind, rows, summarize(diff), diff.shape[1])
        table.notes = list(notes or [])
        return table

    def _center(self, width: int) -> int:
        return self.length // 2 - width // 2

    # -- experiments ----------------------------------------------------------------------------

    def effect(self, patterns: Any, *, position: int | None = None, strand: str = "+",
               embed: str = "consensus") -> GIATable:
        """The effect size of each pattern at one position (default the centre), on one strand
        or on ``strand="both"`` (a row per strand). Columns: pattern, width, position, strand,
        (output), mean, sd, ci_low, ci_high, n."""
        hs = hypotheses(patterns)
        strands = ["+", "-"] if strand == "both" else [strand]
        rng = np.random.default_rng(self.seed)
        starts: list = []
        words: list = []
        rows: dict = {"pattern": [], "width": [], "position": [], "strand": []}
        for h in hs:
            self._check_fits(h.width, f"pattern {h.name}")
            p = self._center(h.width) if position is None else int(position)
            if p < 0 or p + h.width > self.length:
                raise ValueError(f"pattern {h.name} ({h.width} bp) at position {p} does not fit in sequences of "
                                 f"{self.length} bp")
            for s in strands:
                starts.append(p)
                words.append(self._word(h, s, embed, rng))
                for k, v in (("pattern", h.name), ("width", h.width), ("position", p), ("strand", s)):
                    rows[k].append(v)
        y = self._run(starts, words)
        return self._table("effect", rows, y - self.baseline[None])

    def position_curve(self, pattern: Any, *, positions: Sequence[int] | None = None, strand: str = "+",
                       embed: str = "consensus") -> GIATable:
        """The effect of one pattern at each start position (default every one that fits)."""
        h = self._single(pattern)
        self._check_fits(h.width, f"pattern {h.name}")
        pos = np.arange(self.length - h.width + 1) if positions is None else np.asarray(positions, np.int64)
        word = self._word(h, strand, embed, np.random.default_rng(self.seed))
        y = self._run(list(pos), [word] * len(pos))
        rows = {"pattern": [h.name] * len(pos), "position": list(pos), "strand": [strand] * len(pos)}
        return self._table("position", rows, y - self.baseline[None])

    def copies(self, pattern: Any, *, counts: Sequence[int] = (1, 2, 3, 4, 5), strand: str = "+",
               embed: str = "consensus") -> GIATable:
        """The effect of 1, 2, ... copies of a pattern, spread evenly: copy j of c starts at
        ``round((j + 0.5) n / c - w / 2)``."""
        h = self._single(pattern)
        rng = np.random.default_rng(self.seed)
        starts, words = [], []
        for c in counts:
            c = int(check_number(c, "copies", low=1, integer=True))
            if c * h.width > self.length:
                raise ValueError(f"{c} copies of {h.name} ({h.width} bp) do not fit in {self.length} bp")
            at = [int(round((j + 0.5) * self.length / c - h.width / 2)) for j in range(c)]
            at = [min(max(a, 0), self.length - h.width) for a in at]
            word = np.full(self._word(h, strand, embed, rng).shape[:-1] + (at[-1] + h.width - at[0],), KEEP, np.uint8)
            for a in at:
                word[..., a - at[0]:a - at[0] + h.width] = self._word(h, strand, embed, rng)
            starts.append(at[0])
            words.append(word)
        y = self._run(starts, words)
        rows = {"pattern": [h.name] * len(starts), "copies": [int(c) for c in counts], "strand": [strand] * len(starts)}
        return self._table("copies", rows, y - self.baseline[None])

    def spacing_curve(self, first: Any, second: Any, *, spacings: Sequence[int] = range(0, 101),
                      orientations: Sequence[str] = ("++", "+-", "-+", "--"), start: int | None = None,
                      interaction: bool = False, embed: str = "consensus") -> GIATable:
        """The effect of a pair, ``first`` then ``second`` with ``spacing`` bases between them, in
        each orientation ("+-": the second on the minus strand). The pair is centred (as
        tangermeme's ``space``) unless ``start`` places the first pattern. With ``interaction``,
        columns ``single_first``, ``single_second`` and ``interaction`` (the pair's effect minus
        the sum of the single effects at the same places, per null sequence, then averaged)."""
        a, b = self._single(first), self._single(second)
        rng = np.random.default_rng(self.seed)
        starts: list = []
        words: list = []
        rows: dict = {"first": [], "second": [], "orientation": [], "spacing": []}
        singles: list = []
        for o in orientations:
            if len(o) != 2 or set(o) - {"+", "-"}:
                raise ValueError(f"an orientation is two strands such as '+-', got {o!r}")
            wa, wb = self._word(a, o[0], embed, rng), self._word(b, o[1], embed, rng)
            for g in spacings:
                g = int(check_number(g, "spacing", low=0, integer=True))
                total = a.width + g + b.width
                self._check_fits(total, f"the pair at spacing {g}")
                s0 = self._center(total) if start is None else int(start)
                if s0 < 0 or s0 + total > self.length:
                    raise ValueError(f"the pair ({total} bp at spacing {g}) at {s0} does not fit in {self.length} bp")
                word = np.full(wa.shape[:-1] + (total,), KEEP, np.uint8) if wa.ndim == wb.ndim else \
                    np.full((self.size, total), KEEP, np.uint8)
                word[..., :a.width] = wa
                word[..., a.width + g:] = wb
                starts.append(s0)
                words.append(word)
                singles.append((s0, wa, s0 + a.width + g, wb))
                for k, v in (("first", a.name), ("second", b.name), ("orientation", o), ("spacing", g)):
                    rows[k].append(v)
        y = self._run(starts, words)
        table = self._table("spacing", rows, y - self.baseline[None])
        if interaction:
            ya = self._run([s[0] for s in singles], [s[1] for s in singles])
            yb = self._run([s[2] for s in singles], [s[3] for s in singles])
            self._add_interaction(table, y, ya, yb)
        return table

    def interactions(self, patterns: Any, *, spacing: int = 10, embed: str = "consensus") -> GIATable:
        """Every pair of patterns (i left of j, ``spacing`` bases apart, centred, both "+"): the
        joint effect, the single effects at the same places and their interaction (joint minus
        the sum of the singles, per null sequence, then averaged; the ``mean`` column is the
        interaction)."""
        hs = hypotheses(patterns)
        if len(hs) < 2:
            raise ValueError("interactions need at least two patterns")
        rng = np.random.default_rng(self.seed)
        words = {h.name: self._word(h, "+", embed, rng) for h in hs}
        pairs = list(itertools.combinations(range(len(hs)), 2))
        joint_s, joint_w, sa, wa, sb, wb = [], [], [], [], [], []
        for i, j in pairs:
            a, b = hs[i], hs[j]
            total = a.width + spacing + b.width
            self._check_fits(total, f"the pair {a.name}, {b.name}")
            s0 = self._center(total)
            w = np.full(words[a.name].shape[:-1] + (total,), KEEP, np.uint8) \
                if words[a.name].ndim == words[b.name].ndim else np.full((self.size, total), KEEP, np.uint8)
            w[..., :a.width] = words[a.name]
            w[..., a.width + spacing:] = words[b.name]
            joint_s.append(s0)
            joint_w.append(w)
            sa.append(s0)
            wa.append(words[a.name])
            sb.append(s0 + a.width + spacing)
            wb.append(words[b.name])
        y = self._run(joint_s, joint_w)
        ya, yb = self._run(sa, wa), self._run(sb, wb)
        rows = {"first": [hs[i].name for i, _ in pairs], "second": [hs[j].name for _, j in pairs],
                "spacing": [spacing] * len(pairs)}
        table = self._table("interactions", rows, y - ya - yb + self.baseline[None])
        joint = self._table("interactions", rows, y - self.baseline[None])
        table.columns["joint"] = joint.columns["mean"]
        table.columns["single_first"] = self._table("interactions", rows, ya - self.baseline[None]).columns["mean"]
        table.columns["single_second"] = self._table("interactions", rows, yb - self.baseline[None]).columns["mean"]
        return table

    def optimal_kmer(self, k: int, *, position: int | None = None, strand: str = "+", top: int | None = None,
                     chunk: int = 4096) -> GIATable:
        """Every k-mer (4^k, k up to 8) embedded at one position (default the centre), sorted by
        effect on the output (the first output when ``output`` is None), strongest first;
        ``top`` keeps that many."""
        k = int(check_number(k, "k", low=1, high=8, integer=True))
        self._check_fits(k, f"a {k}-mer")
        p = self._center(k) if position is None else int(position)
        if p < 0 or p + k > self.length:
            raise ValueError(f"a {k}-mer at position {p} does not fit in sequences of {self.length} bp")
        allk = np.array(list(itertools.product(range(4), repeat=k)), np.uint8)  # (4^k, k)
        if strand == "-":
            allk = _RC[allk][:, ::-1]
        o = self.output or 0
        K = self.runner.outputs
        stats = {s: np.empty((len(allk), K)) for s in ("mean", "sd", "ci_low", "ci_high")}
        for a in range(0, len(allk), int(chunk)):
            part = allk[a:a + int(chunk)]
            y = self.runner(np.full(len(part), p), np.ascontiguousarray(part))
            got = summarize(y - self.baseline[None])
            for s in stats:
                stats[s][a:a + len(part)] = got[s]
        order = np.argsort(-stats["mean"][:, o], kind="stable")[:top]
        names = ["".join("ACGT"[c] for c in (_RC[allk[i]][::-1] if strand == "-" else allk[i])) for i in order]
        diff_stats = {s: v[order] for s, v in stats.items()}
        rows = {"kmer": names, "position": [p] * len(order), "strand": [strand] * len(order)}
        return self._stats_table("kmer", rows, diff_stats, self.size)

    # -- helpers --------------------------------------------------------------------------------

    def _single(self, pattern: Any) -> Hypothesis:
        hs = hypotheses(pattern)
        if len(hs) != 1:
            raise ValueError(f"give one pattern here, got {len(hs)}")
        return hs[0]

    def _stats_table(self, kind: str, rows: dict, stats: dict, n: int) -> GIATable:
        outputs = range(stats["mean"].shape[1]) if self.output is None else [self.output]
        cols: dict = {k: [] for k in rows}
        if self.output is None:
            cols["output"] = []
        for k in ("mean", "sd", "ci_low", "ci_high"):
            cols[k] = []
        for e in range(len(stats["mean"])):
            for o in outputs:
                for k, v in rows.items():
                    cols[k].append(v[e])
                if self.output is None:
                    cols["output"].append(o)
                for k in ("mean", "sd", "ci_low", "ci_high"):
                    cols[k].append(float(stats[k][e, o]))
        out = {k: np.asarray(v) for k, v in cols.items()}
        out["n"] = np.full(len(out["mean"]), n)
        return GIATable(kind, out)

    def _add_interaction(self, table: GIATable, y: np.ndarray, ya: np.ndarray, yb: np.ndarray) -> None:
        rows = {"_": list(range(len(y)))}
        for name, d in (("single_first", ya - self.baseline[None]), ("single_second", yb - self.baseline[None]),
                        ("interaction", y - ya - yb + self.baseline[None])):
            table.columns[name] = self._table(table.kind, rows, d).columns["mean"]
