"""DeepResolve's synthetic experiments over several trainings: how often each claim of the paper's
Figs. 2 and 4b holds for networks trained here (the tests check one seed of each).

    python bench/deep_resolve_synthetic.py --seeds 5 --json bench/results/deep_resolve_synthetic.json

For each seed: dataset I (CAGGTC AND exactly one of GCTCAT, CGCTTG) and dataset II (four classes
sharing patterns) are generated, a CNN of 32 filters of 8 bp with global max pooling and a dense
layer of 64 units is trained on each (tests/trained_models.py), and DeepResolve runs on the pooling
layer with T = 10 starts. Reported per seed: test AUC; dataset I: the mixture's components, whether
the strongest CAGGTC-only channel is additive and every strong GCTCAT- or CGCTTG-only channel
non-additive; dataset II: the components per class, and whether the class similarity, the label
correlation and the last-layer weight cosine rank pairs (1,2), (2,3), (1,3) above every pair with
class 4.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def kernel_match(W: np.ndarray, word: str) -> float:
    s = ["ACGT".index(c) for c in word]
    L = W.shape[1]
    best = max(sum(W[b, off + j] for j, b in enumerate(s) if 0 <= off + j < L) for off in range(-len(s) + 3, L - 2))
    return best / max(W.max(axis=0).clip(0).sum(), 1e-9)


def ranks_shared_pairs(M: np.ndarray) -> bool:
    return bool(min(M[0, 1], M[1, 2], M[0, 2]) > max(M[0, 3], M[1, 3], M[2, 3]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    sys.path.insert(0, "tests")
    from exactpwm.interpret.deep_resolve import deep_resolve
    from trained_models import logic_model, shared_pattern_model

    rows = []
    for seed in range(args.seeds):
        t = time.perf_counter()
        model, auc = logic_model(seed)
        res = deep_resolve(model, "pool", 50, starts=10)
        W = model.conv.weight.detach().numpy()
        match = np.array([[kernel_match(W[k], w) for w in ("CAGGTC", "GCTCAT", "CGCTTG")] for k in range(len(W))])
        ofiv, nonadd = res.ofiv[0], res.nonadditive[0]

        only = [(match[:, j] >= 0.9) & (np.delete(match, j, axis=1).max(axis=1) < 0.5) for j in range(3)]
        and_ch = np.flatnonzero(only[0])
        strong = np.abs(ofiv) >= 0.5 * np.abs(ofiv).max()
        xor = np.flatnonzero((only[1] | only[2]) & strong)
        one = {"auc": auc, "components": int(res.components[0]),
               "and_channel_additive": bool(len(and_ch)) and not bool(nonadd[and_ch[np.argmax(ofiv[and_ch])]]),
               "strong_xor_channels": int(len(xor)),
               "xor_channels_nonadditive": bool(len(xor)) and bool(nonadd[xor].all())}
        model2, labels = shared_pattern_model(seed)
        res2 = deep_resolve(model2, "pool", 50, starts=10)
        Wl = model2.out.weight.detach().double().numpy()
        Wl = Wl / np.linalg.norm(Wl, axis=1, keepdims=True)
        two = {"components": res2.components.tolist(), "similarity_ranks": ranks_shared_pairs(res2.similarity()),
               "label_correlation_ranks": ranks_shared_pairs(np.corrcoef(labels.T)),
               "weight_cosine_ranks": ranks_shared_pairs(Wl @ Wl.T)}
        rows.append({"seed": seed, "dataset_I": one, "dataset_II": two, "seconds": time.perf_counter() - t})
        print(json.dumps(rows[-1]), flush=True)
    summary = {
        "seeds": args.seeds,
        "I_nonadditivity_found": sum(r["dataset_I"]["components"] >= 2 for r in rows),
        "I_and_additive": sum(r["dataset_I"]["and_channel_additive"] for r in rows),
        "I_xor_nonadditive": sum(r["dataset_I"]["xor_channels_nonadditive"] for r in rows),
        "II_one_component_all_classes": sum(all(c == 1 for c in r["dataset_II"]["components"]) for r in rows),
        "II_similarity_ranks": sum(r["dataset_II"]["similarity_ranks"] for r in rows),
        "II_label_correlation_ranks": sum(r["dataset_II"]["label_correlation_ranks"] for r in rows),
        "II_weight_cosine_ranks": sum(r["dataset_II"]["weight_cosine_ranks"] for r in rows),
    }
    print(json.dumps(summary, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "runs": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
