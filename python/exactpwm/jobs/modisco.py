"""The modisco job: ``exactpwm modisco`` is :func:`run_modisco`. Attribution maps (the ``.npz``
files ``exactpwm attribute`` and modisco-lite use) and their sequences in; motif patterns out,
annotated with Tomtom's statistics, called back on the sequences with exact p-values, and shown in
an HTML report.

Files written in the output folder:

* ``modisco_results.h5``: the patterns in modisco-lite's layout (``modisco report`` reads it);
* ``patterns.meme``: each pattern's trimmed PFM (MEME format, ``nsites`` the seqlet count);
* ``patterns.tsv``: one row per pattern (sign, seqlets, width, consensus, best match);
* ``tomtom.tsv``: every pattern against the annotation motifs (Tomtom's columns), when annotating;
* ``hits.tsv``: each pattern's PFM and its CWM (as a scoring kernel) scanned over the sequences
  (or a FASTA such as a genome, ``hits_on``): sequence (its FASTA name, else its index), pattern,
  kind, 0-based half-open start/end, strand, score, exact p-value;
* ``cooccurrence.tsv``: per pair of patterns, the sequences holding a PFM hit of both (the
  diagonal: of the pattern); ``patterns.tsv`` also counts each pattern's hits;
* ``index.html`` and ``logos/``: the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exactpwm.jobs.common import (
    Log,
    MotifSource,
    OptionsError,
    check_inputs,
    check_outputs,
    equal_length_fasta,
    load_motifs,
    make_folder,
    stderr_log,
)

__all__ = ["ModiscoOptions", "ModiscoResult", "run_modisco"]


@dataclass
class ModiscoOptions:
    """``exactpwm modisco``'s options.

    attributions : ``.npz`` whose ``arr_0`` is (N, 4, L) hypothetical contributions (or any map:
        contributions of the letters present are it times the one-hot); or an ``.h5`` holding the
        maps and the sequences, as ``modisco motifs -h`` reads (``hyp_scores`` / ``input_seqs``,
        or BPNet's and ChromBPNet's ``shap/seq`` / ``raw/seq``)
    output : the report folder (created; the files listed in the module's notes are replaced)
    sequences : ``.npz`` whose ``arr_0`` is the (N, 4, L) one-hot sequences, or a FASTA of N
        sequences of length L (none with an ``.h5``)
    window : the central bases used (modisco-lite's ``-w``, default 400); 0: all of them
    motifs : annotation motifs: a motif file or a ``jaspar:`` spec; None: JASPAR CORE vertebrates
        when pyjaspar is installed, else no annotation; "none": no annotation
    pvalue : hits are windows with an exact p-value at or below this
    hits_on : a FASTA (a genome, say) to call the patterns' hits on instead of the sequences
    max_seqlets, seqlet_method, target_fdr, neighbors, leiden_runs, seed, threads : as in
        :func:`exactpwm.interpret.motif_discovery.discover_motifs`
    logos : write ``index.html`` and its logos
    """

    attributions: str
    output: str
    sequences: str | None = None
    window: int = 400
    motifs: str | None = None
    pvalue: float = 1e-4
    max_seqlets: int = 20_000
    seqlet_method: str = "laplace"
    target_fdr: float = 0.2
    neighbors: int = 64
    leiden_runs: int = 4
    seed: int = 0
    threads: int = 0
    logos: bool = True
    hits_on: str | None = None


@dataclass
class ModiscoResult:
    """What was found and written."""

    seqlets: int = 0
    patterns: int = 0
    hits: int = 0
    notes: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    discovery: Any = None


def run_modisco(opts: ModiscoOptions, *, log: Log = stderr_log, progress: Any = None) -> ModiscoResult:
    """Run one motif discovery as ``exactpwm modisco`` does. ``progress`` is called with 1 per step
    (2 x :data:`exactpwm.interpret.motif_discovery.STEPS` + 3 steps in all)."""
    import threading

    from exactpwm.interpret.motif_discovery import discover_motifs

    # the clustering's libraries are imported while the inputs are read (file reads release the GIL)
    ahead = threading.Thread(target=_import_clustering, daemon=True)
    ahead.start()
    check_inputs(opts.attributions, opts.sequences, opts.hits_on)
    make_folder(opts.output, "-o names the report folder")
    files = ["modisco_results.h5", "patterns.meme", "patterns.tsv", "tomtom.tsv", "hits.tsv", "cooccurrence.tsv",
             "index.html"]
    paths = {n: os.path.join(opts.output, n) for n in files}
    check_outputs(list(paths.values()), [opts.attributions, opts.sequences, opts.hits_on])
    names: list | None = None
    if opts.attributions.lower().endswith((".h5", ".hdf5")):  # maps and sequences in one file
        from exactpwm.io.modisco_h5 import read_attribution_h5

        if opts.sequences is not None:
            raise OptionsError(f"{opts.attributions} holds the sequences: leave out --sequences")
        try:
            hyp, ohe = read_attribution_h5(opts.attributions, opts.window)
        except (OSError, ValueError) as exc:
            raise OptionsError(f"{opts.attributions}: {exc}") from None
    else:
        if opts.sequences is None:
            raise OptionsError("give the sequences (--sequences ohe.npz or FASTA): the maps alone do not say which "
                               "letter each position holds")
        from exactpwm.io.npz import npz_shape

        try:
            full_shape = npz_shape(opts.attributions)[0]
        except (OSError, ValueError) as exc:
            raise OptionsError(f"{opts.attributions}: {exc}") from None
        hyp = _load_array(opts.attributions, "attributions", opts.window)
        ohe, names = _load_sequences(opts.sequences, full_shape, opts.window)
    tick = progress if progress is not None else (lambda n: None)
    ahead.join()
    try:
        found = discover_motifs(hyp, ohe, seqlet_method=opts.seqlet_method, target_fdr=opts.target_fdr,
                                max_seqlets=opts.max_seqlets, neighbors=opts.neighbors, leiden_runs=opts.leiden_runs,
                                seed=opts.seed, threads=opts.threads, progress=tick)
    except ValueError as exc:
        raise OptionsError(f"{opts.attributions}: {exc}") from None
    notes = list(found.notes)
    log(f"{len(found.seqlets):,} seqlets ({int((found.seqlets.sign > 0).sum()):,} positive); "
        f"{len(found.patterns)} patterns")
    written = _write_patterns(found, (hyp, ohe), paths, opts.window or hyp.shape[2])
    matches = _annotate(found, opts, paths, log, notes)
    tick(1)
    if matches is not None:
        written.append(paths["tomtom.tsv"])
    hits = _hits(found, ohe, names, opts, paths)

    written += [paths["hits.tsv"], paths["cooccurrence.tsv"]]
    tick(1)
    _summary(found, matches, hits, paths["patterns.tsv"])
    if opts.logos:
        from exactpwm.jobs.modisco_report import write_report

        write_report(opts.output, found, matches, hits, notes, opts)
        written.append(paths["index.html"])
    tick(1)
    for n in notes:
        log(n)
    log(f"wrote {', '.join(written)}")
    return ModiscoResult(len(found.seqlets), len(found.patterns), int(hits["n"]), notes, written, found)


def _import_clustering() -> None:
    try:
        import igraph  # noqa: F401
        import scipy.sparse  # noqa: F401
    except ImportError:  # discover_motifs names the missing extra
        pass


def _load_array(path: str, what: str, window: int, shape: tuple | None = None, dtype: Any = np.float32) -> np.ndarray:
    """``arr_0`` of an .npz, (N, 4, L) numbers, as ``dtype`` (held exactly when an integer type): the
    central ``window`` bases only (0: all), read a block of rows at a time. ``shape``: the (N, 4, L)
    it must have."""
    from exactpwm.io.npz import npz_shape, read_npz_columns

    try:
        full, stored = npz_shape(path)
    except (OSError, ValueError) as exc:
        raise OptionsError(f"{path}: {exc}") from None
    if len(full) != 3 or full[1] != 4:
        raise OptionsError(f"{path}: {what} must be (N, 4, L), got shape {full}")
    if stored.kind not in "fiub":
        raise OptionsError(f"{path}: {what} must be numbers, got dtype {stored}")
    if shape is not None and tuple(full) != tuple(shape):
        raise OptionsError(f"the sequences {tuple(full)} do not match the attribution maps {tuple(shape)}: give "
                           "the one-hot sequences the maps were made from")
    L = full[2]
    if window > L:
        raise OptionsError(f"--window {window} is longer than the maps ({L} bases)")
    a = L // 2 - window // 2 if window else 0
    try:
        return read_npz_columns(path, start=a, stop=a + window if window else None, dtype=dtype,
                                exact=np.dtype(dtype).kind in "iub")
    except (OSError, ValueError) as exc:
        raise OptionsError(f"{path}: {exc}") from None


def _load_sequences(path: str, shape: tuple, window: int) -> tuple[np.ndarray, list | None]:
    """(the (N, 4, window) one-hot sequences as uint8, their names from a FASTA or None)."""
    if path.lower().endswith(".npz"):
        try:
            return _load_array(path, "one-hot sequences", window, shape, dtype=np.uint8), None
        except OptionsError as exc:
            if "not uint8" in str(exc):
                raise OptionsError(f"{path}: the one-hot sequences hold values other than 0 and 1") from None
            raise
    from exactpwm.core.sequence import one_hot_rows

    try:
        names, codes = equal_length_fasta(path)
    except ValueError as exc:
        raise OptionsError(str(exc)) from None
    x = one_hot_rows(codes).astype(np.uint8)
    if x.shape != tuple(shape):
        raise OptionsError(f"the sequences {x.shape} do not match the attribution maps {tuple(shape)}: give the "
                           "one-hot sequences the maps were made from")
    a = shape[2] // 2 - window // 2 if window else 0
    return np.ascontiguousarray(x[:, :, a:a + window] if window else x), names


def _pattern_dict(p: Any, hyp: tuple) -> dict:
    from exactpwm.interpret.seqlet_similarity import windows

    hw = windows(hyp[0], p.sequence, p.start, p.width, p.minus)
    ow = windows(hyp[1], p.sequence, p.start, p.width, p.minus)
    return {"sequence": p.pfm.T, "contrib_scores": p.cwm.T, "hypothetical_contribs": p.hcwm.T,
            "seqlets": {"start": p.start, "end": p.start + p.width, "example_idx": p.sequence, "is_revcomp": p.minus,
                        "sequence": ow, "contrib_scores": hw * ow, "hypothetical_contribs": hw},
            "subpatterns": [_pattern_dict(s, hyp) for s in p.subpatterns]}


def _write_patterns(found: Any, maps: tuple, paths: dict, window: int) -> list[str]:
    from exactpwm.io.formats import write_motifs
    from exactpwm.io.modisco_h5 import write_modisco_h5

    groups: dict[str, list] = {"pos_patterns": [], "neg_patterns": []}
    for p in found.patterns:
        groups["pos_patterns" if p.sign > 0 else "neg_patterns"].append(_pattern_dict(p, maps))
    write_modisco_h5(paths["modisco_results.h5"], groups, window)
    out = [paths["modisco_results.h5"]]
    if found.patterns:
        write_motifs(found.to_motifs("pfm"), paths["patterns.meme"], "meme")
        out.append(paths["patterns.meme"])
    return out


def _annotate(found: Any, opts: ModiscoOptions, paths: dict, log: Log, notes: list) -> Any:
    """Tomtom of each trimmed PFM against the annotation motifs: (TomtomResult, the motifs), or None."""
    spec = opts.motifs
    if spec is not None and spec.lower() == "none":
        return None
    if spec is None:
        try:
            import pyjaspar  # noqa: F401
        except ImportError:
            notes.append("no annotation: pyjaspar is not installed (pip install 'exactpwm[jaspar]') and no --motifs "
                         "were given")
            return None
        spec = "jaspar:"
    if not found.patterns:
        return None
    from exactpwm.interpret.tomtom import tomtom

    targets = load_motifs(MotifSource(spec), log)
    res = tomtom(found.to_motifs("pfm"), targets, threads=opts.threads)
    res.write_tsv(paths["tomtom.tsv"])
    return res, targets


def _hits(found: Any, ohe: np.ndarray, names: list | None, opts: ModiscoOptions, paths: dict) -> dict:
    """Each pattern's PFM (log-odds against a uniform background) and CWM (its contribution weights
    as a scoring kernel) scanned over the sequences (or ``opts.hits_on``); the tables written.
    Returns the counts: hits per pattern and kind, sequences with a PFM hit, co-occurrence."""
    from exactpwm.core.motif import MotifSet
    from exactpwm.io.files import atomic_output
    from exactpwm.scanning.scan import scan

    if opts.hits_on:
        seqs: Any = opts.hits_on
    else:
        codes = np.full(ohe.shape[::2], 4, np.uint8)  # (N, L); N where no letter is set
        for b in range(4):
            codes[ohe[:, b] != 0] = b
        seqs = dict(zip(names if names is not None else (str(i) for i in range(len(codes))), codes))
    P = len(found.patterns)
    counts = {"pfm": np.zeros(P, np.int64), "cwm": np.zeros(P, np.int64)}
    pairs = np.zeros((0, 2), np.int64)  # (pattern, sequence) of PFM hits
    n_seqs = 0
    with atomic_output(paths["hits.tsv"]) as f:
        f.write("sequence\tpattern\tkind\tstart\tend\tstrand\tscore\tpvalue\n")
        if P:
            pattern_names = [p.name for p in found.patterns]
            pfms = MotifSet([p.motif("pfm") for p in found.patterns])
            cwms = [p.cwm[:, slice(*p.trim_span())] for p in found.patterns]
            for kind, table in (("pfm", scan(pfms, seqs, pvalue=opts.pvalue, threads=opts.threads)),
                                ("cwm", scan(cwms, seqs, pvalue=opts.pvalue, threads=opts.threads, mode="matrix",
                                             names=pattern_names))):
                r = table.rows
                seq_names = table.sequence_names
                n_seqs = len(seq_names)
                f.writelines(f"{seq_names[s]}\t{pattern_names[m]}\t{kind}\t{a}\t{e}\t{st.decode()}\t{sc:.6g}\t{pv:.3g}\n"
                             for s, m, a, e, st, sc, pv in zip(r["sequence"].tolist(), r["motif"].tolist(),
                                                               r["start"].tolist(), r["end"].tolist(),
                                                               r["strand"].tolist(), r["score"].tolist(),
                                                               r["pvalue"].tolist()))
                counts[kind] = np.bincount(r["motif"], minlength=P)
                if kind == "pfm":
                    pairs = np.unique(np.column_stack([r["motif"], r["sequence"]]).astype(np.int64), axis=0)
    seq_hit = np.zeros((P, max(n_seqs, 1)), bool)
    seq_hit[pairs[:, 0], pairs[:, 1]] = True
    both = seq_hit.astype(np.int64) @ seq_hit.T.astype(np.int64)
    with atomic_output(paths["cooccurrence.tsv"]) as f:
        pattern_names = [p.name for p in found.patterns]
        f.write("pattern\t" + "\t".join(pattern_names) + "\n")
        for i, name in enumerate(pattern_names):
            f.write(name + "\t" + "\t".join(str(int(v)) for v in both[i]) + "\n")
    return {"n": int(counts["pfm"].sum() + counts["cwm"].sum()), "sequences_with_hit": seq_hit.sum(axis=1),
            "cooccurrence": both, "pfm_hits": counts["pfm"], "cwm_hits": counts["cwm"]}


def _summary(found: Any, matches: Any, hits: dict, path: str) -> None:
    from exactpwm.io.files import atomic_output

    best: dict[int, Any] = {}
    if matches is not None:
        for r in matches[0].rows:
            q = int(r["query"])
            if q not in best:
                best[q] = r
    with atomic_output(path) as f:
        f.write("pattern\tsign\tseqlets\twidth\tconsensus\tsubpatterns\tbest_match\tbest_qvalue\tbest_evalue\t"
                "pfm_hits\tcwm_hits\tsequences_with_pfm_hit\n")
        for i, p in enumerate(found.patterns):
            r = best.get(i)
            m = ("", "", "") if r is None else (matches[0].target_names[int(r["target"])], f"{r['qvalue']:.3g}",
                                                 f"{r['evalue']:.3g}")
            f.write(f"{p.name}\t{p.sign}\t{p.n_seqlets}\t{p.width}\t{p.motif('pfm').consensus()}\t"
                    f"{len(p.subpatterns)}\t{m[0]}\t{m[1]}\t{m[2]}\t{hits['pfm_hits'][i]}\t{hits['cwm_hits'][i]}\t"
                    f"{hits['sequences_with_hit'][i]}\n")
