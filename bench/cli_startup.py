"""How long a command takes to start: pipelines start thousands of them.

    python bench/cli_startup.py [--runs 10] [--fimo PATH] [--json bench/results/cli_startup.json]

Times, best and median of --runs fresh processes each: ``python -c pass`` (the interpreter alone),
``python -c "import numpy"``, ``exactpwm --help`` (the installed script: an editable install adds
its import hook) and ``python -m exactpwm --help``, ``exactpwm --version``, ``exactpwm scan`` of one
motif over a one-record FASTA, and MEME's ``fimo --version`` when --fimo names a built FIMO
(MEME is not packaged by Debian; see docs/cli.md for building it from the pymemesuite sdist).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def _time(cmd: list[str], runs: int) -> dict:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return {"best_s": min(out), "median_s": statistics.median(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--fimo", default=shutil.which("fimo"), help="MEME's fimo (default: on PATH)")
    ap.add_argument("--json")
    args = ap.parse_args()
    beside = os.path.join(os.path.dirname(sys.executable), "exactpwm")  # this environment's script, not a shim
    exe = beside if os.path.exists(beside) else shutil.which("exactpwm") or ""
    ours = [exe] if exe else [sys.executable, "-m", "exactpwm"]
    with tempfile.TemporaryDirectory() as d:
        fa, meme = os.path.join(d, "one.fa"), os.path.join(d, "one.meme")
        with open(fa, "w") as f:
            f.write(">one\n" + "ACGTTGCA" * 50 + "\n")
        with open(meme, "w") as f:
            f.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nMOTIF m1\nletter-probability matrix: "
                    "alength= 4 w= 4\n0.7 0.1 0.1 0.1\n0.1 0.7 0.1 0.1\n0.1 0.1 0.7 0.1\n0.1 0.1 0.1 0.7\n")
        runs = {"python -c pass": [sys.executable, "-c", "pass"],
                "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
                "exactpwm --help": [*ours, "--help"],
                "python -m exactpwm --help": [sys.executable, "-m", "exactpwm", "--help"],
                "exactpwm --version": [*ours, "--version"],
                "exactpwm scan (1 motif, 1 record of 400 bp)": [*ours, "scan", meme, fa, "-q", "-o",
                                                                 os.path.join(d, "hits.tsv")]}
        if args.fimo:
            runs["MEME fimo --version"] = [args.fimo, "--version"]
        res = {name: _time(cmd, args.runs) for name, cmd in runs.items()}
    if not args.fimo:
        res["MEME fimo --version"] = "not measured: no fimo on PATH (give --fimo)"
    for name, r in res.items():
        print(f"{name:48s} " + (f"best {r['best_s']:.3f} s, median {r['median_s']:.3f} s" if isinstance(r, dict)
                                else r))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
