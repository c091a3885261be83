"""Command-line interface: ``exactpwm <command>``.

Commands: demo, scan, convert, track, logo, compare, fimo (FIMO 5's command line, in
:mod:`exactpwm.app.fimo_cli`), variants (in :mod:`exactpwm.app.variants_cli`), info. Exit codes: 0 success,
1 runtime error (bad file, bad data), 2 usage error (bad arguments). Outputs
go to stdout or ``-o``; a path is written atomically and is never one of the inputs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
from pathlib import Path

import numpy as np

from exactpwm.io.files import unique_filenames


class UsageError(Exception):
    """Arguments that do not fit together; exit code 2."""


# ---------------------------------------------------------------- helpers

def _base(text: str) -> float:
    """A log base: 'e', '2', '10', ... (> 1)."""
    try:
        b = math.e if text.strip().lower() == "e" else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid base {text!r}: give a number > 1 or 'e'") from None
    if not (math.isfinite(b) and b > 1):
        raise argparse.ArgumentTypeError(f"invalid base {text!r}: the log base must be > 1")
    return b


def _number(name: str, **rules):
    """An argparse type for a numeric option: :func:`exactpwm.core._checks.check_number`'s rules
    (finite, in range, integer where integer), the same as the API's; errors name the option."""
    from exactpwm.core._checks import parse_number

    def parse(text: str):
        try:
            return parse_number(text, name, **rules)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


_probability = _number("p-value threshold", low=0, low_open=True, high=1)
_threads = _number("threads", low=0, integer=True)


def _command_line(argv: list[str]) -> str:
    return "exactpwm " + shlex.join(argv)


def _check_output(out: str | None, *inputs) -> None:
    """Refuse, before any work, an output path that is a folder, lies in a missing or read-only
    folder, or is one of the inputs (usage error, exit 2)."""
    from exactpwm.io.files import OutputPathError, check_output_path

    try:
        check_output_path(out, inputs)
    except OutputPathError as exc:
        raise UsageError(str(exc)) from None


def _check_outputs(outputs, *inputs) -> None:
    """:func:`_check_output` for all the outputs of one command at once: two of them naming the same
    file (existing or not) are refused too."""
    from exactpwm.io.files import OutputPathError, check_outputs

    try:
        check_outputs(outputs, inputs)
    except OutputPathError as exc:
        raise UsageError(str(exc)) from None


def _check_input(path: str | None) -> None:
    """An input file must exist and be readable before any output is started ('-' is stdin)."""
    if path in (None, "-") or str(path).startswith("jaspar:"):
        return
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"{path}: Permission denied")


def _open_out(out: str | None):
    """A context manager giving a text file: stdout for None/'-', else an atomic file."""
    from contextlib import nullcontext

    from exactpwm.io.files import atomic_output

    if out in (None, "-"):
        return nullcontext(sys.stdout)
    return atomic_output(out)


def _load_motifs(spec: str, fmt: str | None, select: list[str] | None, args=None):
    """A MotifSet from a motif file, 'jaspar:...' (pyjaspar), or a kernel file (converted exactly)."""
    from exactpwm.io.formats import read_motifs
    from exactpwm.io.kernels import KERNEL_EXTENSIONS

    if spec.startswith("jaspar:"):
        from exactpwm.io.formats.jaspardb import load_jaspar_spec

        ms = load_jaspar_spec(spec)
    elif spec.lower().endswith(KERNEL_EXTENSIONS):
        if args is None:
            raise UsageError(f"{spec} is a kernel file, not a motif file: convert it first "
                             f"(exactpwm convert {spec} --fit-base SEQUENCES.fa -o motifs.meme)")
        ms, _ = _kernels_to_motifs(spec, args)
    else:
        ms = read_motifs(spec, fmt)
    if select:
        ms = ms.select([n for item in select for n in item.split(",") if n])
    return ms


def _pseudocount(args, motifs, bg):
    """(motifs, pseudocount to scan with): --pseudocount when given, else None: the library's one
    default (0.1 as FIMO, none for the exact PWMs of kernels written by 'exactpwm convert')."""
    return motifs, args.pseudocount


def _background(args, motifs):
    """--uniform, --bgfile FILE, or (default, as FIMO) the motif file's background."""
    from exactpwm.core.matrices import as_background

    if args.uniform:
        return as_background(None)
    if args.bgfile:
        from exactpwm.io.formats.background import read_background_file

        return read_background_file(args.bgfile)
    return motifs.background


def _progress(args, path):
    from exactpwm.app.progress import Progress

    total = None
    if path not in (None, "-") and os.path.isfile(path):
        from exactpwm.io.fasta import compression

        with open(path, "rb") as f:
            if compression(f.read(6)) is None:
                total = os.path.getsize(path)  # bytes ~ bases (headers and newlines are ~2%)
    enabled = False if args.quiet else (True if args.progress else None)
    return Progress(total, enabled=enabled)


# ---------------------------------------------------------------- scan

