"""Motif discovery at scale (issue 29): ``exactpwm modisco`` on synthetic attribution maps holding
more than 100,000 seqlets (made without a model: random sequences with planted AP-1, GATA and
E-box sites, contributions +1 on the site's letters and Laplace noise elsewhere), timed as a
command with ``/usr/bin/time`` (wall time and peak memory).

    python bench/modisco_scale.py --n 40000 --length 500 --sites 3 -o bench/results/modisco_scale.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

MOTIFS = {"AP1": "TGAGTCA", "GATA": "AGATAAG", "EBOX": "CCACGTGG"}
_RC = str.maketrans("ACGT", "TGCA")


def maps(n: int, length: int, sites: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length)).astype(np.uint8)
    hyp = rng.laplace(scale=0.02, size=(n, 4, length)).astype(np.float32)
    words = [np.array(["ACGT".index(c) for c in w], np.uint8) for m in MOTIFS.values()
             for w in (m, m[::-1].translate(_RC))]
    slot = length // sites
    for k in range(sites):  # one site per slot of the sequence, so sites never overlap
        which = rng.integers(0, len(words), n)
        for i, w in enumerate(words):
            rows = np.flatnonzero(which == i)
            at = k * slot + rng.integers(0, slot - w.size, rows.size)
            pos = at[:, None] + np.arange(w.size)
            codes[rows[:, None], pos] = w
            hyp[rows[:, None], :, pos] = 0.2
            hyp[rows[:, None], w[None, :], pos] = 1.0
    ohe = np.zeros((n, 4, length), np.uint8)
    for b in range(4):
        ohe[:, b][codes == b] = 1
    return hyp, ohe


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40000)
    ap.add_argument("--length", type=int, default=500)
    ap.add_argument("--sites", type=int, default=3)
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hyp, ohe = maps(args.n, args.length, args.sites)
        np.savez(os.path.join(tmp, "attr.npz"), hyp)
        np.savez(os.path.join(tmp, "ohe.npz"), ohe)
        del hyp, ohe
        run = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "exactpwm", "modisco",
                              os.path.join(tmp, "attr.npz"), "-s", os.path.join(tmp, "ohe.npz"), "-o",
                              os.path.join(tmp, "out"), "-w", "0", "-n", "200000", "-m", "none", "-q", "--no-logos"],
                             capture_output=True, text=True)
        if run.returncode:
            print(run.stderr)
            return 1
        wall, kb = run.stderr.strip().splitlines()[-1].split()
        table = open(os.path.join(tmp, "out", "patterns.tsv")).read().splitlines()
    seqlets = re.search(r"([\d,]+) seqlets", run.stderr)
    result = {"sequences": args.n, "length": args.length, "planted_sites": args.n * args.sites,
              "seqlets": seqlets.group(1) if seqlets else None, "seconds": float(wall), "peak_mb": int(kb) / 1024,
              "patterns": [dict(zip(table[0].split("\t"), line.split("\t"))) for line in table[1:]],
              "cores": os.cpu_count()}
    print(json.dumps(result, indent=1))
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
