"""Peak memory while scanning a multi-gigabyte gzipped FASTA with records longer than 2**31.

    python bench/huge_inputs.py --records 4 --copies 35 --out bench/results/huge_inputs.json

Writes (cheaply: repeated gzip members, see tests/bigfasta.py) a FASTA.gz of ``records``
records of ``copies`` x 62.9 Mbp each, runs ``exactpwm scan`` on it in a child process,
and reports the file size, bases, wall time, the child's peak RSS, and whether exactly
the planted sites were found (their positions past 2**31 included).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import exactpwm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from bigfasta import LINE, bed_sites, scan_with_peak_rss, write_repeated_fasta, write_site_motif  # noqa: E402

SITE = "GATTACAGGCCTTAACGTTGCATG"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=4)
    ap.add_argument("--copies", type=int, default=35)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--tmp", default=tempfile.gettempdir())
    ap.add_argument("--out", default="bench/results/huge_inputs.json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        fa = os.path.join(tmp, "huge.fa.gz")
        t0 = time.perf_counter()
        sites = write_repeated_fasta(fa, [(f"chr{i + 1}", args.copies) for i in range(args.records)], site=SITE)
        t_write = time.perf_counter() - t0
        motif = os.path.join(tmp, "site.jaspar")
        write_site_motif(motif, SITE)
        out = os.path.join(tmp, "hits.bed")
        argv = ["scan", motif, fa, "--format", "bed", "--thresh", "1e-13", "-o", out, "-q", "-j", str(args.threads)]
        t0 = time.perf_counter()
        run, peak_mb = scan_with_peak_rss(argv)
        wall = time.perf_counter() - t0
        if run.returncode != 0:
            raise SystemExit(run.stderr)
        found = {(c, s) for c, s, _ in bed_sites(out)}
        expected = {(n, s) for n, starts in sites.items() for s in starts}
        bases = args.records * args.copies * (1 << 20) * LINE
        result = {
            "gz_bytes": os.path.getsize(fa), "bases": bases, "records": args.records,
            "record_bases": bases // args.records, "longest_site_position": max(s for v in sites.values() for s in v),
            "write_s": round(t_write, 1), "scan_wall_s": round(wall, 1),
            "throughput_mbp_s": round(bases / wall / 1e6, 1), "peak_rss_mb": round(peak_mb),
            "sites_expected": len(expected), "sites_found_exactly": found == expected,
            "threads": args.threads or os.cpu_count(), "command": " ".join(["exactpwm", *argv]),
            "backends": exactpwm.backends()["auto"],
        }
    print(json.dumps(result, indent=1))
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
