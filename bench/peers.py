"""Peer benchmark: exactpwm against MOODS, lightmotif, memelite (hits) and torch (dense scores).

    pip install ".[peers]"        # MOODS-python, lightmotif, memelite, pyjaspar, torch==2.13.0
    python bench/peers.py --genome random:10e6 --motifs 100
    python bench/peers.py --genome random:100e6 --motifs 100 --skip memelite
    python bench/peers.py --genome kleb            # Debian's kleborate-examples, Kp1084 chromosome
    python bench/peers.py --genome peaks:50000x400 # a peak set: 50,000 seeded 400-bp sequences
    python bench/peers.py --genome kleb-tiles:400  # the Kp1084 chromosome cut into 400-bp tiles
    python bench/peers.py --genome random:100e6 --cli --float --load

Workloads users run, every tool in one run, ratios printed: one long genome or many short
sequences (one FASTA record each; MOODS and lightmotif are called once per record from Python,
memelite reads the FASTA itself). ``--cli`` adds exactpwm's command line writing TSV and BED
files end to end (reading included) against the API scan of the same FASTA file. ``--float``
adds the unquantized float64 path (a MOODS user's own matrices and thresholds, ``step=None``)
against the quantized path and MOODS. ``--load`` times default threads against ``-j 1`` while
two busy processes keep both cores loaded.

Same inputs for every tool: JASPAR 2024 CORE vertebrate motifs of width >= 7
(counts + pseudocount 1, spread uniformly), log2-odds against a uniform
background, quantized to multiples of 2**-10 (so every window score is exact in
float32 and float64), and the same score thresholds, from exactpwm's exact
p-value DP at --pvalue; both strands. Each tool runs in its own subprocess, so
peak RSS is its own; times exclude reading the FASTA (reported apart) but
include each tool's own preparation. memelite and the exactpwm API rows get one untimed call on a
tiny sequence first (numba compiles memelite's kernels; exactpwm loads its scanner's modules and
starts its threads); the CLI rows and the API scan of the file are timed cold. memelite computes its own thresholds from
its own p-value bins and pseudocount, so its hit set differs by construction.

Throughput = bases x motifs x 2 strands / scan seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
from kleb import open_kleb

TOOLS = ["exactpwm", "moods", "lightmotif", "memelite"]


# ----------------------------------------------------------------------------- inputs

def jaspar_motifs(n: int, min_width: int = 7):
    from pyjaspar import jaspardb

    motifs = jaspardb(release="JASPAR2024").fetch_motifs(collection="CORE", tax_group=["vertebrates"])
    motifs = sorted((m for m in motifs if m.length >= min_width), key=lambda m: m.matrix_id)[:n]
    names = [f"{m.matrix_id}.{m.name}" for m in motifs]
    counts = [np.array([m.counts[b] for b in "ACGT"], dtype=np.float64) for m in motifs]
    return names, counts


def prepare(workdir: str, genome: str, n_motifs: int, pvalue: float) -> dict:
    import exactpwm

    names, counts = jaspar_motifs(n_motifs)
    pwms = [exactpwm.counts_to_pwm(c, pseudocount=1.0) for c in counts]
    mats = exactpwm.score_matrices(pwms)
    thresholds = [exactpwm.ScoreDistribution(m).threshold(pvalue) for m in mats]
    np.savez(os.path.join(workdir, "motifs.npz"), *mats, thresholds=np.array(thresholds),
             names=np.array(names))
    np.savez(os.path.join(workdir, "pwms.npz"), *pwms)
    np.savez(os.path.join(workdir, "float.npz"), *exactpwm.score_matrices(pwms, step=None))  # unquantized
    exactpwm.write_motifs(exactpwm.MotifSet([exactpwm.Motif(n, p) for n, p in zip(names, pwms)]),
                          os.path.join(workdir, "motifs.meme"))
    fa = os.path.join(workdir, "genome.fa")
    if genome == "kleb":
        with open_kleb("rb") as src, open(fa, "wb") as dst:
            dst.write(src.read())
    elif genome.startswith("kleb-tiles:"):
        tile = int(genome.split(":", 1)[1])
        with open_kleb("rt") as src:
            chrom = next(_records(src))[1]  # the chromosome: the first record
        with open(fa, "w") as f:
            for i in range(0, len(chrom) - tile + 1, tile):
                f.write(f">tile{i // tile}:{i}-{i + tile}\n{chrom[i:i + tile]}\n")
    elif genome.startswith("peaks:"):
        count, length = (int(float(x)) for x in genome.split(":", 1)[1].split("x"))
        rng = np.random.default_rng(count * 1000 + length)
        letters = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, size=(count, length), dtype=np.uint8)]
        with open(fa, "wb") as f:
            for i in range(count):
                f.write(b">peak%d\n" % i + letters[i].tobytes() + b"\n")
    else:
        length = int(float(genome.split(":", 1)[1]))
        codes = np.random.default_rng(length).integers(0, 4, size=length, dtype=np.uint8)
        with open(fa, "wb") as f:
            f.write(b">random\n")
            letters = np.frombuffer(b"ACGT", np.uint8)[codes].tobytes()
            for i in range(0, length, 1 << 20):
                f.write(letters[i:i + (1 << 20)])
            f.write(b"\n")
    size = sum(len(s) for _, s in read_plain(fa))
    return {"motifs": len(mats), "bases": size, "widths": [m.shape[1] for m in mats]}


def read_plain(path):
    """(name, uppercase str) records; the timed part of each tool starts from these."""
    with open(path) as f:
        yield from _records(f)


def _records(lines):
    name, parts = None, []
    for line in lines:
        if line.startswith(">"):
            if name is not None:
                yield name, "".join(parts).upper()
            name, parts = line[1:].split()[0], []
        else:
            parts.append(line.strip())
    if name is not None:
        yield name, "".join(parts).upper()


def load_motifs(workdir):
    z = np.load(os.path.join(workdir, "motifs.npz"))
    mats = [z[f"arr_{i}"] for i in range(len(z["names"]))]
    return mats, z["thresholds"], list(z["names"])


# ----------------------------------------------------------------------------- tools
# Each returns (prepare_seconds, scan_seconds, hits) with hits an (H, 4) int64 array
# of (record, motif, start, strand +1/-1), start 0-based on the forward strand of the record.

def _warm_exactpwm(mats, thr, threads, **options):
    """One untimed scan of a tiny sequence, as memelite gets one (numba compiles its kernels then):
    the first call loads the scanner's modules (lazy imports) and starts the thread pool."""
    import exactpwm

    exactpwm.scan(mats, {"w": exactpwm.encode("ACGT" * 100)}, mode="matrix", score=thr, threads=threads, **options)


