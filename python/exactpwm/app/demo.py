"""The built-in example, end to end: a trained CNN's first layer -> exact PWMs -> files, logos,
motif matches and a genome scan. Nothing is downloaded.

1. The first-layer kernels of a small CNN trained on synthetic sequences with four
   planted motifs (``examples/train_cnn.py``; shipped in ``exactpwm/app/data``).
2. The base b is fitted by maximum likelihood (Eq. 2) on sequences like the training ones.
3. Each kernel becomes a PWM exactly; Theorem 1 is checked on every window of the genome.
4. The PWMs are written as MEME, drawn as logos (with matplotlib), and matched to the
   planted motifs.
5. A multi-megabase genome with planted sites is written as gzipped FASTA and scanned
   with the learned PWMs (log-odds, p <= 1e-4, both strands): hits as BED and
   FIMO-style TSV, and how many planted sites the learned motifs recover.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from exactpwm.app.example_data import PLANTED_SITES, example_genome, load_example_cnn, planted_pwms, training_set
from exactpwm.core.motif import Motif, MotifSet
from exactpwm.core.scoring import conv1d
from exactpwm.core.transform import kernel_to_pwm, pwm_to_kernel
from exactpwm.interpret.base_fit import fit_base
from exactpwm.interpret.compare import Match, motif_similarity
from exactpwm.io.formats import write_motifs
from exactpwm.scanning.scan import scan

MATCH_MIN = 0.8  # similarity above which a kernel is said to have learned a planted motif
#: the demo's scan threshold: the planted sites are 6-8 bp, and a 6-mer's best p-value is 4^-6 = 2.4e-4,
#: so FIMO's default 1e-4 could never find some of them
PVALUE = 1e-3


def run(outdir: Path, length: int = 5_000_000, base: float | None = None, threads: int = 0, seed: int = 1,
        log=print) -> dict:
    """Run the example into ``outdir``; return (and write) ``summary.json``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cnn = load_example_cnn()
    W, bias = cnn["weight"].astype(np.float64), cnn["bias"].astype(np.float64)
    K, _, L = W.shape
    log(f"CNN first layer: {K} kernels of width {L} (trained by examples/train_cnn.py; "
        f"test AUC {' '.join(f'{a:.2f}' for a in cnn['test_auc'])})")

    # 2. the base
    if base is None:
        codes, _ = training_set(rng, n=2000)
        t0 = time.perf_counter()
        fit = fit_base(W, codes, strand="both", threads=threads)
        base = float(fit.base)
        log(f"base fitted by maximum likelihood (Eq. 2) on {codes.shape[0]} sequences: b = {base:.4g} "
            f"({(time.perf_counter() - t0) * 1e3:.1f} ms)")

    # 3. the exact transform
    t0 = time.perf_counter()
    pwms, offsets = kernel_to_pwm(W, base, bias=bias)
    t_transform = time.perf_counter() - t0
    log(f"exact transform: {K} kernels -> PWMs in {t_transform * 1e3:.2f} ms (no data looked at)")

    genome, sites = example_genome(rng, length)
    err, t_conv = _check_theorem1(genome, W, bias, pwms, offsets, base, threads)
    log(f"Theorem 1 check: conv(x) + bias == log_b P(x) + offset on every N-free window of {length:,} bp x "
        f"2 strands x {K} kernels: max |error| = {err:.2e}  "
        f"(conv1d: {2 * K * length / t_conv / 1e9:.2f} G scores/s)")

    # 4. files, matches, logos
    planted = planted_pwms()
    names = list(planted)
    matches = [max(((n, motif_similarity(p, q)) for n, q in planted.items()), key=lambda t: t[1].score)
               for p in pwms]
    learned = MotifSet([Motif(f"kernel{k}", pwms[k], alt_name=(m[0] if m[1].score >= MATCH_MIN else ""),
                              meta={"offset": float(offsets[k])}) for k, m in enumerate(matches)])
    write_motifs(learned, outdir / "learned.meme")
    write_motifs(MotifSet([Motif(n, p) for n, p in planted.items()]), outdir / "planted.meme")
    with open(outdir / "offsets.tsv", "w") as f:
        f.write("motif\toffset\tbase\n")
        f.writelines(f"kernel{k}\t{o:.17g}\t{base:.17g}\n" for k, o in enumerate(offsets))
    log("learned PWMs against the planted motifs (column correlation, best alignment, both strands):")
    for k, (n, m) in enumerate(matches):
        verdict = f"= {n} ({PLANTED_SITES[n]}, strand {m.strand})" if m.score >= MATCH_MIN else "no planted motif"
        log(f"  kernel{k}  {learned[k].consensus(0.4):>{L}}  similarity {m.score:5.2f}  {verdict}")
    known = _name_against_known(learned, planted, threads, log)
    logos = _logos(learned, outdir / "logos", log)

    # 5. the genome scan
    fasta = outdir / "genome.fa.gz"
    with gzip.open(fasta, "wt", compresslevel=1) as f:
        f.write(">chrDemo synthetic genome with planted sites\n")
        text = np.frombuffer(b"ACGTN", np.uint8)[genome].tobytes().decode()
        f.writelines(text[i:i + 80] + "\n" for i in range(0, len(text), 80))
    t0 = time.perf_counter()
    hits = scan(learned, fasta, pvalue=PVALUE, threads=threads)
    t_scan = time.perf_counter() - t0
    hits.write_bed(outdir / "hits.bed")
    hits.write_tsv(outdir / "hits.tsv", command=f"exactpwm scan --thresh {PVALUE:g} {outdir / 'learned.meme'} {fasta}")
    log(f"scanned {length:,} bp (FASTA.gz read included) with {K} learned PWMs, both strands, p <= {PVALUE:g}: "
        f"{len(hits):,} hits in {t_scan:.2f} s")
    recall = _recall(hits, sites, matches, names)
    truth = scan(MotifSet([Motif(n, p) for n, p in planted.items()]), fasta, pvalue=PVALUE, threads=threads)
    reference = _recall(truth, sites, [(n, _SELF) for n in names], names)
    log("planted sites recovered (some hit overlaps the site) by the matching learned PWMs (15 bp windows), "
        "and by the planted PWMs themselves (6-8 bp):")
    for j, n in enumerate(names):
        r = recall[n]
        r["planted_pwm_recall"] = reference[n]["recall"]
        n_learned = int(np.isin(hits.rows["motif"], [int(k[6:]) for k in r["kernels"]]).sum())
        n_true = int((truth.rows["motif"] == j).sum())
        log(f"  {n:5s} {r['planted']:5d} sites: {', '.join(r['kernels']) or 'no kernel'} {100 * r['recall']:.0f}% "
            f"({n_learned:,} hits)   planted PWM {100 * reference[n]['recall']:.0f}% ({n_true:,} hits)")

    summary = {
        "kernels": K, "width": L, "base": base, "transform_ms": t_transform * 1e3,
        "theorem1_max_abs_error": err, "genome_length": length, "scan_seconds": t_scan, "hits": len(hits),
        "matches": {f"kernel{k}": {"motif": n, "similarity": m.score, "strand": m.strand, "offset": m.offset}
                    for k, (n, m) in enumerate(matches)},
        "recall": recall, "logos": logos, "known_motifs": known,
    }
    (outdir / "summary.json").write_text(json.dumps(summary, indent=2))
    log(f"files in {outdir}/: learned.meme planted.meme offsets.tsv genome.fa.gz hits.bed hits.tsv summary.json"
        + (" logos/" if logos else ""))
    log(f"next: exactpwm scan {outdir / 'learned.meme'} {fasta} --motif kernel{_first_matched(matches)} | head")
    return summary


