"""The attribution zoo: the anchors' failure reports as models, and each tool's additivity error on
them, side by side in one run (issue 28).

    python bench/attribution_zoo.py --json bench/results/attribution_zoo.json

Models (float32, seeded): a ReLU module used twice; F.relu calls; a twin (strand-shared)
convolution; a BPNet-style profile head (log-softmax over positions, one position attributed); an
exp activation (a module); a residual dilated tower. Sequences: 20 seeded random 200-bp; references:
10 dinucleotide shuffles of each, the same for every tool. Error: per sequence, |sum of the map -
(f(x) - mean f(ref))| over |f(x) - mean f(ref)|, the largest over the sequences; "refused" when the
tool raised. exactpwm's own check (1e-4 relative, floored at what float32 rounding of the outputs
explains) is reported beside its error: "passed", or "raised" (the map would not be returned).

* exactpwm: ``attribute(method="deepshap")`` (nothing registered);
* tangermeme: ``deep_lift_shap`` with its defaults (rules by module type, through hooks);
* captum: ``DeepLift`` on each (sequence, reference) pair, averaged.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

L = 200


class ReusedReLU(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv1d(4, 16, 11, padding=5), nn.Conv1d(16, 16, 5, padding=2)
        self.act = nn.ReLU()
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        return self.head(self.act(self.c2(self.act(self.c1(x)))).mean(-1))


class FunctionalReLU(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv1d(4, 16, 11, padding=5), nn.Conv1d(16, 16, 5, padding=2)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        return self.head(F.relu(self.c2(F.relu(self.c1(x)))).mean(-1))


class Twin(nn.Module):  # both strands through one convolution
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 16, 11, padding=5)
        self.fwd, self.rev = nn.ReLU(), nn.ReLU()
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        h = self.fwd(self.conv(x)) + self.rev(self.conv(x.flip(1, 2))).flip(-1)
        return self.head(h.mean(-1))


class ProfileHead(nn.Module):  # BPNet: log-softmax over positions
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 16, 11, padding=5)
        self.act = nn.ReLU()
        self.profile = nn.Conv1d(16, 1, 25, padding=12)

    def forward(self, x):
        return torch.log_softmax(self.profile(self.act(self.conv(x))).flatten(1), dim=-1)


class Exp(nn.Module):
    def forward(self, x):
        return torch.exp(x)


class ExpActivation(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 16, 11, padding=5)
        self.conv.weight.data *= 0.5
        self.act = Exp()
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        return self.head(self.act(self.conv(x)).mean(-1))


class Residual(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.conv = nn.Conv1d(16, 16, 3, padding=d, dilation=d)
        self.act = nn.ReLU()

    def forward(self, x):
        return x + self.act(self.conv(x))


class DilatedTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 16, 11, padding=5)
        self.act = nn.ReLU()
        self.tower = nn.Sequential(Residual(2), Residual(4), Residual(8))
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        return self.head(self.tower(self.act(self.conv(x))).mean(-1))


ZOO = [ReusedReLU, FunctionalReLU, Twin, ProfileHead, ExpActivation, DilatedTower]


def error(attr: np.ndarray, f: np.ndarray, f_ref: np.ndarray) -> float:
    diff = f - f_ref
    return float((np.abs(attr.sum(axis=(1, 2)) - diff) / np.maximum(np.abs(diff), 1e-12)).max())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=20)
    ap.add_argument("--shuffles", type=int, default=10)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(2)
    from exactpwm.core.shuffle import dinucleotide_shuffle
    from exactpwm.interpret.attribution import attribute

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, (args.sequences, L)).astype(np.uint8)
    eye = np.eye(4, dtype=np.float32)
    X = np.ascontiguousarray(eye[codes].transpose(0, 2, 1))
    refs = np.ascontiguousarray(eye[dinucleotide_shuffle(codes, args.shuffles, seed=0)].transpose(0, 1, 3, 2))
    report = {}
    for make in ZOO:
        torch.manual_seed(0)
        model = make().eval()
        target = L // 2 if make is ProfileHead else 0
        with torch.no_grad():
            f = model(torch.from_numpy(X))[:, target].double().numpy()
            f_ref = model(torch.from_numpy(refs.reshape((-1, 4, L))))[:, target].double().numpy()
        f_ref = f_ref.reshape(refs.shape[:2]).mean(axis=1)
        row: dict = {}
        a = attribute(model, X, method="deepshap", baseline=refs, target=target, check=False)
        row["exactpwm"] = error(a.attributions, f, f_ref)
        row["exactpwm_own_check"] = "passed" if float(a.relative_delta.max()) <= a.tolerance else "raised"
        try:
            from tangermeme.deep_lift_shap import deep_lift_shap

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t = deep_lift_shap(model, torch.from_numpy(X), references=torch.from_numpy(refs), target=target,
                                   device="cpu", random_state=0, verbose=False)
            row["tangermeme"] = error(t.numpy().astype(np.float64), f, f_ref)
            row["tangermeme_warnings"] = len(caught)
        except Exception as exc:  # noqa: BLE001 - a refusal is a result
            row["tangermeme"] = f"refused: {type(exc).__name__}: {str(exc)[:120]}"
        try:
            from captum.attr import DeepLift

            total = np.zeros(X.shape)
            for s in range(len(X)):
                xs = torch.from_numpy(np.repeat(X[s:s + 1], args.shuffles, axis=0))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    c = DeepLift(model).attribute(xs, baselines=torch.from_numpy(refs[s]), target=target)
                total[s] = c.detach().double().numpy().mean(axis=0)
            row["captum"] = error(total, f, f_ref)
        except Exception as exc:  # noqa: BLE001
            row["captum"] = f"refused: {type(exc).__name__}: {str(exc)[:120]}"
        report[make.__name__] = row
        print(make.__name__, json.dumps(row), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"sequences": args.sequences, "length": L, "shuffles": args.shuffles,
                       "largest_relative_additivity_error": report}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
