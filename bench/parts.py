"""A scan in parts (``exactpwm scan --part K/N`` per part, then ``exactpwm merge``) against one
``exactpwm scan`` of the whole input: the overhead of cutting a job for a cluster or a workflow.

    python bench/parts.py --genome peaks:50000x400 --parts 16 [--qvalues] [--json results/parts_peaks.json]

The same input as bench/peers.py (100 JASPAR 2024 CORE vertebrate motifs, pseudocount 1, uniform
background written to a MEME file; p <= 1e-4; both strands). Every command is a fresh process
(process start, FASTA reading and writing included), run one after the other on this machine, so
``parts total`` is the CPU a cluster spends and ``longest part + merge`` what a cluster with one
node per part waits. Checks that the merged file equals the whole scan's, apart from the line
that records the command.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import prepare  # noqa: E402


def _run(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t


def _lines(path: str) -> list[str]:
    with open(path) as f:
        return [ln for ln in f if not ln.startswith(("# command:", "# exactpwm "))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genome", default="peaks:50000x400", help="as bench/peers.py --genome")
    ap.add_argument("--parts", type=int, default=16)
    ap.add_argument("--motifs", type=int, default=100)
    ap.add_argument("--qvalues", action="store_true", help="with --qvalues (global statistics over all parts)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "exactpwm"]
    with tempfile.TemporaryDirectory() as wd:
        prepare(wd, args.genome, args.motifs, 1e-4)
        motifs, fa = os.path.join(wd, "motifs.meme"), os.path.join(wd, "genome.fa")
        opts = ["--thresh", "1e-4", "--uniform", "--pseudocount", "0", "-q", "-j", str(args.threads)]
        opts += ["--qvalues"] if args.qvalues else []
        whole = os.path.join(wd, "whole.tsv")
        t_whole = _run([*exe, "scan", motifs, fa, *opts, "-o", whole])
        part_times = []
        for k in range(1, args.parts + 1):
            part_times.append(_run([*exe, "scan", motifs, fa, *opts, "--part", f"{k}/{args.parts}",
                                    "-o", os.path.join(wd, f"part{k}.npz")]))
        parts = [os.path.join(wd, f"part{k}.npz") for k in range(1, args.parts + 1)]
        part_bytes = sum(os.path.getsize(p) for p in parts)
        merged = os.path.join(wd, "merged.tsv")
        t_merge = _run([*exe, "merge", *parts, "-o", merged])
        same = _lines(whole) == _lines(merged)
        result = {"genome": args.genome, "parts": args.parts, "qvalues": args.qvalues, "whole_s": t_whole,
                  "parts_total_s": sum(part_times), "longest_part_s": max(part_times), "merge_s": t_merge,
                  "part_files_mb": part_bytes / 1e6, "hits": len(_lines(whole)) - 1, "merged_equals_whole": same}
    print(json.dumps(result, indent=2))
    print(f"whole scan {t_whole:.2f} s; {args.parts} parts {sum(part_times):.2f} s in all "
          f"({sum(part_times) / t_whole:.1f}x the CPU), longest part {max(part_times):.2f} s + merge {t_merge:.2f} s "
          f"= {(max(part_times) + t_merge):.2f} s on a cluster ({(max(part_times) + t_merge) / t_whole:.2f}x); "
          f"merged file {'equals' if same else 'DIFFERS FROM'} the whole scan's")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