def _name_against_known(learned: MotifSet, planted: dict, threads: int, log) -> dict:
    """Each kernel's best known motif by Tomtom's method: JASPAR CORE vertebrates (pyjaspar),
    else the planted motifs."""
    from exactpwm.interpret.tomtom import tomtom

    try:
        from exactpwm.io.formats.jaspardb import load_jaspar

        targets, what = load_jaspar(), "JASPAR 2024 CORE vertebrates"
    except ImportError:
        targets = MotifSet([Motif(n, p) for n, p in planted.items()])
        what = "the planted motifs (pip install pyjaspar to name them against JASPAR)"
    t0 = time.perf_counter()
    best = tomtom(learned, targets, threads=threads).best()
    log(f"which known motif is each kernel? Tomtom's statistics against {what}, {len(targets)} targets "
        f"({(time.perf_counter() - t0) * 1e3:.0f} ms):")
    out: dict[str, Any] = {"targets": what}
    for r in best.rows:
        t = targets[int(r["target"])]
        name = f"{t.name} {t.alt_name}".strip()
        verdict = "a match" if r["evalue"] <= 0.1 and r["qvalue"] <= 0.1 else "no significant match"
        log(f"  {learned.names[r['query']]}  {name:<22s} E = {r['evalue']:.2g}  q = {r['qvalue']:.2g}  "
            f"strand {r['strand'].decode()}  ({verdict})")
        out[learned.names[r["query"]]] = {"target": t.name, "name": t.alt_name, "evalue": float(r["evalue"]),
                                          "qvalue": float(r["qvalue"]), "strand": r["strand"].decode()}
    return out


