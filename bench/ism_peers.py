"""In-silico saturation mutagenesis: exactpwm against tangermeme, in one run, on two models.

    python bench/ism_peers.py --sequences 1000 --tangermeme-sequences 100 --json bench/results/ism_1000x1000.json

Workload: N seeded random 1,000-bp sequences, every substitution (3 per position), through
* a first layer of 64 kernels of width 15 with global max pooling (each kernel's maximum
  activation): exactpwm's `first_layer_ism`;
* a whole DeepBind-style model, the same layer then ReLU, global max pooling and a dense layer of
  2 outputs, as a PWMModel: exactpwm's `pwm_model_ism`.
tangermeme: `saturation_mutagenesis(raw_outputs=True)` on the equivalent torch model on the first
M sequences, CPU, its defaults (its fastISM path engages when the job would take over 30 s); its
time is scaled to N. The outputs agree to float32 rounding (checked on those M).
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
    from exactpwm import PWMModel
    from exactpwm.interpret.ism import first_layer_ism, pwm_model_ism
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    rng = np.random.default_rng(0)
    K, L, outputs = 64, 15, 2
    W = rng.normal(size=(K, 4, L)).astype(np.float32)
    bias = rng.normal(size=K).astype(np.float32)
    dense_w = (rng.normal(size=(outputs, K)) / 8).astype(np.float32)
    dense_b = rng.normal(size=outputs).astype(np.float32)
    X = rng.integers(0, 4, (args.sequences, args.length)).astype(np.uint8)

    class Net(torch.nn.Module):
        def __init__(self, whole: bool):
            super().__init__()
            self.whole = whole
            self.conv = torch.nn.Conv1d(4, K, L)
            self.conv.weight.data = torch.from_numpy(W)
            self.conv.bias.data = torch.from_numpy(bias)
            self.dense = torch.nn.Linear(K, outputs)
            self.dense.weight.data = torch.from_numpy(dense_w)
            self.dense.bias.data = torch.from_numpy(dense_b)

        def forward(self, x):
            if not self.whole:
                return self.conv(x).max(dim=-1).values
            return self.dense(torch.relu(self.conv(x)).max(dim=-1).values)

    M = args.tangermeme_sequences
    one_hot = torch.nn.functional.one_hot(torch.from_numpy(X[:M]).long(), 4).permute(0, 2, 1).float()
    model = PWMModel.from_layers(W, bias, dense_weight=dense_w, dense_bias=dense_b)
    runs = {"first_layer": (lambda: first_layer_ism(W, X, bias), Net(False)),
            "pwm_model": (lambda: pwm_model_ism(model, X), Net(True))}
    res: dict = {"sequences": args.sequences, "length": args.length, "tangermeme_measured_on": M}
    for name, (ours, net) in runs.items():
        t = time.perf_counter()
        y0, y = ours()
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r0, r = saturation_mutagenesis(net.eval(), one_hot, raw_outputs=True, device="cpu")
        t_tm = (time.perf_counter() - t) * args.sequences / M
        res[name] = {
            "workload": f"{args.sequences} x {args.length}-bp sequences, every substitution, a first layer of {K} "
                        f"kernels of width {L} + global max pooling" + (
                            f" (ReLU) + a dense layer of {outputs} outputs, as a PWMModel" if net.whole else "")
                        + ", CPU, 2 cores",
            "exactpwm_seconds": t_ours, "tangermeme_seconds_scaled": t_tm,
            "speedup": t_tm / t_ours, "max_abs_difference": float(np.abs(r.numpy() - y[:M]).max()),
            "max_abs_output": float(np.abs(y0).max()),
            "tangermeme_warnings": sorted({str(w.message)[:120] for w in caught}),
        }
    print(json.dumps(res, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
