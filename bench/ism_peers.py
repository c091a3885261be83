"""In-silico saturation mutagenesis through a first layer: exactpwm against tangermeme, in one run.

    python bench/ism_peers.py --sequences 1000 --tangermeme-sequences 100 --json bench/results/ism_1000x1000.json

Workload: N seeded random 1,000-bp sequences, every substitution (3 per position), through a
first layer of 64 kernels of width 15 with global max pooling (each kernel's maximum activation).
exactpwm: `first_layer_ism` on all N. tangermeme: `saturation_mutagenesis(raw_outputs=True)` on
the equivalent torch model (Conv1d + max over the length) on the first M sequences, CPU, its
defaults (its fastISM path engages when the job would take over 30 s); its time is scaled to N.
The outputs agree to float32 rounding (checked on those M).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=1000)
    ap.add_argument("--tangermeme-sequences", type=int, default=100)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--json")
    args = ap.parse_args()

    import torch
    from exactpwm.interpret.ism import first_layer_ism
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    rng = np.random.default_rng(0)
    K, L = 64, 15
    W = rng.normal(size=(K, 4, L)).astype(np.float32)
    bias = rng.normal(size=K).astype(np.float32)
    X = rng.integers(0, 4, (args.sequences, args.length)).astype(np.uint8)

    t = time.perf_counter()
    y0, y = first_layer_ism(W, X, bias)
    t_ours = time.perf_counter() - t

    class FirstLayer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(4, K, L)
            self.conv.weight.data = torch.from_numpy(W)
            self.conv.bias.data = torch.from_numpy(bias)

        def forward(self, x):
            return self.conv(x).max(dim=-1).values

    M = args.tangermeme_sequences
    one_hot = torch.nn.functional.one_hot(torch.from_numpy(X[:M]).long(), 4).permute(0, 2, 1).float()
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r0, r = saturation_mutagenesis(FirstLayer().eval(), one_hot, raw_outputs=True, device="cpu")
    t_tm = (time.perf_counter() - t) * args.sequences / M
    diff = float(np.abs(r.numpy() - y[:M]).max())
    res = {
        "workload": f"{args.sequences} x {args.length}-bp sequences, every substitution, first layer of {K} "
                    f"kernels of width {L} + global max pooling, CPU, 2 cores",
        "exactpwm_seconds": t_ours, "tangermeme_seconds_scaled": t_tm, "tangermeme_measured_on": M,
        "speedup": t_tm / t_ours, "max_abs_difference": diff,
        "max_abs_activation": float(np.abs(y0).max()),
        "tangermeme_warnings": sorted({str(w.message)[:120] for w in caught}),
    }
    print(json.dumps(res, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