def _check_theorem1(genome, W, bias, pwms, offsets, base, threads, chunk: int = 1 << 20):
    """Max |conv + bias - (log_b P + offset)| over N-free windows, in 1 Mbp pieces (bounded memory);
    also the seconds spent in the kernel convolution."""
    L = W.shape[2]
    loglik_kernels = pwm_to_kernel(pwms, base)[0]
    err, t_conv = 0.0, 0.0
    for a in range(0, genome.size - L + 1, chunk):
        piece = genome[a:a + chunk + L - 1]
        t0 = time.perf_counter()
        conv = conv1d(piece, W, bias=bias, strand="both", threads=threads)
        t_conv += time.perf_counter() - t0
        loglik = conv1d(piece, loglik_kernels, strand="both", threads=threads)
        n_cum = np.concatenate([[0], np.cumsum(piece == 4)])
        no_n = n_cum[L:] == n_cum[:-L]
        if no_n.any():
            err = max(err, float(np.abs(conv - (loglik + offsets[None, :, None]))[:, :, no_n].max()))
    return err, t_conv


def _logos(motifs: MotifSet, folder: Path, log) -> list[str]:
    try:
        from exactpwm.interpret.logo import save_logo

        folder.mkdir(exist_ok=True)
        paths = [save_logo(m, folder / f"{m.name}.png", title=f"{m.name} {m.alt_name}".strip()) for m in motifs]
        log(f"logos: {len(paths)} PNG files in {folder}/")
        return paths
    except ImportError:
        log("logos skipped: matplotlib is not installed (pip install 'exactpwm[plot]')")
        return []


def _recall(hits, sites, matches, names) -> dict:
    """Per planted motif: sites overlapped by a hit of a kernel that matched it."""
    out = {}
    r = hits.rows
    for m, n in enumerate(names):
        ks = [k for k, (name, match) in enumerate(matches) if name == n and match.score >= MATCH_MIN]
        mine = sites[sites["motif"] == m]
        h = r[np.isin(r["motif"], ks)]
        found = 0
        if h.size and mine.size:
            starts = np.sort(h["start"])
            ends_max = np.maximum.accumulate(h["end"][np.argsort(h["start"])])
            w = len(PLANTED_SITES[n])
            # a hit [s, e) overlaps site [a, a + w) when s < a + w and e > a
            idx = np.searchsorted(starts, mine["start"] + w) - 1
            found = int(np.count_nonzero((idx >= 0) & (ends_max[np.maximum(idx, 0)] > mine["start"])))
        out[n] = {"planted": int(mine.size), "found": found, "recall": found / max(mine.size, 1),
                  "kernels": [f"kernel{k}" for k in ks]}
    return out


_SELF = Match(1.0, 0, "+")


def _first_matched(matches) -> int:
    return max(range(len(matches)), key=lambda k: matches[k][1].score)
