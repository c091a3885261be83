"""FIMO compatibility and speed: exactpwm scan with FIMO's settings against FIMO 5.4.1, in one run.

    python bench/fimo_peers.py --fimo /path/to/meme/bin/fimo --motifs 30   # Klebsiella Kp1084

FIMO 5.4.1 can be built from the MEME sources vendored in the pymemesuite sdist (Debian has no
meme package). Workload: the first N JASPAR 2024 CORE vertebrate motifs of width >= 8 over the
Klebsiella Kp1084 chromosome (Debian's kleborate-examples). exactpwm runs with FIMO's settings
given explicitly: the NRDB background (made strand-symmetric, as FIMO does), pseudocount 0.1,
p <= 1e-4, per-motif q-values. Reported: hits identical (motif, sequence, start, stop, strand),
where the others lie, q-value agreement on shared hits, and wall time of each command line,
reading the FASTA and writing the TSV included.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import subprocess
import sys
import tempfile
import time

KLEB = "/usr/share/doc/kleborate/examples/data/Klebs_Kp1084.fna.xz"
NRDB = {"A": 0.281774, "C": 0.222020, "G": 0.228876, "T": 0.267330}  # MEME's DNA NRDB frequencies


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fimo", required=True, help="FIMO 5.4.1 binary")
    ap.add_argument("--motifs", type=int, default=30)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    import exactpwm
    import pandas as pd

    work = tempfile.mkdtemp()
    fasta, motifs, bg = (os.path.join(work, n) for n in ("kleb.fa", "motifs.meme", "nrdb.bg"))
    with lzma.open(KLEB, "rb") as src, open(fasta, "wb") as dst:
        dst.write(src.read())
    chosen = [m for m in exactpwm.load_jaspar() if m.width >= 8][:args.motifs]
    exactpwm.write_motifs(exactpwm.MotifSet(chosen), motifs)
    with open(bg, "w") as f:
        f.writelines(f"{b} {p}\n" for b, p in NRDB.items())

    t = time.perf_counter()
    subprocess.run([args.fimo, "--oc", os.path.join(work, "fimo_out"), "--verbosity", "1", motifs, fasta], check=True)
    t_fimo = time.perf_counter() - t
    ours = os.path.join(work, "ours.tsv")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "scan", motifs, fasta, "--bgfile", bg, "--pseudocount",
                    "0.1", "--thresh", "1e-4", "--qvalues", "-o", ours, "-q"], check=True)
    t_ours = time.perf_counter() - t

    f = pd.read_csv(os.path.join(work, "fimo_out", "fimo.tsv"), sep="\t", comment="#")
    o = pd.read_csv(ours, sep="\t", comment="#")
    key = ["motif_id", "sequence_name", "start", "stop", "strand"]
    j = f.merge(o, on=key, how="outer", suffixes=("_fimo", "_ours"), indicator=True)
    both = j[j["_merge"] == "both"]
    ratio = both["q-value_ours"] / both["q-value_fimo"]
    only = j[j["_merge"] != "both"]
    p_only = only["p-value_fimo"].fillna(only["p-value_ours"])
    res = {
        "workload": f"{len(chosen)} JASPAR motifs (width >= 8) x Klebsiella Kp1084, both strands, p <= 1e-4",
        "fimo_seconds": t_fimo, "exactpwm_seconds": t_ours, "speedup": t_fimo / t_ours,
        "fimo_hits": len(f), "exactpwm_hits": len(o), "shared": len(both),
        "shared_fraction_of_fimo": len(both) / len(f),
        "only_fimo": int((j["_merge"] == "left_only").sum()), "only_exactpwm": int((j["_merge"] == "right_only").sum()),
        "disagreements_p_range": [float(p_only.min()), float(p_only.max())] if len(only) else None,
        "qvalue_ratio_median": float(ratio.median()), "qvalue_within_5pct": float(((ratio - 1).abs() <= 0.05).mean()),
    }
    print(json.dumps(res, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
