"""Motif discovery side by side in one run (issue 29): ``exactpwm modisco`` and modisco-lite's
``modisco motifs`` on the same attribution files, each as its own command (wall time and peak
memory from ``/usr/bin/time``), and the patterns each found matched to the planted motifs by
Tomtom's statistics (exactpwm's, checked against MEME's elsewhere) in both directions.

Inputs: folders made by ``bench/modisco_data.py`` (``ohe.npz``, ``shap.npz``: DeepSHAP
hypothetical contributions of the reference CNN on 1-kb sequences with planted E-box, GATA, AP-1
and TATA sites). Both tools use their defaults, the central 400 bp (modisco-lite's ``-w``
default), and ``-n`` (seqlets per sign) as given.

    python bench/modisco_peers.py --data /tmp/m5k /tmp/m20k --n 2000 20000 --modisco PATH/TO/modisco \
        -o bench/results/modisco_peers.json
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

PLANTED = {"Ebox": "CACGTG", "GATA": "AGATAA", "AP1": "TGAGTCA", "TATA": "TATAAAAG"}


def timed(cmd: list[str]) -> dict:
    run = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + cmd, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"{cmd[0]} failed:\n{run.stderr[-3000:]}")
    wall, kb = run.stderr.strip().splitlines()[-1].split()
    return {"seconds": float(wall), "peak_mb": int(kb) / 1024, "stderr": run.stderr[-2000:]}


def trimmed_pfms(h5: str):
    """Each pattern's PFM trimmed as modisco-lite's report trims (|CWM| >= 0.3 of its largest)."""
    from exactpwm.core.motif import Motif, MotifSet
    from exactpwm.io.modisco_h5 import read_modisco_h5

    out = []
    for p in read_modisco_h5(h5):
        imp = np.abs(p["contrib_scores"]).sum(axis=1)
        keep = np.flatnonzero(imp >= 0.3 * imp.max())
        m = p["sequence"][keep[0]:keep[-1] + 1].T + 1e-9
        out.append(Motif(p["name"].replace("/", "."), m / m.sum(axis=0), nsites=p["n_seqlets"]))
    return MotifSet(out)


def recovery(found, planted) -> dict:
    """Planted motifs matched at q < 0.05 by some pattern (pattern as query) and patterns matching
    some planted motif at q < 0.05 (both directions of Tomtom)."""
    from exactpwm.interpret.tomtom import tomtom

    if len(found) == 0:
        return {"patterns": 0, "planted_recovered": [], "unmatched_patterns": []}
    fwd = tomtom(found, planted)
    back = tomtom(planted, found)
    hit_f = {(int(r["query"]), int(r["target"])) for r in fwd.rows if r["qvalue"] < 0.05}
    hit_b = {(int(r["target"]), int(r["query"])) for r in back.rows if r["qvalue"] < 0.05}
    both = hit_f & hit_b
    recovered = sorted({planted.names[t] for _, t in both})
    unmatched = [found.names[q] for q in range(len(found)) if not any(q == a for a, _ in hit_f | hit_b)]
    return {"patterns": len(found), "planted_recovered": recovered, "unmatched_patterns": unmatched,
            "consensus": [m.consensus() for m in found]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", nargs="+", required=True)
    ap.add_argument("--n", nargs="+", type=int, default=[2000, 20000])
    ap.add_argument("--modisco", default="modisco", help="modisco-lite's command")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()

    from exactpwm.core.motif import Motif, MotifSet
    from exactpwm.core.sequence import one_hot_rows

    planted = MotifSet([Motif(k, one_hot_rows([v])[0].astype(float) * 0.97 + 0.0075) for k, v in PLANTED.items()])
    peer_python = os.path.join(os.path.dirname(args.modisco), "python")
    ver = subprocess.run([peer_python if os.path.exists(peer_python) else sys.executable, "-c",
                          "import importlib.metadata as m; print(m.version('modisco-lite'))"],
                         capture_output=True, text=True)
    rows = []
    for data in args.data:
        n_seqs = int(re.sub(r"\D", "", os.path.basename(data.rstrip("/"))) or 0) * 1000
        for n in args.n:
            with tempfile.TemporaryDirectory() as tmp:
                lite_h5 = os.path.join(tmp, "lite.h5")
                lite = timed([args.modisco, "motifs", "-s", f"{data}/ohe.npz", "-a", f"{data}/shap.npz", "-n", str(n),
                              "-o", lite_h5])
                ours_dir = os.path.join(tmp, "ours")
                ours = timed([sys.executable, "-m", "exactpwm", "modisco", f"{data}/shap.npz", "-s", f"{data}/ohe.npz",
                              "-n", str(n), "-o", ours_dir, "-m", "none", "-q", "--no-logos"])
                ours_report = timed([sys.executable, "-m", "exactpwm", "modisco", f"{data}/shap.npz", "-s",
                                     f"{data}/ohe.npz", "-n", str(n), "-o", ours_dir + "_r", "-m", "none", "-q"])
                row = {"data": data, "sequences": n_seqs, "n": n,
                       "modisco_lite": {k: lite[k] for k in ("seconds", "peak_mb")} | recovery(trimmed_pfms(lite_h5),
                                                                                                planted),
                       "exactpwm": {k: ours[k] for k in ("seconds", "peak_mb")} | recovery(
                           trimmed_pfms(os.path.join(ours_dir, "modisco_results.h5")), planted),
                       "exactpwm_with_report": {k: ours_report[k] for k in ("seconds", "peak_mb")}}
                row["speedup"] = lite["seconds"] / ours["seconds"]
                row["memory_ratio"] = ours["peak_mb"] / lite["peak_mb"]
                seqlets = re.search(r"([\d,]+) seqlets", ours["stderr"])
                row["exactpwm_seqlets"] = seqlets.group(1) if seqlets else None
                rows.append(row)
                print(json.dumps(row), flush=True)
    result = {"modisco_lite_version": ver.stdout.strip(), "cores": os.cpu_count(), "rows": rows}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
