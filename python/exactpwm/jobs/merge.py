"""The merge job: the part files of a scan (``exactpwm scan --part K/N``, or ``exactpwm fimo --part
K/N FILE``) to the output one run over the whole input writes, in one call: ``exactpwm merge`` is
:func:`run_merge`.

The hits, their order and every number are those of the whole scan; q-values are computed here,
over all parts' window tests and p-value samples (see :mod:`exactpwm.scanning.parts`). Only the
closing comment differs: it records the command that wrote the file (this merge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO, cast

from exactpwm.jobs.common import (
    Log,
    OptionsError,
    check_inputs,
    check_outputs,
    command_text,
    make_folder,
    stderr_log,
)
from exactpwm.jobs.scan import write_hits

__all__ = ["MergeOptions", "run_merge"]


@dataclass
class MergeOptions:
    """Everything ``exactpwm merge`` is told.

    parts : the part files (any order; all parts of one run, each once)
    output : a path, '-' or None (stdout); for parts of ``exactpwm fimo``, the output folder (as its
    ``--oc``: fimo.tsv and fimo.gff, written into if it exists), or with ``--text`` the stream's file
    threads : threads formatting the lines (0 = all cores; the text does not depend on it)
    ohe, bigwig : for parts of ``exactpwm attribute``: its ``--ohe`` file and ``--bigwig`` folder
    vcf_out : for parts of ``exactpwm variants --vcf-out``: the annotated VCF (the input VCF, whose
    path the parts record, with the EXACTPWM INFO field)
    argv : the command line, recorded in the output's closing comment
    """

    parts: Sequence[str]
    output: str | None = None
    threads: int = 0
    ohe: str | None = None
    bigwig: str | None = None
    vcf_out: str | None = None
    argv: Sequence[str] | None = None


def run_merge(opts: MergeOptions, *, log: Log = stderr_log) -> int:
    """Merge the parts and write the whole scan's output; returns the number of hits written.
    :class:`OptionsError` when the parts are not exactly one run's (a different run, a part
    missing or given twice, a file that is not a part)."""
    import os

    from exactpwm.scanning.parts import PartError, check_parts, merge_parts, read_part

    if not opts.parts:
        raise OptionsError("give the part files to merge")
    check_inputs(*opts.parts)
    track = os.path.join(opts.bigwig, "attributions.bw") if opts.bigwig else None
    if opts.bigwig:
        make_folder(opts.bigwig, "--bigwig names a folder")
    parts = [read_part(p) for p in opts.parts]  # a file that is not a part: bad input (ValueError)
    note = command_text(opts.argv)
    command = parts[0].settings.get("command", "scan")
    outputs: list[str | None] = [opts.output]
    folder = command == "fimo" and not parts[0].settings.get("text")
    if folder and opts.output is not None and opts.output != "-":  # a folder, as fimo's --oc
        make_folder(opts.output, "parts of 'exactpwm fimo' merge into a folder (as its --oc)")
        outputs = [os.path.join(opts.output, name) for name in ("fimo.tsv", "fimo.gff")]
    vcf_in = parts[0].settings.get("vcf") if command == "variants" else None
    check_outputs([*outputs, opts.ohe, track, opts.vcf_out], [*opts.parts, vcf_in])
    if opts.vcf_out and not (command == "variants" and parts[0].settings.get("vcf_out")):
        raise OptionsError("--vcf-out is for parts of 'exactpwm variants --vcf-out': these parts hold no VCF "
                           "annotations")
    if (opts.ohe or opts.bigwig) and command != "attribute":
        raise OptionsError("--ohe and --bigwig are for parts of 'exactpwm attribute'")
    try:
        if command == "variants":
            return _merge_variants(opts, check_parts(parts, list(opts.parts)), note, log)
        if command == "attribute":
            return _merge_attribute(opts, check_parts(parts, list(opts.parts)), track, log)
        if command == "track":
            return _merge_track(opts, check_parts(parts, list(opts.parts)), log)
        if parts[0].settings.get("format") == "maxima":
            return _merge_maxima(opts, check_parts(parts, list(opts.parts)), note, log)
        found, settings = merge_parts(parts, list(opts.parts))
    except PartError as exc:
        raise OptionsError(str(exc)) from None
    if settings.get("command") == "fimo":
        return _merge_fimo(opts, found, settings, note or "exactpwm merge", log)
    if settings.get("qvalues"):
        found.add_qvalues("pooled" if settings["qvalues"] == "pooled" else "motif")
    write_hits(opts.output, settings["format"], found.hits, settings["motif_names"], found.sequence_names,
               settings["alt_names"], note, opts.threads)
    log(f"merged {len(opts.parts)} parts: {found.hits.size:,} hits")
    return int(found.hits.size)


def _merge_attribute(opts: MergeOptions, parts: list, track: str | None, log: Log) -> int:
    """Parts of ``exactpwm attribute``: the maps joined, the run's files written."""
    import numpy as np

    from exactpwm.jobs.attribute import join_checks, log_attribute_summary, write_attribute_outputs
    if opts.output in (None, "-"):
        raise OptionsError("these are parts of 'exactpwm attribute': give -o the attributions .npz")
    joined = {k: np.concatenate([p.arrays[k] for p in parts]) for k in parts[0].arrays}
    places = list(zip(joined["place_names"].tolist(), joined["place_starts"].tolist()))
    settings = parts[0].settings
    if track is not None:
        if settings["named"] and len(set(joined["place_names"].tolist())) < len(places):
            raise ValueError("the sequences' names repeat, so a bigWig track cannot hold each sequence once; give "
                             "each sequence its own name")
    paths = write_attribute_outputs(opts.output, opts.ohe, track, joined["hypothetical"], joined["attributions"],
                                    joined["ohe"], places, settings["sizes"], projected=settings["projected"])
    summaries = [p.settings["summary"] for p in parts]
    summary = {**summaries[0], **join_checks(summaries)}
    log_attribute_summary(summary, paths, log)
    return int(joined["hypothetical"].shape[0])