def run_exactpwm(workdir, threads):
    import exactpwm

    mats, thr, _ = load_motifs(workdir)
    _warm_exactpwm(mats, thr, threads)
    seqs = {n: s for n, s in read_plain(os.path.join(workdir, "genome.fa"))}
    t0 = time.perf_counter()
    codes = {n: exactpwm.encode(s) for n, s in seqs.items()}
    t1 = time.perf_counter()
    table = exactpwm.scan(mats, codes, mode="matrix", score=thr, threads=threads)
    t2 = time.perf_counter()
    r = table.rows
    hits = np.stack([r["sequence"], r["motif"], r["start"], np.where(r["strand"] == b"+", 1, -1)], axis=1)
    return t1 - t0, t2 - t1, hits


def run_moods(workdir, threads, mats=None):
    import MOODS.scan
    import MOODS.tools

    quantized, thr, _ = load_motifs(workdir)
    mats = quantized if mats is None else mats
    seqs = [s for _, s in read_plain(os.path.join(workdir, "genome.fa"))]
    t0 = time.perf_counter()
    fwd = [[list(map(float, row)) for row in m] for m in mats]
    matrices = fwd + [MOODS.tools.reverse_complement(m) for m in fwd]
    thresholds = list(map(float, thr)) * 2
    scanner = MOODS.scan.Scanner(7)  # prepared once, then one call per record
    scanner.set_motifs(matrices, [0.25] * 4, thresholds)
    t1 = time.perf_counter()
    K = len(mats)
    out = []
    for rec, s in enumerate(seqs):
        results = scanner.scan(s)
        for i, res in enumerate(results):
            k, sign = (i, 1) if i < K else (i - K, -1)
            out.extend((rec, k, r.pos, sign) for r in res)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, np.array(out, dtype=np.int64).reshape(-1, 4)


