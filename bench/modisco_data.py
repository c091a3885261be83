"""Attribution files for the motif-discovery benchmark (issue 29), in modisco-lite's input layout.

The reference model of the attribution benchmarks (:mod:`reference_cnn`), seeded 1-kb sequences
with 3 planted sites each (E-box, GATA, AP-1, TATA), and exactpwm's DeepSHAP hypothetical
contributions for output 0 with ``--shuffles`` dinucleotide-shuffled references per sequence.
Writes ``ohe.npz`` and ``shap.npz`` (``arr_0``: (N, 4, L) float32 each), which ``modisco motifs -s
-a`` and ``exactpwm modisco`` both read. Chunks are written as they finish, so a long run can be stopped and resumed.

    python bench/modisco_data.py --n 20000 --shuffles 10 -o /tmp/modisco20k
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--shuffles", type=int, default=10)
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()

    import torch
    from exactpwm.core.sequence import one_hot_rows
    from exactpwm.interpret.attribution import attribute
    from reference_cnn import ReferenceCNN, planted_sequences

    torch.set_num_threads(os.cpu_count() or 1)
    os.makedirs(args.out, exist_ok=True)
    codes = planted_sequences(args.n, args.length, seed=0)
    model = ReferenceCNN().eval()
    parts = []
    for start in range(0, args.n, args.chunk):
        path = os.path.join(args.out, f"chunk_{start:06d}.npy")
        if not os.path.exists(path):
            t = time.perf_counter()
            res = attribute(model, codes[start:start + args.chunk], method="deepshap",
                            n_shuffles=args.shuffles, seed=start)
            np.save(path + ".tmp.npy", res.hypothetical.astype(np.float32))
            os.replace(path + ".tmp.npy", path)
            print(f"{start + args.chunk}/{args.n} in {time.perf_counter() - t:.1f} s", flush=True)
        parts.append(path)
    hyp = np.concatenate([np.load(p) for p in parts])
    ohe = one_hot_rows(codes).astype(np.float32)
    np.savez(os.path.join(args.out, "ohe.npz"), ohe)
    np.savez(os.path.join(args.out, "shap.npz"), hyp)
    for p in parts:
        os.remove(p)
    print("wrote", args.out, ohe.shape, hyp.shape)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