def _merge_track(opts: MergeOptions, parts: list, log: Log) -> int:
    """Parts of ``exactpwm track``: each motif's bedGraph, its parts' lines one after the other."""
    from contextlib import ExitStack

    from exactpwm.jobs.common import open_text
    from exactpwm.jobs.track import bedgraph_header, bedgraph_paths

    names = parts[0].settings["motif_names"]
    if opts.output is not None and opts.output.lower().endswith((".bw", ".bigwig")):
        return _merge_bigwig(opts, parts, log)
    if len(names) > 1 and opts.output in (None, "-"):
        raise OptionsError(f"{len(names)} motifs: give -o a folder for one bedGraph each")
    seen: set = set()
    for p in parts:
        mine = set(p.arrays["names"].tolist())
        if seen & mine:
            raise ValueError(f"sequence names repeat across parts ({', '.join(sorted(seen & mine)[:5])}): a track "
                             "has one entry per sequence")
        seen |= mine
    if len(names) > 1:
        make_folder(str(opts.output), f"with {len(names)} motifs -o names a folder for one bedGraph each")
    paths = bedgraph_paths(opts.output, names)
    check_outputs(paths, list(opts.parts))
    with ExitStack() as stack:
        files = [stack.enter_context(open_text(p)) for p in paths]
        for k, (f, name) in enumerate(zip(files, names)):
            f.write(bedgraph_header(name, parts[0].settings["strand"]))
            for p in parts:
                b = p.arrays["text_bounds"]
                f.write(p.arrays["text"][b[k]:b[k + 1]].tobytes().decode())
    written = [p for p in paths if p not in (None, "-")]
    for p in written:
        log(f"wrote {p}")
    return len(written)


def _merge_bigwig(opts: MergeOptions, parts: list, log: Log) -> int:
    """Parts of ``exactpwm track`` (one motif) to the bigWig file one ``track -o x.bw`` writes: the
    header from every part's records, the entries from its bedGraph lines."""
    import numpy as np

    from exactpwm.scanning.tracks import write_bigwig_runs

    if len(parts[0].settings["motif_names"]) > 1:
        raise OptionsError("bigWig holds one track: these parts hold several motifs (merge them to a folder of "
                           "bedGraph files, or run the parts with --motif)")
    if "record_names" not in parts[0].arrays:
        raise OptionsError("these parts were written before bigWig merges: merge them to bedGraph")
    check_outputs([opts.output], list(opts.parts))
    sizes: dict[str, int] = {}
    for p in parts:
        for name, length in zip(p.arrays["record_names"].tolist(), p.arrays["record_lengths"].tolist()):
            if name in sizes:
                raise ValueError(f"the sequence name {name!r} repeats: a bigWig track has one entry per sequence")
            sizes[name] = int(length)

    def runs() -> Any:
        for p in parts:
            b = p.arrays["text_bounds"]
            lines = p.arrays["text"][b[0]:b[1]].tobytes().decode().splitlines()
            if not lines:
                continue
            cols = list(zip(*(ln.split("\t") for ln in lines)))
            chrom = np.array(cols[0], dtype=object)
            cut = np.flatnonzero(chrom[1:] != chrom[:-1]) + 1
            starts, ends = np.array(cols[1], np.int64), np.array(cols[2], np.int64)
            values = np.array([float(x) for x in cols[3]])
            for a, z in zip(np.r_[0, cut], np.r_[cut, len(lines)]):
                yield chrom[a], starts[a:z], ends[a:z], values[a:z]

    write_bigwig_runs(str(opts.output), sizes, runs())
    log(f"wrote {opts.output}")
    return 1