def _cmd_scan(args: argparse.Namespace) -> int:
    from exactpwm.scanning.hits import HitWriter, write_maxima
    from exactpwm.scanning.maxima import sequence_maxima
    from exactpwm.scanning.plan import plan_scan
    from exactpwm.scanning.scan import iter_scan, scan

    _check_input(args.motifs)
    _check_input(args.sequences)
    _check_input(args.regions)
    _check_output(args.output, args.motifs, args.sequences, args.regions)
    sequences, coords = _scan_sequences(args)
    motifs = _load_motifs(args.motifs, args.motif_format, args.motif)
    bg = _background(args, motifs)
    motifs, pseudocount = _pseudocount(args, motifs, bg)
    common = dict(background=bg, base=args.base, pseudocount=pseudocount)
    single = len(motifs) > 0 and all(m.meta.get("strands") == "+" for m in motifs)  # MEME 'strands: +'
    strand = "+" if args.norc or single else "both"
    alts = [m.alt_name for m in motifs]
    note = _command_line(args.argv)
    progress = _progress(args, args.sequences if not args.regions else None)
    if args.dask:
        return _scan_dask(args, motifs, common, strand, progress)
    with progress:
        if args.format == "maxima":
            best = sequence_maxima(motifs, sequences, strand=strand, threads=args.threads,
                                   chunk_size=args.chunk_size, backend=args.backend, progress=progress, **common)
            if coords is not None:  # per region: the best window's start on its chromosome
                coords.shift_maxima(best)
            with _open_out(args.output) as f:
                write_maxima(f, best, [m.alt_name for m in motifs], motifs.widths, note)
            return 0
        if args.qvalues:  # q-values need every p-value: hold the hits
            hits = scan(motifs, sequences, pvalue=args.thresh if args.score is None else None,
                        score=args.score, strand=strand, qvalues=args.qvalues, threads=args.threads,
                        chunk_size=args.chunk_size, backend=args.backend, progress=progress, **common)
            hits.motif_alt_names = alts
            seq_names = hits.sequence_names
            if coords is not None:
                coords.map_rows(hits.rows, hits.sequence_names)
                seq_names = coords.names
            with _open_out(args.output) as f:
                w = HitWriter(f, args.format, hits.motif_names, seq_names, alts, note, threads=args.threads)
                w.write(hits.rows)
                w.close()
            return 0
        plan = plan_scan(motifs, pvalue=args.thresh if args.score is None else None, score=args.score,
                         threads=args.threads, **common)
        names: list[str] = []
        with _open_out(args.output) as f:
            w = HitWriter(f, args.format, plan.names, names if coords is None else coords.names, alts, note,
                          threads=args.threads)
            for rows, _ in iter_scan(plan, sequences, strand=strand, chunk_size=args.chunk_size,
                                     threads=args.threads, backend=args.backend, sequence_names=names,
                                     progress=progress):
                w.write(rows if coords is None else coords.map_rows(rows, names))
            w.close()
    return 0


def _scan_sequences(args):
    """(sequences to scan, GenomicCoordinates or None) for --regions / --parse-genomic-coord."""
    if not (args.regions or args.parse_genomic_coord):
        return args.sequences, None
    if args.dask:
        raise UsageError("--regions and --parse-genomic-coord report hits in genomic coordinates: they do not go "
                         "with --dask")
    from exactpwm.scanning.regions import GenomicCoordinates, read_bed, region_sequences

    if args.regions:  # maxima: one row per BED region (not merged), named chrom:start-end
        return (region_sequences(args.sequences, read_bed(args.regions), merge=args.format != "maxima"),
                GenomicCoordinates("ucsc"))
    return args.sequences, GenomicCoordinates(args.parse_genomic_coord)


