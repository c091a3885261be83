"""What each attribution method says on XOR logic: DeepResolve's synthetic dataset I.

    pip install ".[torch]" && python examples/xor_attributions.py --out examples/results/xor

Data (Liu et al. 2019, synthetic dataset I, scaled down): 100-bp random sequences, each holding
patterns drawn from CAGGTC, GCTCAT and CGCTTG at random places; label 1 only when CAGGTC is there
with exactly one of GCTCAT and CGCTTG (AND, then XOR); random sequences are labelled 0 too. A
small CNN (32 kernels of width 8, ReLU, global max pooling, a hidden layer of 32, one logit) is
trained on the CPU, seeded.

Then, on a positive example (CAGGTC and GCTCAT) and a negative one (all three), each method's
score of each pattern (the map summed over its six bases) for the logit, and the logit after
deleting patterns (each replaced by random letters, the mean over 20), which shows the interaction
that no per-base map can: the table goes to ``OUT/table.md``, the numbers to ``OUT/xor.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

PATTERNS = {"CAGGTC": "AND", "GCTCAT": "XOR", "CGCTTG": "XOR"}
LENGTH = 100


def make_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, LENGTH) codes and (n,) labels: 5/6 with a random subset of the patterns, 1/6 random."""
    from exactpwm.core.sequence import encode

    codes = rng.integers(0, 4, (n, LENGTH)).astype(np.uint8)
    labels = np.zeros(n, np.float32)
    words = [encode(p) for p in PATTERNS]
    for i in range(n):
        if rng.random() < 1 / 6:
            continue  # a random sequence, label 0
        present = rng.random(3) < 0.5
        slots = rng.choice(np.arange(0, LENGTH - 6, 8), size=3, replace=False)  # apart, in random places
        for k in np.flatnonzero(present):
            codes[i, slots[k]:slots[k] + 6] = words[k]
        labels[i] = float(present[0] and present[1] != present[2])
    return codes, labels


class XorCNN(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv1d(4, 32, 8)
        self.hidden = torch.nn.Linear(32, 32)
        self.out = torch.nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv(x)).amax(dim=-1)
        return self.out(torch.relu(self.hidden(h)))


def one_hot(codes: np.ndarray) -> torch.Tensor:
    eye = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
    return torch.from_numpy(eye[codes].transpose(0, 2, 1).copy())


def train(codes: np.ndarray, labels: np.ndarray, epochs: int, seed: int) -> tuple[XorCNN, float]:
    torch.manual_seed(seed)
    model = XorCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n_train = int(0.9 * len(codes))
    x, y = one_hot(codes), torch.from_numpy(labels)[:, None]
    loss_fn = torch.nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(n_train, generator=gen).split(128):
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(x[n_train:])[:, 0] > 0
    accuracy = float((pred == (y[n_train:, 0] > 0.5)).float().mean())
    return model, accuracy


def example(kinds: tuple[str, ...], rng: np.random.Generator) -> tuple[np.ndarray, dict[str, int]]:
    from exactpwm.core.sequence import encode

    codes = rng.integers(0, 4, LENGTH).astype(np.uint8)
    where = {}
    for k, p in enumerate(PATTERNS):
        if p in kinds:
            at = 10 + 30 * k
            codes[at:at + 6] = encode(p)
            where[p] = at
    return codes, where


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="examples/results/xor")
    ap.add_argument("--sequences", type=int, default=30_000)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from exactpwm.interpret.attribution import attribute

    torch.set_num_threads(2)
    rng = np.random.default_rng(args.seed)
    codes, labels = make_data(args.sequences, rng)
    t0 = time.perf_counter()
    model, accuracy = train(codes, labels, args.epochs, args.seed)
    trained = time.perf_counter() - t0
    cases = {"positive (CAGGTC + GCTCAT)": ("CAGGTC", "GCTCAT"),
             "negative (all three)": ("CAGGTC", "GCTCAT", "CGCTTG")}
    methods = ["saliency", "gxi", "ig", "deepshap", "ism", "occlusion"]
    report: dict = {"accuracy": accuracy, "train_seconds": round(trained, 1), "sequences": args.sequences,
                    "epochs": args.epochs, "cases": {}}
    rows = []
    for case, kinds in cases.items():
        seq, where = example(kinds, np.random.default_rng(7))
        with torch.no_grad():
            logit = float(model(one_hot(seq[None]))[0, 0])
        entry: dict = {"logit": logit, "scores": {}, "deleted": {}}
        for method in methods:
            a = attribute(model, seq[None], method=method, n_shuffles=20, seed=1, window=6)
            per_base = a.attributions.sum(axis=1)[0]
            entry["scores"][method] = {p: float(per_base[at:at + 6].sum()) for p, at in where.items()}
        # the logit with patterns deleted, each replaced by random letters (mean over 20)
        present = list(where)
        for r in range(1, len(present) + 1):
            for gone in _subsets(present, r):
                replaced = np.repeat(seq[None], 20, axis=0)
                fill = np.random.default_rng(3)
                for p in gone:
                    at = where[p]
                    replaced[:, at:at + 6] = fill.integers(0, 4, (20, 6))
                with torch.no_grad():
                    entry["deleted"][" + ".join(gone)] = float(model(one_hot(replaced))[:, 0].mean())
        report["cases"][case] = entry
        for method in methods:
            rows.append((case, method, *(f"{entry['scores'][method].get(p, float('nan')):+.2f}"
                                         if p in where else "absent" for p in PATTERNS)))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "xor.json"), "w") as f:
        json.dump(report, f, indent=1)
    lines = [f"Held-out accuracy {accuracy:.3f} ({args.sequences:,} sequences, {args.epochs} epochs, "
             f"{trained:.0f} s on 2 CPU threads).", "",
             "| example | method | CAGGTC (AND) | GCTCAT (XOR) | CGCTTG (XOR) |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    lines += ["", "| example | logit | logit with patterns deleted |", "|---|---|---|"]
    for case, entry in report["cases"].items():
        deleted = "; ".join(f"{k}: {v:+.2f}" for k, v in entry["deleted"].items())
        lines.append(f"| {case} | {entry['logit']:+.2f} | {deleted} |")
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def _subsets(items: list[str], r: int) -> list[tuple[str, ...]]:
    from itertools import combinations

    return list(combinations(items, r))


if __name__ == "__main__":
    raise SystemExit(main())
