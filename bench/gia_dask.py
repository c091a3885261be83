"""Global importance analysis on a Dask cluster against one process, in one run.

    python bench/gia_dask.py --nulls 2048 --motifs 50 --json bench/results/gia_dask.json

Workload: the attribution benchmarks' reference model (bench/reference_cnn.py, 1,000 bp, exported
with torch.export), the first ``--motifs`` JASPAR 2024 CORE vertebrate motifs embedded at the
centre of ``--nulls`` dinucleotide shuffles of seeded random DNA, through ``exactpwm gia``'s job
(``run_gia``): once in this process, once with ``dask="local:N"`` (N single-threaded worker
processes, the cluster started and stopped inside the timed call). Reports both times and
whether the tables are the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nulls", type=int, default=2048)
    ap.add_argument("--motifs", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()

    import exactpwm
    import numpy as np
    import torch
    from exactpwm.jobs.gia import GiaOptions, run_gia

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reference_cnn import ReferenceCNN

    work = tempfile.mkdtemp()
    model = ReferenceCNN().eval()
    program = torch.export.export(model, (torch.zeros(2, 4, 1000),),
                                  dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=1 << 14)},))
    torch.export.save(program, os.path.join(work, "m.pt2"))
    rng = np.random.default_rng(0)
    with open(os.path.join(work, "real.fa"), "w") as f:
        for i in range(256):
            f.write(f">s{i}\n{''.join(rng.choice(list('ACGT'), 1000))}\n")
    ms = exactpwm.load_jaspar()
    exactpwm.write_motifs(ms.select(ms.names[:args.motifs]), os.path.join(work, "m.meme"))
    common = dict(null=f"shuffle:{os.path.join(work, 'real.fa')}", motifs=os.path.join(work, "m.meme"),
                  size=args.nulls, plots=False, strand="both")
    times = {}
    for name, extra in (("one process", {}), (f"dask local:{args.workers}", {"dask": f"local:{args.workers}"})):
        out = os.path.join(work, name.split()[0])
        t = time.perf_counter()
        run_gia(GiaOptions(os.path.join(work, "m.pt2"), out, **common, **extra), log=lambda line: None)
        times[name] = time.perf_counter() - t
        print(f"{name:20s} {times[name]:.2f} s", flush=True)
    same = all(open(os.path.join(work, "one", n), "rb").read() == open(os.path.join(work, "dask", n), "rb").read()
               for n in ("effects.tsv", "null.fa"))
    res = {"workload": f"{args.motifs} JASPAR consensus x 2 strands embedded in {args.nulls} null sequences of "
                       "1,000 bp, bench/reference_cnn.py", "cores": os.cpu_count(), "seconds": times,
           "dask_over_one_process": times[f"dask local:{args.workers}"] / times["one process"],
           "same_tables": same}
    print(json.dumps(res, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