def run_lightmotif(workdir, threads):
    import lightmotif

    mats, thr, _ = load_motifs(workdir)
    seqs = [s for _, s in read_plain(os.path.join(workdir, "genome.fa"))]
    t0 = time.perf_counter()
    pssms = [lightmotif.ScoringMatrix({b: list(map(float, m[i])) for i, b in enumerate("ACGT")}) for m in mats]
    striped = [lightmotif.stripe(s) for s in seqs]
    t1 = time.perf_counter()
    out = []
    for rec, st in enumerate(striped):
        for k, (p, t) in enumerate(zip(pssms, thr)):
            t32 = float(np.nextafter(np.float32(t), np.float32(-np.inf))) if np.float32(t) > t else float(t)
            for sign, m in ((1, p), (-1, p.reverse_complement())):
                out.extend((rec, k, h.position, sign) for h in lightmotif.scan(m, st, threshold=t32) if h.score >= t)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, np.array(out, dtype=np.int64).reshape(-1, 4)


def run_memelite(workdir, threads):
    from memelite import fimo

    z = np.load(os.path.join(workdir, "pwms.npz"))
    _, _, names = load_motifs(workdir)
    motifs = {n: z[f"arr_{i}"] for i, n in enumerate(names)}
    index = {n: i for i, n in enumerate(names)}
    warm = os.path.join(workdir, "warm.fa")  # numba compiles memelite's kernels on the first call: not timed
    with open(warm, "w") as f:
        f.write(">w\n" + "ACGT" * 100 + "\n")
    fimo(motifs, warm, threshold=1e-4)
    t1 = time.perf_counter()
    frames = fimo(motifs, os.path.join(workdir, "genome.fa"), threshold=1e-4)
    t2 = time.perf_counter()
    records = {n: i for i, (n, _) in enumerate(read_plain(os.path.join(workdir, "genome.fa")))}
    out = []
    for df in frames:
        for seq, name, start, strand in zip(df["sequence_name"], df["motif_name"], df["start"], df["strand"]):
            out.append((records[seq], index[name], int(start), 1 if strand == "+" else -1))
    return 0.0, t2 - t1, np.array(out, dtype=np.int64).reshape(-1, 4)


def run_exactpwm_float(workdir, threads, step="auto"):
    """The user's own float matrices and thresholds, by default (``step="auto"``: the exact
    float64 path for matrices off the grid)."""
    import exactpwm

    _, thr, _ = load_motifs(workdir)
    z = np.load(os.path.join(workdir, "float.npz"))
    mats = [z[f"arr_{i}"] for i in range(len(thr))]
    codes = {n: exactpwm.encode(s) for n, s in read_plain(os.path.join(workdir, "genome.fa"))}
    _warm_exactpwm(mats, thr, threads, step=step)
    t = time.perf_counter()
    table = exactpwm.scan(mats, codes, mode="matrix", score=thr, step=step, threads=threads)
    dt = time.perf_counter() - t
    r = table.rows
    return 0.0, dt, np.stack([r["sequence"], r["motif"], r["start"], np.where(r["strand"] == b"+", 1, -1)], axis=1)


def run_exactpwm_float_grid(workdir, threads):
    """The same float matrices on the 2**-10 grid: the default before it became exact."""
    return run_exactpwm_float(workdir, threads, step=2.0 ** -10)


def run_moods_float(workdir, threads):
    z = np.load(os.path.join(workdir, "float.npz"))
    return run_moods(workdir, threads, [z[f"arr_{i}"] for i in range(len(z.files))])


def run_exactpwm_api_file(workdir, threads):
    """The API scan of the FASTA file (reading included), as the CLI runs it."""
    import exactpwm

    t = time.perf_counter()
    motifs = exactpwm.read_motifs(os.path.join(workdir, "motifs.meme"))
    table = exactpwm.scan(motifs, os.path.join(workdir, "genome.fa"), pvalue=1e-4, threads=threads)
    dt = time.perf_counter() - t
    return 0.0, dt, np.zeros((len(table), 4), np.int64)