def _merge_maxima(opts: MergeOptions, parts: list, note: str | None, log: Log) -> int:
    """Parts of ``exactpwm scan --format maxima``: their rows one after the other, as one scan writes them."""
    rows = _write_text_parts(opts.output, parts, f"\n# exactpwm scan --format maxima\n# command: {note or ''}\n")
    log(f"merged {len(parts)} parts: {rows:,} rows")
    return rows


def _write_text_parts(output: Any, parts: list, closing: str) -> int:
    """The parts' header, their text rows one after the other, then ``closing``; the rows written."""
    from exactpwm.jobs.common import open_text

    rows = 0
    with open_text(output) as f:
        f.write(parts[0].settings["header"] + "\n")
        for p in parts:
            text = p.text.decode()
            f.write(text)
            rows += text.count("\n")
        f.write(closing)
    return rows


def _merge_fimo_text(opts: MergeOptions, found: Any, settings: dict, log: Log) -> int:
    """Parts of ``exactpwm fimo --text``: the stream one run writes (by motif, then scan order), to
    -o or stdout."""
    from exactpwm.jobs.common import open_text
    from exactpwm.scanning.fimo import MotifOrderWriter

    rows = found.hits
    if settings.get("skip_matched"):
        rows["matched"] = b""
    with open_text(opts.output) as f:
        w = MotifOrderWriter(cast(TextIO, f), settings["motif_names"], found.sequence_names, settings["alt_names"],
                             threads=opts.threads)
        w.write(rows)
        w.close()
    if int(settings.get("verbosity", 2)) >= 2:
        log(f"merged {len(opts.parts)} parts: {rows.size:,} hits")
    return int(rows.size)


def _merge_variants(opts: MergeOptions, parts: list, note: str | None, log: Log) -> int:
    """Parts of ``exactpwm variants``: their TSV lines one after the other, under the header."""

    skipped: dict[str, int] = {}
    for p in parts:
        for reason, n in p.settings["skipped"].items():
            skipped[reason] = skipped.get(reason, 0) + int(n)
    rows = _write_text_parts(opts.output, parts, f"# {note or 'exactpwm variants'}\n")
    for reason, n in skipped.items():
        log(f"exactpwm merge: {n} variants not scored ({reason})")
    log(f"merged {len(parts)} parts: {rows:,} rows")
    if parts[0].settings.get("vcf_out"):
        if not opts.vcf_out:
            log("exactpwm merge: the parts hold the annotations of --vcf-out: give --vcf-out FILE to write the VCF")
        else:
            from exactpwm.jobs.variants import notes_from_arrays
            from exactpwm.scanning.variants import write_notes_vcf

            notes = {r: e for p in parts for r, e in notes_from_arrays(p.arrays).items()}
            write_notes_vcf(parts[0].settings["vcf"], opts.vcf_out, notes)
            log(f"wrote {opts.vcf_out}")
    return rows


def _merge_fimo(opts: MergeOptions, found: Any, settings: dict, command: str, log: Log) -> int:
    """Parts of ``exactpwm fimo``: the cap on stored hits over all parts, q-values, the folder."""
    from exactpwm.jobs.fimo import write_fimo_folder
    from exactpwm.scanning.fimo import cap_stored, fimo_rows, warn_capped

    if settings.get("text"):
        return _merge_fimo_text(opts, found, settings, log)
    if opts.output in (None, "-"):
        raise OptionsError("these are parts of 'exactpwm fimo': give -o the output folder (fimo.tsv, fimo.gff)")
    cuts = dict(settings["cuts"])  # each motif's lowest cut over the parts
    found.hits = cap_stored(found.hits, int(settings["max_stored"]), cuts)
    rows = fimo_rows(found, qvalues=bool(settings["qvalues"]))
    verbose = int(settings.get("verbosity", 2)) >= 2
    if verbose:
        warn_capped(cuts, settings["motif_names"], int(settings["max_stored"]))
    paths = write_fimo_folder(opts.output, rows, settings["motif_names"], found.sequence_names,
                              settings["alt_names"], command, threads=opts.threads)
    if verbose:
        log(f"merged {len(opts.parts)} parts: wrote {paths[0]} and {paths[1]}: {rows.size:,} hits")
    return int(rows.size)