def _scan_dask(args, motifs, common: dict, strand: str, progress) -> int:
    """scan --dask: partition files in the -o folder, one per chunk (and motif group)."""
    if args.format == "maxima" or args.qvalues:
        raise UsageError("--dask writes hits per partition: --format maxima and --qvalues are not supported with it")
    if args.output in (None, "-"):
        raise UsageError("--dask writes partition files: give -o a folder")
    if os.path.isfile(args.output):
        raise UsageError(f"--dask writes partition files into a folder, and {args.output} is a file")
    from exactpwm.scanning.distributed import close, connect, scan_distributed

    client = connect(args.dask)
    print(f"dask: {len(client.nthreads())} workers; dashboard {client.dashboard_link}", file=sys.stderr)
    try:
        with progress:
            res = scan_distributed(motifs, args.sequences, args.output, client=client,
                                   pvalue=args.thresh if args.score is None else None, score=args.score,
                                   strand=strand, chunk_size=args.chunk_size, motif_groups=args.motif_groups,
                                   format=args.format, threads=max(args.threads, 1), backend=args.backend,
                                   progress=progress, **common)
    finally:
        close(client)
    print(f"{res.n_hits:,} hits in {len(res.paths)} partitions under {args.output}/", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- convert

def _kernels_to_motifs(path: str, args):
    """(MotifSet of exact PWMs, offsets) from a kernel file, with the base given or fitted."""
    from exactpwm.interpret.convert import kernels_to_motifs

    names = [n.strip() for n in args.names.split(",")] if args.names else None
    conv = kernels_to_motifs(path, base=args.base, flip=args.flip, key=args.key, layout=args.layout,
                             bias_key=args.bias_key, use_bias=args.bias, batchnorm=getattr(args, "batchnorm", None),
                             bn_eps=getattr(args, "bn_eps", None), dilation=getattr(args, "dilation", 1),
                             fit_sequences=getattr(args, "fit_base", None), strand=getattr(args, "strand", "+"),
                             names=names, prefix=args.prefix, threads=getattr(args, "threads", 0))
    if conv.fit is not None:
        print(f"fitted base b = {float(conv.fit.base):.6g} (maximum likelihood, Eq. 2) over "
              f"{conv.fit.n_sequences} sequences", file=sys.stderr)
    else:
        print(f"base b = {args.base:.6g} (--base); any b > 1 is exact, larger b gives sharper PWMs: to read what a "
              "kernel learned, fit the maximum-likelihood b with --fit-base SEQUENCES.fa", file=sys.stderr)
    return conv.motifs, conv.offsets


def _cmd_convert(args: argparse.Namespace) -> int:
    from exactpwm.io.formats import FORMATS, format_from_name
    from exactpwm.io.kernels import KERNEL_EXTENSIONS

    _check_input(args.input)
    _check_input(args.fit_base)
    _check_outputs([args.output, args.offsets, args.equivalent], args.input, args.fit_base)
    if args.equivalent and not (args.input.lower().endswith((".pt", ".pth", ".ckpt"))
                                and args.equivalent.lower().endswith((".pt", ".pth"))):
        raise UsageError("--equivalent reads a PyTorch state_dict (.pt/.pth/.ckpt) and writes one (.pt/.pth)")
    if args.input.lower().endswith(KERNEL_EXTENSIONS):
        fmt = args.format or (format_from_name(args.output) if args.output not in (None, "-") else "meme")
        if fmt not in FORMATS:
            raise UsageError(f"cannot tell the motif format of {args.output!r}; give --format "
                             f"({', '.join(FORMATS)})")
        motifs, offsets = _kernels_to_motifs(args.input, args)
        matches = _match_known(motifs, args.match, args.threads) if args.match else {}
        if args.equivalent:
            _write_equivalent(args, float(motifs[0].meta["base"]))
        with _open_out(args.output) as f:
            FORMATS[fmt][1](motifs, f)
        report = sys.stderr if args.output in (None, "-") else sys.stdout
        b = motifs[0].meta["base"]
        print(f"{len(motifs)} kernels -> exact PWMs (base {b:.6g}, "
              f"{'convolution (flipped)' if args.flip else 'cross-correlation'}); "
              f"conv score = log_b P(window) + offset:", file=report)
        for m in motifs:
            known = f"\t{matches[m.name]}" if m.name in matches else ""
            print(f"  {m.name}\t{m.consensus()}\toffset {m.meta['offset']:.6g}{known}", file=report)
        if args.offsets:
            with _open_out(args.offsets) as f:
                f.write("motif\toffset\tbase\tflip\n")
                for m, o in zip(motifs, offsets):
                    f.write(f"{m.name}\t{o:.17g}\t{b:.17g}\t{int(args.flip)}\n")
        if args.output not in (None, "-"):
            print(f"wrote {args.output} ({fmt})", file=report)
        return 0
    return _motifs_to_kernels(args)


def _write_equivalent(args, base: float) -> None:
    """The state_dict with the first DNA convolution as a PWM layer (load it into the model with
    exactpwm.interpret.pwm_layer.load_equivalent)."""
    import torch

    from exactpwm.interpret.pwm_layer import equivalent_state_dict
    from exactpwm.io.files import atomic_output
    from exactpwm.io.kernels import load_kernels, read_state_dict

    key = load_kernels(args.input, args.key).key
    if not key.endswith(".weight"):
        raise UsageError(f"--equivalent needs the convolution's '<name>.weight' entry; the kernels are at {key!r}")
    state = {k: torch.from_numpy(v) for k, v in read_state_dict(args.input).items()}
    out = equivalent_state_dict(state, key[: -len(".weight")], base)
    with atomic_output(args.equivalent, "wb") as f:
        torch.save(out, f)
    print(f"wrote {args.equivalent}: the same network with {key[: -len('.weight')]!r} as a PWM layer "
          f"(base {base:.6g}); load it with exactpwm.interpret.pwm_layer.load_equivalent(model, path)",
          file=sys.stderr)


def _match_known(motifs, spec: str, threads: int) -> dict:
    """Name each converted kernel by its best significant match among ``spec`` (Tomtom's
    statistics, Pearson columns; E <= 0.1 and q <= 0.1): sets its alt name, returns a note each."""
    from exactpwm.interpret.tomtom import tomtom

    if not spec.startswith("jaspar:"):
        _check_input(spec)
    targets = _load_motifs(spec, None, None)
    best = tomtom(motifs, targets, threads=threads).best()
    notes = {}
    for r in best.rows:
        m, t = motifs[int(r["query"])], targets[int(r["target"])]
        label = f"{t.name} {t.alt_name}".strip()
        if r["evalue"] <= 0.1 and r["qvalue"] <= 0.1:
            m.alt_name = t.alt_name or t.name
            m.meta["match"] = f"{label} E={r['evalue']:.2g}"
            notes[m.name] = f"= {label} (E = {r['evalue']:.2g}, strand {r['strand'].decode()})"
        else:
            notes[m.name] = f"no significant match (best {label}, E = {r['evalue']:.2g})"
    return notes


def _motifs_to_kernels(args) -> int:
    """The inverse: a motif file -> kernels (.npy / .npz) whose conv scores are log_b P."""
    from exactpwm.core.transform import pwm_to_kernel
    from exactpwm.io.formats import FORMATS, format_from_name

    out = args.output
    motifs = _load_motifs(args.input, args.motif_format, None)
    if out in (None, "-") or not out.lower().endswith((".npy", ".npz")):
        fmt = args.format or (format_from_name(out) if out not in (None, "-") else "meme")
        if fmt not in FORMATS:
            raise UsageError(f"cannot tell the format of {out!r}: motifs are written as kernels (.npy/.npz) or as a "
                             f"motif file; give --format ({', '.join(FORMATS)})")
        if args.pseudocount:  # a motif file is rewritten as it is read, unless asked
            motifs = motifs.with_pseudocount(args.pseudocount)
        with _open_out(out) as f:
            FORMATS[fmt][1](motifs, f)
        print(f"{len(motifs)} motifs ({args.input}) -> {fmt}" + ("" if out in (None, "-") else f"; wrote {out}"),
              file=sys.stderr)
        return 0
    pseudocount = args.pseudocount
    if pseudocount is None:
        zero = [m.name for m in motifs if (m.pwm <= 0).any()]
        pseudocount = 0.1 if zero else 0.0
        if zero:
            print(f"exactpwm convert: note: {len(zero)} motifs have zero probabilities, which have no finite kernel "
                  f"weight: pseudocount 0.1 added to them all (--pseudocount to choose): {', '.join(zero[:5])}"
                  f"{', ...' if len(zero) > 5 else ''}", file=sys.stderr)
    pwms = motifs.pwms(pseudocount)
    L = max(motifs.widths)
    if out.lower().endswith(".npy") and len(set(motifs.widths)) > 1:
        raise UsageError(f"motifs of widths {sorted(set(motifs.widths))} do not fit one array; write .npz "
                         "(kernels zero-padded on the right, widths stored)")
    kernels = np.zeros((len(pwms), 4, L))
    for i, p in enumerate(pwms):
        k, _ = pwm_to_kernel(p, args.base, flip=args.flip)
        if args.flip:  # true convolution: pad on the left so the motif stays aligned to its end
            kernels[i, :, L - p.shape[1]:] = k
        else:
            kernels[i, :, : p.shape[1]] = k
    from exactpwm.io.files import atomic_output

    with atomic_output(out, "wb") as f:
        if out.lower().endswith(".npy"):
            np.save(f, kernels)
        else:
            np.savez(f, kernels=kernels, widths=np.array(motifs.widths), names=np.array(motifs.names),
                     base=args.base, flip=args.flip)
    print(f"{len(pwms)} motifs -> kernels {kernels.shape} (base {args.base:.6g}); wrote {out}")
    return 0


# ---------------------------------------------------------------- track

def _cmd_track(args: argparse.Namespace) -> int:
    from exactpwm.scanning.tracks import score_tracks

    _check_input(args.motifs)
    _check_input(args.sequences)
    motifs = _load_motifs(args.motifs, args.motif_format, args.motif)
    if len(motifs) > 1 and args.output in (None, "-"):
        raise UsageError(f"{len(motifs)} motifs: choose one with --motif, or give -o a folder for one file each")
    bw = args.output is not None and args.output.lower().endswith((".bw", ".bigwig"))
    if len(motifs) > 1 and bw:
        raise UsageError("bigWig holds one track: choose one motif with --motif")
    if len(motifs) > 1 and args.output.lower().endswith(_TRACK_FILE_EXTENSIONS):
        raise UsageError(f"-o {args.output} names one file, but {len(motifs)} motifs give one track each: "
                         "choose one with --motif, or give -o a folder name (one .bedGraph per motif)")
    if len(motifs) == 1 or bw:
        _check_output(args.output, args.motifs, args.sequences)
    bg = _background(args, motifs)
    if len(motifs) == 1:
        paths = [args.output]
    else:
        _make_folder(args.output, f"with {len(motifs)} motifs -o names a folder for one bedGraph each")
        paths = [os.path.join(args.output, f"{n}.bedGraph") for n in unique_filenames(motifs.names)]
        for p in paths:
            _check_output(p, args.motifs, args.sequences)
    strand = {"both": "both", "+": "+", "-": "-"}[args.strand]
    motifs, args.pseudocount = _pseudocount(args, motifs, bg)
    if args.dask:
        return _track_dask(args, motifs, bg, strand)
    tracks = score_tracks(motifs, args.sequences, background=bg, base=args.base, pseudocount=args.pseudocount,
                          strand=strand, threads=args.threads, chunk_size=args.chunk_size,
                          progress=_progress(args, args.sequences) if not bw else None)
    if bw:
        return _write_bigwig(args, tracks)
    from contextlib import ExitStack

    from exactpwm.scanning.tracks import best_strand, write_bedgraph

    with ExitStack() as stack:
        files = [stack.enter_context(_open_out(p)) for p in paths]
        for f, m in zip(files, motifs):
            f.write(f'track type=bedGraph name="{m.name}" description="exactpwm {m.name} '
                    f'{"best strand " if strand == "both" else ""}score at window start"\n')
        for name, start, idx, scores in tracks:
            vals = best_strand(scores, strand)
            for row, k in enumerate(idx):
                write_bedgraph(files[k], name, start, vals[row])
    for p in paths:
        if p not in (None, "-"):
            print(f"wrote {p}", file=sys.stderr)
    return 0


_TRACK_FILE_EXTENSIONS = (".bedgraph", ".bdg", ".bg", ".wig", ".bw", ".bigwig", ".txt", ".tsv", ".gz")


def _track_dask(args, motifs, bg, strand: str) -> int:
    if args.output in (None, "-") or args.output.lower().endswith((".bw", ".bigwig", ".bedgraph")):
        raise UsageError("--dask writes bedGraph partitions: give -o a folder")
    from exactpwm.scanning.distributed import close, connect, tracks_distributed

    client = connect(args.dask)
    try:
        folders = tracks_distributed(motifs, args.sequences, args.output, client=client, strand=strand,
                                     chunk_size=args.chunk_size, background=bg, base=args.base,
                                     pseudocount=args.pseudocount, threads=max(args.threads, 1),
                                     progress=_progress(args, args.sequences))
    finally:
        close(client)
    for d in folders:
        print(f"wrote {d}/part-*.bedGraph (concatenate in name order for one track)", file=sys.stderr)
    return 0


def _write_bigwig(args, tracks) -> int:
    from exactpwm.io.fasta import sequence_lengths
    from exactpwm.scanning.tracks import write_bigwig

    write_bigwig(args.output, tracks, sequence_lengths(args.sequences), args.strand)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _make_folder(path: str, why: str) -> None:
    """Create the output folder ``path``; a usage error if a file is already there."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{path} exists and is not a folder: {why}")
    os.makedirs(path, exist_ok=True)


# ---------------------------------------------------------------- logo

def _cmd_logo(args: argparse.Namespace) -> int:
    from exactpwm.interpret.logo import save_logo

    _check_input(args.fit_base)
    motifs = _load_motifs(args.motifs, args.motif_format, args.motif, args)
    _make_folder(args.outdir, "-o names the folder for the logos")
    for m, fname in zip(motifs, unique_filenames(motifs.names)):
        path = os.path.join(args.outdir, f"{fname}.{args.format}")
        _check_output(path, args.motifs)
        save_logo(m, path, mode=args.mode, background=None if args.uniform else motifs.background)
        print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------- compare

def _cmd_compare(args: argparse.Namespace) -> int:
    from exactpwm.interpret.tomtom import tomtom

    for path in (args.query, args.targets):
        if not path.startswith("jaspar:"):
            _check_input(path)
    _check_input(args.fit_base)
    _check_output(args.output, args.query, args.targets)
    if args.logos:
        _make_folder(args.logos, "--logos names a folder for the aligned logos")
    queries = _load_motifs(args.query, args.motif_format, args.motif, args)
    targets = _load_motifs(args.targets, None, None, args)
    if (args.query.startswith("jaspar:") and not args.targets.startswith("jaspar:")) or \
            (len(queries) >= 50 and len(queries) >= 10 * len(targets)):
        print(f"exactpwm compare: note: {len(queries)} query motifs ({args.query}) against {len(targets)} targets "
              f"({args.targets}): were the arguments swapped? The order is 'compare QUERIES TARGETS', e.g. "
              "'compare learned.meme jaspar:'", file=sys.stderr)
    result = tomtom(queries, targets, dist=args.dist, min_overlap=args.min_overlap, both_strands=not args.norc,
                    pseudocount=args.motif_pseudo, background=_compare_background(args, queries),
                    threads=args.threads)
    shown = result.significant(args.thresh, "evalue" if args.evalue else "qvalue")
    command = "exactpwm " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("exactpwm") else None
    shown.write_tsv(sys.stdout if args.output in (None, "-") else args.output, command=command)
    if args.logos:
        _write_match_logos(args.logos, shown.best(), queries, targets, args.logo_format)
    if args.output not in (None, "-"):
        print(f"wrote {args.output}: {len(shown)} matches of {len(queries)} queries against {len(targets)} targets "
              f"({'E' if args.evalue else 'q'} <= {args.thresh:g})", file=sys.stderr)
    return 0


def _compare_background(args, queries):
    if args.uniform:
        return None if queries.background is None else [0.25] * 4
    if args.bgfile:
        from exactpwm.io.formats.background import read_background_file

        return read_background_file(args.bgfile)
    return None


def _write_match_logos(folder: str, best, queries, targets, fmt: str) -> None:
    """One aligned query/target logo per query: its best match."""
    from exactpwm.interpret.logo import save_alignment_logo

    names = unique_filenames([best.query_names[q] for q in best.rows["query"]])
    for r, fname in zip(best.rows, names):
        path = os.path.join(folder, f"{fname}.{fmt}")
        save_alignment_logo(queries[int(r["query"])], targets[int(r["target"])], int(r["offset"]),
                            r["strand"].decode(), path)
        print(f"wrote {path}", file=sys.stderr)


# ---------------------------------------------------------------- demo, info

def _cmd_demo(args: argparse.Namespace) -> int:
    from exactpwm.app import demo

    summary = demo.run(Path(args.outdir), length=args.length, base=args.base, threads=args.threads,
                       seed=args.seed)
    return 0 if summary["theorem1_max_abs_error"] < 1e-6 else 1


def _cmd_info(args: argparse.Namespace) -> int:
    from exactpwm import __version__
    from exactpwm.core.backends import backends

    print(json.dumps({"version": __version__, **backends()}, indent=2))
    return 0


# ---------------------------------------------------------------- parser

def _add_motif_args(p, what: str = "motifs") -> None:
    p.add_argument("--motif-format", choices=["meme", "jaspar", "pfm", "transfac", "homer"],
                   help="motif file format (default: from the extension, else the content)")
    p.add_argument("--motif", action="append", metavar="ID",
                   help=f"use only these {what} (id or alt name; repeat or comma-separate)")


def _add_model_args(p) -> None:
    p.add_argument("--base", type=_base, default=math.e, help="log base b > 1 or 'e' (default: e)")
    p.add_argument("--flip", action="store_true",
                   help="kernels are applied by true convolution (the paper), not cross-correlation "
                        "(PyTorch/Keras, the default)")
    p.add_argument("--key", help="the array / state_dict entry / HDF5 dataset holding the kernels "
                                 "(default: the first Conv1d weight over 4 channels)")
    p.add_argument("--bias-key", help="the entry holding the bias (default: the one beside the kernels)")
    p.add_argument("--no-bias", dest="bias", action="store_false",
                   help="leave the bias out of the offsets")
    p.add_argument("--layout", choices=["torch", "keras", "paper"],
                   help="kernel layout: torch (K,4,L), keras (L,4,K), paper (4,L) (default: torch; keras for .h5)")
    p.add_argument("--dilation", type=_number("--dilation", low=1, integer=True), default=1,
                   help="the convolution's dilation: PWMs get uniform columns between the kernel's (default 1)")
    p.add_argument("--batchnorm", metavar="PREFIX",
                   help="fold the eval-mode BatchNorm named PREFIX (e.g. '1' for '1.running_mean' in a "
                        "state_dict, or a Keras layer name) into the kernels and bias first")
    p.add_argument("--bn-eps", type=_number("--bn-eps", low=0, low_open=True),
                   help="BatchNorm eps (default: 1e-5 PyTorch, 1e-3 Keras)")
    p.add_argument("--names", help="comma-separated motif names for the kernels")
    p.add_argument("--prefix", default="kernel", help="motif names prefix (default: %(default)s)")


def _add_scoring_args(p) -> None:
    bg = p.add_mutually_exclusive_group()
    bg.add_argument("--bgfile", help="0-order background file (MEME format: 'A 0.3' lines); "
                                     "default: the motif file's background")
    bg.add_argument("--uniform", action="store_true", help="use a uniform background")
    p.add_argument("--pseudocount", type=_number("--pseudocount", low=0), default=None,
                   help="pseudocount added to each motif column, spread by the background, on counts "
                        "(or probabilities x nsites) as FIMO's --motif-pseudo (default: 0.1; 0 for the exact "
                        "PWMs of kernels written by 'exactpwm convert', which then scan exactly)")
    p.add_argument("--base", type=_base, default=2.0, help="log base of the log-odds scores (default: 2, bits)")
    p.add_argument("-j", "--threads", type=_threads, default=0, help="threads (default 0 = all cores)")
    p.add_argument("--chunk-size", type=_number("--chunk-size", low=1, integer=True), default=1 << 23,
                   help="bases per engine call / Dask task (default: %(default)s)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: a scheduler address, or local:N for "
                                                     "N local worker processes; outputs go to partition files in -o")
    p.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    shown.add_argument("--progress", action="store_true", help="show progress even when stderr is not a terminal")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exactpwm", description="Exact CNN kernel <-> PWM transformation and fast motif scanning.",
        epilog="Coordinates: BED 0-based half-open; TSV (FIMO), GFF3 and maxima 1-based inclusive. "
               "Windows containing N are never hits.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    p = sub.add_parser("demo", help="run the built-in example: a CNN's kernels -> exact PWMs -> logos -> genome scan")
    p.add_argument("-o", "--outdir", default="exactpwm-demo", help="output folder (default: %(default)s)")
    p.add_argument("--length", type=_number("--length", low=1000, integer=True),
                   default=5_000_000, help="example genome length in bp (default: 5 Mbp)")
    p.add_argument("--base", type=_base, default=None,
                   help="logarithm base b > 1 or 'e' (default: fitted by maximum likelihood)")
    p.add_argument("-j", "--threads", type=_threads, default=0, help="threads, 0 = all cores")
    p.add_argument("--seed", type=_number("--seed", low=0, integer=True), default=1)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("scan", help="find motif occurrences in FASTA (FIMO-like)",
                       description="Scan sequences with motifs; hits where p <= --thresh (or score >= --score).")
    p.add_argument("motifs", help="motif file (MEME, JASPAR, PFM, TRANSFAC, HOMER; gz ok) or "
                                  "'jaspar:[RELEASE,][IDS,][TAXON]' (needs pyjaspar)")
    p.add_argument("sequences", help="FASTA file (plain, .gz, .xz, .bz2) or '-' for stdin")
    _add_motif_args(p)
    th = p.add_mutually_exclusive_group()
    th.add_argument("--thresh", type=_probability, default=1e-4, help="p-value threshold (default: %(default)g)")
    th.add_argument("--score", type=_number("--score"), help="score threshold instead of a p-value")
    p.add_argument("--norc", action="store_true", help="scan the given strand only")
    p.add_argument("--qvalues", nargs="?", const="motif", choices=["motif", "pooled"],
                   help="add q-values: per motif over its window tests (the default, as FIMO reports them) or "
                        "pooled over all motifs; holds all hits in memory")
    p.add_argument("--motif-groups", type=_number("--motif-groups", low=1, integer=True), default=1,
                   help="with --dask: split the motifs into this many groups")
    p.add_argument("--regions", metavar="BED",
                   help="scan only these regions of the sequences, an indexed genome FASTA (plain or bgzip, with "
                        ".fai; needs pysam); overlapping regions are merged; hits in genomic coordinates")
    p.add_argument("--parse-genomic-coord", nargs="?", const="ucsc", choices=["ucsc", "bed"],
                   help="read 'chr:start-end' sequence names as genomic coordinates and report hits on the "
                        "chromosomes: ucsc (default; 1-based start, as UCSC and FIMO) or bed (0-based start, as "
                        "bedtools getfasta writes)")
    p.add_argument("--format", choices=["tsv", "bed", "gff", "maxima"], default="tsv",
                   help="tsv: FIMO-compatible (default); bed: BED6; gff: GFF3; maxima: best window per sequence")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    _add_scoring_args(p)
    p.set_defaults(func=_cmd_scan)

    p = sub.add_parser("convert", help="kernels -> exact PWMs (any motif format), or motifs -> kernels",
                       description="Kernels (.npy/.npz/.pt/.h5/.keras) -> PWMs with conv = log_b P + offset; "
                                   "or a motif file -> kernels (.npy/.npz).")
    p.add_argument("input", help="kernel file, or a motif file for the inverse direction")
    p.add_argument("-o", "--output",
                   help="output (motif file by extension, .npy/.npz for kernels; default stdout MEME)")
    p.add_argument("--format", choices=["meme", "jaspar", "pfm", "transfac", "homer"], help="output motif format")
    _add_model_args(p)
    p.add_argument("--fit-base", metavar="FASTA", help="fit b by maximum likelihood on these sequences")
    p.add_argument("--strand", choices=["+", "both"], default="+",
                   help="with --fit-base: the model scans one strand or both (default: %(default)s)")
    p.add_argument("--offsets", metavar="TSV", help="also write each PWM's offset to this file")
    p.add_argument("--equivalent", metavar="OUT.pt",
                   help="PyTorch input: also write the state_dict with the first convolution as a PWM layer "
                        "(the same outputs; load with exactpwm.interpret.pwm_layer.load_equivalent)")
    p.add_argument("--match", metavar="TARGETS",
                   help="name each PWM by its best significant match in a motif file or 'jaspar:' "
                        "(Tomtom's statistics; E <= 0.1 and q <= 0.1), written as its alternate name")
    p.add_argument("--pseudocount", type=_number("--pseudocount", low=0), default=None,
                   help="motif input: pseudocount on counts before turning PWMs into kernels (default: none when "
                        "every probability is > 0, so MEME -> kernels -> MEME is exact; else 0.1, as FIMO)")
    p.add_argument("--motif-format", choices=["meme", "jaspar", "pfm", "transfac", "homer"], help=argparse.SUPPRESS)
    p.add_argument("-j", "--threads", type=_threads, default=0, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("track", help="score tracks (bedGraph, or bigWig with pyBigWig)",
                       description="Window scores at every position: bedGraph (value at the window start; "
                                   "with both strands, the better one), N windows left out.")
    p.add_argument("motifs", help="motif file or 'jaspar:...'")
    p.add_argument("sequences", help="FASTA file or '-'")
    _add_motif_args(p)
    p.add_argument("--strand", choices=["both", "+", "-"], default="both", help="strand(s) (default: both, max)")
    p.add_argument("-o", "--output", help="file (.bedGraph, .bw), a folder for several motifs, or stdout")
    _add_scoring_args(p)
    p.set_defaults(func=_cmd_track)

    p = sub.add_parser("logo", help="sequence logos (PNG, SVG, PDF) of motifs or converted kernels")
    p.add_argument("motifs", help="motif file, 'jaspar:...', or a kernel file (converted with --base/--flip)")
    p.add_argument("-o", "--outdir", default="logos", help="output folder (default: %(default)s)")
    p.add_argument("--format", choices=["png", "svg", "pdf"], default="png")
    p.add_argument("--mode", choices=["information", "probability"], default="information")
    p.add_argument("--uniform", action="store_true", help="information against a uniform background")
    p.add_argument("--fit-base", metavar="FASTA", help="kernel files: fit b by maximum likelihood on these "
                                                       "sequences (recommended to read what a kernel learned)")
    p.add_argument("--strand", choices=["+", "both"], default="+",
                   help="with --fit-base: the model scans one strand or both (default: %(default)s)")
    _add_motif_args(p)
    _add_model_args(p)
    p.set_defaults(func=_cmd_logo)

    p = sub.add_parser("compare", help="which known motif is it? Tomtom's motif comparison (TSV as tomtom -text)",
                       description="Compare query motifs (or kernels, converted exactly) with target motifs using "
                                   "Tomtom's method and statistics; writes Tomtom's TSV.")
    p.add_argument("query", help="motif file, 'jaspar:...', or a kernel file (converted with --base or --fit-base)")
    p.add_argument("targets", help="motif file or 'jaspar:[RELEASE,][IDS,][TAXON]' (e.g. 'jaspar:' for the "
                                   "JASPAR CORE vertebrates; needs pyjaspar)")
    p.add_argument("-o", "--output", help="TSV file (default: stdout)")
    p.add_argument("--thresh", type=_number("--thresh", low=0), default=0.5,
                   help="report matches with q-value (or E-value with --evalue) <= this (default: %(default)g)")
    p.add_argument("--evalue", action="store_true", help="threshold on E-values instead of q-values")
    p.add_argument("--dist", choices=["ed", "pearson", "sandelin", "kullback", "allr"], default="pearson",
                   help="column similarity (default: pearson; tomtom's own default is ed, which lets the "
                        "near-uniform flanks of learned PWMs match long low-information targets)")
    p.add_argument("--min-overlap", type=_number("--min-overlap", low=1, integer=True), default=1,
                   help="fewest aligned columns (default: %(default)s)")
    p.add_argument("--norc", action="store_true", help="do not try the targets reverse-complemented")
    p.add_argument("--motif-pseudo", type=_number("--motif-pseudo", low=0), default=0.1,
                   help="pseudocount added to every motif's counts, spread by the background (default: %(default)g)")
    bgc = p.add_mutually_exclusive_group()
    bgc.add_argument("--bgfile", help="0-order background file (default: the query file's, made strand-symmetric)")
    bgc.add_argument("--uniform", action="store_true", help="uniform background")
    p.add_argument("--logos", metavar="DIR", help="write each query's best match as aligned logos into DIR")
    p.add_argument("--logo-format", choices=["png", "svg", "pdf"], default="png")
    p.add_argument("--fit-base", metavar="FASTA", help="kernel queries: fit b by maximum likelihood on these")
    p.add_argument("--strand", choices=["+", "both"], default="+", help=argparse.SUPPRESS)
    p.add_argument("-j", "--threads", type=_threads, default=0, help="threads (default 0 = all cores)")
    _add_motif_args(p, "query motifs")
    _add_model_args(p)
    p.set_defaults(func=_cmd_compare)

    from exactpwm.app import fimo_cli, variants_cli

    fimo_cli.add_parser(sub)
    variants_cli.add_parser(sub)

    p = sub.add_parser("info", help="print the version, compiled backends and CPU features")
    p.set_defaults(func=_cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["fimo"]:
        from exactpwm.app.fimo_cli import join_option_values

        argv = join_option_values(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    import warnings

    def show_warning(message, category, filename, lineno, file=None, line=None):
        print(f"exactpwm {args.command}: warning: {message}", file=sys.stderr)

    warnings.showwarning = show_warning
    from exactpwm.io.fasta import FastaError
    from exactpwm.io.formats import MotifFormatError

    try:
        return args.func(args)
    except UsageError as exc:
        parser.exit(2, f"exactpwm {args.command}: error: {exc}\n")
    except BrokenPipeError:  # e.g. '| head': stop quietly
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"exactpwm {args.command}: interrupted", file=sys.stderr)
        return 130
    except (MotifFormatError, FastaError, ValueError, TypeError, KeyError, OSError, ImportError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        if isinstance(exc, OSError) and exc.strerror and exc.filename is None:
            msg = exc.strerror  # our own (errno, message) errors: the message names the path
        print(f"exactpwm {args.command}: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    # run the imported module's main, not this __main__ copy's: the subcommand modules import
    # exactpwm.app.cli, and their UsageError must be the one main() catches
    from exactpwm.app.cli import main as _main

    sys.exit(_main())