def _program() -> list[str]:
    """The ``exactpwm`` command as users run it: the console script installed beside this Python
    (``python -m exactpwm`` only where there is none; it also imports runpy, about 10 ms more)."""
    script = os.path.join(os.path.dirname(sys.executable), "exactpwm")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "exactpwm"]


def _cli(workdir, threads, fmt):
    """exactpwm scan ... -o hits.<fmt> end to end: a fresh process, reading and writing included."""
    out = os.path.join(workdir, f"hits.{fmt}")
    cmd = [*_program(), "scan", os.path.join(workdir, "motifs.meme"),
           os.path.join(workdir, "genome.fa"), "--thresh", "1e-4", "--uniform", "--pseudocount", "0",
           "--format", fmt, "-o", out, "-q", "-j", str(threads)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    dt = time.perf_counter() - t
    with open(out, "rb") as f:
        lines = sum(1 for line in f if line[:1] not in (b"#", b"\n") and not line.startswith(b"motif_id"))
    return 0.0, dt, np.zeros((lines, 4), np.int64)


def run_exactpwm_cli_tsv(workdir, threads):
    return _cli(workdir, threads, "tsv")


def run_exactpwm_cli_bed(workdir, threads):
    return _cli(workdir, threads, "bed")


def run_exactpwm_maxima(workdir, threads):
    """sequence_maxima: the best window per record and motif (max pooling, the CNN's view)."""
    import exactpwm

    mats, _, _ = load_motifs(workdir)
    codes = {n: exactpwm.encode(s) for n, s in read_plain(os.path.join(workdir, "genome.fa"))}
    t = time.perf_counter()
    best = exactpwm.sequence_maxima(mats, codes, mode="matrix", threads=threads)
    dt = time.perf_counter() - t
    return 0.0, dt, np.zeros((best.score.size, 4), np.int64)


def run_tool(tool, workdir, threads):
    prep, scan, hits = globals()[f"run_{tool.replace('-', '_')}"](workdir, threads)
    hits = hits[np.lexsort(hits.T[::-1])] if len(hits) else hits
    np.save(os.path.join(workdir, f"hits_{tool}.npy"), hits)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": tool, "prepare_s": prep, "scan_s": scan, "hits": int(len(hits)), "peak_rss_mb": peak}))


# ----------------------------------------------------------------------------- dense

def dense(workdir, threads, length=1_000_000):
    """Dense float32 scores of all motifs (zero-padded to one width) on one strand: exactpwm vs torch."""
    import exactpwm

    mats, _, _ = load_motifs(workdir)
    L = max(m.shape[1] for m in mats)
    W = np.zeros((len(mats), 4, L), dtype=np.float32)
    for k, m in enumerate(mats):
        W[k, :, : m.shape[1]] = m
    codes = np.random.default_rng(1).integers(0, 4, size=length, dtype=np.uint8)
    out = np.empty((len(mats), length - L + 1), dtype=np.float32)
    res = {}
    exactpwm.conv1d(codes, W, out=out, threads=threads)
    t = time.perf_counter()
    exactpwm.conv1d(codes, W, out=out, threads=threads)
    res["exactpwm"] = time.perf_counter() - t
    try:
        import torch

        torch.set_num_threads(threads or os.cpu_count())
        x = torch.from_numpy(exactpwm.one_hot(codes))[None]
        w = torch.from_numpy(W)
        torch.nn.functional.conv1d(x, w)
        t = time.perf_counter()
        ref = torch.nn.functional.conv1d(x, w)[0].numpy()
        res["torch"] = time.perf_counter() - t
        res["max_abs_diff"] = float(np.abs(ref - out).max())
    except ImportError:
        pass
    res["scores"] = int(out.size)
    return res


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genome", default="random:10e6",
                    help="random:LENGTH, kleb, peaks:COUNTxLENGTH or kleb-tiles:LENGTH")
    ap.add_argument("--motifs", type=int, default=100)
    ap.add_argument("--pvalue", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--skip", action="append", default=[],
                    help="tools to leave out: comma-separated, or the option repeated")
    ap.add_argument("--cli", action="store_true", help="also the CLI writing TSV and BED, against the API scan")
    ap.add_argument("--cli-repeat", type=int, default=5,
                    help="rounds of the API scan of the file and the two commands, interleaved (medians reported)")
    ap.add_argument("--float", action="store_true", help="also the unquantized float64 path, against MOODS")
    ap.add_argument("--load", action="store_true", help="also default threads vs -j 1 with both cores loaded")
    ap.add_argument("--no-dense", action="store_true", help="leave out the dense-scores comparison")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--run-tool", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    skip = {t for value in args.skip for t in value.split(",") if t}
    if skip - set(TOOLS):
        ap.error(f"--skip: unknown tools {', '.join(sorted(skip - set(TOOLS)))} (tools: {', '.join(TOOLS)})")
    if args.run_tool:
        run_tool(args.run_tool, args.workdir, args.threads)
        return
    with tempfile.TemporaryDirectory() as workdir:
        info = prepare(workdir, args.genome, args.motifs, args.pvalue)
        work = info["bases"] * info["motifs"] * 2
        print(f"genome {args.genome}: {info['bases']:,} bp; {info['motifs']} JASPAR motifs "
              f"(widths {min(info['widths'])}-{max(info['widths'])}); p <= {args.pvalue:g}; both strands; "
              f"{os.cpu_count()} cores")
        tools = [t for t in TOOLS if t not in skip]
        rows = [r for r in (_run(t, workdir, args.threads) for t in tools) if r]
        hits = {r["tool"]: np.load(os.path.join(workdir, f"hits_{r['tool']}.npy")) for r in rows}
        ours = next((r for r in rows if r["tool"] == "exactpwm"), None)
        print(f"{'tool':<11}{'prepare s':>10}{'scan s':>9}{'G/s':>8}{'peak MB':>9}{'hits':>10}"
              f"{'= MOODS':>9}{'ours x':>8}")
        for r in rows:
            gps = work / r["scan_s"] / 1e9
            same = ""
            if "moods" in hits:
                a, b = hits[r["tool"]], hits["moods"]
                same = "yes" if a.shape == b.shape and (a == b).all() else "no"
            speedup = f"{r['scan_s'] / ours['scan_s']:.1f}" if ours else ""
            r.update(gps=gps, equal_moods=same)
            print(f"{r['tool']:<11}{r['prepare_s']:>10.2f}{r['scan_s']:>9.2f}{gps:>8.2f}{r['peak_rss_mb']:>9.0f}"
                  f"{r['hits']:>10}{same:>9}{speedup:>8}")
        if "memelite" in hits and "exactpwm" in hits:
            a = {tuple(x) for x in hits["exactpwm"].tolist()}
            b = {tuple(x) for x in hits["memelite"].tolist()}
            print(f"memelite vs exactpwm: {len(a & b)} shared, {len(b - a)} only memelite, {len(a - b)} only exactpwm")
        extra = {}
        if args.cli:
            extra["cli"] = cli_section(workdir, args.threads, args.cli_repeat)
        if args.float:
            extra["float"] = float_section(workdir, args.threads, work, rows)
        if args.load:
            extra["load"] = load_section(workdir)
        d = {} if args.no_dense else dense(workdir, args.threads)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"genome": args.genome, **info, "pvalue": args.pvalue, "tools": rows, "dense": d, **extra},
                          f, indent=1)
        if args.no_dense:
            return
        print(f"dense float32 scores, {d['scores']:,} (1 Mbp x {info['motifs']} motifs, one strand): "
              f"exactpwm {d['exactpwm']:.3f} s ({d['scores'] / d['exactpwm'] / 1e9:.2f} G/s)"
              + (f", torch conv1d {d['torch']:.3f} s ({d['scores'] / d['torch'] / 1e9:.2f} G/s), "
                 f"ratio {d['torch'] / d['exactpwm']:.1f}x, max |diff| {d['max_abs_diff']:.2g}"
                 if "torch" in d else ""))


def _run(tool, workdir, threads):
    """One tool in its own process: its result row, or None (printed) when it failed."""
    proc = subprocess.run([sys.executable, __file__, "--run-tool", tool, "--workdir", workdir,
                           "--threads", str(threads)], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"{tool}: failed or not installed ({proc.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cli_section(workdir, threads, repeat=5):
    """The CLI writing files end to end against the API scan of the same FASTA file: ``repeat`` rounds
    of the three, interleaved (a noisy machine slows them alike), each a cold process; medians, and
    the range of the per-round ratios."""
    times: dict = {"api": [], "tsv": [], "bed": []}
    lines = {}
    for _ in range(max(1, repeat)):
        api = _run("exactpwm-api-file", workdir, threads)
        times["api"].append(api["scan_s"])
        for fmt in ("tsv", "bed"):
            r = _run(f"exactpwm-cli-{fmt}", workdir, threads)
            times[fmt].append(r["scan_s"])
            lines[fmt] = r["hits"]
    api_s = float(np.median(times["api"]))
    out = {"api_file_s": api_s, "hits": api["hits"], "rounds": len(times["api"]), "api_file_all_s": times["api"]}
    for fmt in ("tsv", "bed"):
        cli_s = float(np.median(times[fmt]))
        ratios = np.array(times[fmt]) / np.array(times["api"])
        out[f"cli_{fmt}_s"] = cli_s
        out[f"cli_{fmt}_all_s"] = times[fmt]
        out[f"cli_{fmt}_ratio"] = cli_s / api_s
        size = os.path.getsize(os.path.join(workdir, f"hits.{fmt}"))
        print(f"CLI to {fmt.upper()}: {cli_s:.2f} s ({lines[fmt]:,} lines, {size / 1e6:.0f} MB, process start "
              f"and reading included); API scan of the file {api_s:.2f} s: ratio {cli_s / api_s:.2f}x "
              f"(medians of {len(ratios)} interleaved rounds; per round {ratios.min():.2f}-{ratios.max():.2f}x)")
    return out


def float_section(workdir, threads, work, rows):
    """Unquantized float64 matrices (step=None) against the quantized path and MOODS on them."""
    quantized = next((r for r in rows if r["tool"] == "exactpwm"), None)
    ours, moods = _run("exactpwm-float", workdir, threads), _run("moods-float", workdir, threads)
    out = {"float_s": ours["scan_s"], "hits": ours["hits"]}
    line = f"float64 exact path: {ours['scan_s']:.2f} s ({work / ours['scan_s'] / 1e9:.2f} G/s), {ours['hits']:,} hits"
    if quantized:
        out["quantized_s"] = quantized["scan_s"]
        speed = quantized["scan_s"] / ours["scan_s"]
        line += f"; quantized path {quantized['scan_s']:.2f} s: float/quantized speed {speed:.2f}x"
    grid = _run("exactpwm-float-grid", workdir, threads)
    if grid:
        out.update(grid_s=grid["scan_s"], grid_hits=grid["hits"])
        line += (f"; the same floats on the 2**-10 grid (the previous default) {grid['scan_s']:.2f} s, "
                 f"{grid['hits']:,} hits ({(grid['hits'] / max(ours['hits'], 1) - 1) * 100:+.2f}%): "
                 f"exact/grid time {ours['scan_s'] / grid['scan_s']:.2f}x")
    if moods:
        a = np.load(os.path.join(workdir, "hits_exactpwm-float.npy"))
        b = np.load(os.path.join(workdir, "hits_moods-float.npy"))
        same = a.shape == b.shape and bool((a == b).all())
        out.update(moods_s=moods["scan_s"], equal_moods=same)
        line += f"; MOODS on the same floats {moods['scan_s']:.2f} s ({moods['scan_s'] / ours['scan_s']:.1f}x ours), " \
                f"hits equal: {'yes' if same else 'no'}"
    print(line)
    return out


def load_section(workdir):
    """Default threads against -j 1 while two busy processes keep both cores loaded."""
    busy = [subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 600: pass"])
            for _ in range(2)]
    out = {}
    try:
        time.sleep(0.5)
        for tool in ("exactpwm", "exactpwm-maxima"):
            t0, t1 = _run(tool, workdir, 0), _run(tool, workdir, 1)
            out[tool] = {"default_s": t0["scan_s"], "one_thread_s": t1["scan_s"]}
            print(f"under load ({tool}): default threads {t0['scan_s']:.2f} s, -j 1 {t1['scan_s']:.2f} s: "
                  f"default/-j 1 = {t0['scan_s'] / t1['scan_s']:.2f}")
    finally:
        for p in busy:
            p.kill()
    return out


if __name__ == "__main__":
    main()
