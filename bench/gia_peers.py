"""Global importance analysis: exactpwm against tangermeme, in one run, on the attribution
benchmarks' reference model (bench/reference_cnn.py: 1,000 bp, a 64 x 19 first layer with
exponential activation, three dilated residual layers, global average pooling, 2 outputs).

    python bench/gia_peers.py --nulls 1000 --json bench/results/gia_peers.json

Workloads (the same null sequences for both tools: dinucleotide shuffles of seeded random DNA):
* every JASPAR 2024 CORE vertebrate motif (its consensus) embedded at the centre of each null:
  exactpwm's ``GlobalImportance.effect`` on all of them; tangermeme's ``marginalize`` motif by motif
  on the first ``--tangermeme-motifs`` of them (``predict`` at batch size 256), its time scaled to
  all. The effect sizes of those motifs are compared.
* a spacing curve of an AP-1 / GATA1 pair over 0..100 bp in the four orientations: exactpwm's
  ``spacing_curve``; tangermeme's ``space`` on ``--tangermeme-spacings`` of the 404 points, scaled.
  The pair's effects at those points are compared.
* DeepResolve, T = 10 starts for 4 classes, on the layer after the exponential (64 x 1,000 feature
  maps through the residual tower): the time (no peer runs DeepResolve today).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def consensus(m) -> str:
    return "".join("ACGT"[i] for i in m.pwm.argmax(axis=0))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nulls", type=int, default=1000)
    ap.add_argument("--tangermeme-motifs", type=int, default=7)
    ap.add_argument("--tangermeme-spacings", type=int, default=8)
    ap.add_argument("--motifs", type=int, default=0, help="first M JASPAR motifs only (0: all)")
    ap.add_argument("--skip-deepresolve", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()

    import torch
    from tangermeme.marginalize import marginalize
    from tangermeme.space import space

    sys.path.insert(0, "bench")
    from exactpwm.core.shuffle import dinucleotide_shuffle
    from exactpwm.interpret.deep_resolve import deep_resolve
    from exactpwm.interpret.gia import GlobalImportance
    from exactpwm.io.formats.jaspardb import load_jaspar
    from reference_cnn import ReferenceCNN

    torch.set_num_threads(2)
    model = ReferenceCNN().eval()
    rng = np.random.default_rng(0)
    real = rng.integers(0, 4, (args.nulls, 1000)).astype(np.uint8)
    null = dinucleotide_shuffle(real, 1, seed=1)[:, 0]
    X = torch.nn.functional.one_hot(torch.from_numpy(null.astype(np.int64)), 4).float().transpose(1, 2).contiguous()
    motifs = load_jaspar(collection="CORE", tax_group="vertebrates")
    if args.motifs:
        motifs = motifs[:args.motifs]
    words = [consensus(m) for m in motifs]
    out: dict = {"machine": "2 cores", "nulls": args.nulls, "length": 1000, "motifs": len(words),
                 "torch_threads": torch.get_num_threads()}

    # -- effect sizes of every motif ----------------------------------------------------------
    t = time.perf_counter()
    gia = GlobalImportance(model, null, output=0)
    effects = gia.effect(dict(zip([m.name for m in motifs], words)))
    t_ours = time.perf_counter() - t
    M = args.tangermeme_motifs
    t = time.perf_counter()
    theirs = []
    for w in words[:M]:
        r = marginalize(model, X, w, batch_size=256)
        theirs.append(float((r.y_after[:, 0] - r.y_before[:, 0]).double().mean()))
    t_tm = time.perf_counter() - t
    diff = np.abs(np.array(theirs) - effects["mean"][:M])
    out["effects"] = {"exactpwm_s": t_ours, "path": gia.runner.method,
                      "tangermeme_s_measured": t_tm, "tangermeme_motifs": M,
                      "tangermeme_s_scaled_to_all": t_tm / M * len(words),
                      "speedup": t_tm / M * len(words) / t_ours,
                      "max_abs_difference": float(diff.max()),
                      "max_abs_effect": float(np.abs(effects["mean"][:M]).max())}
    print(json.dumps({"effects": out["effects"]}, indent=1), flush=True)

    # -- spacing curve --------------------------------------------------------------------------
    ap1, gata = "TGACTCA", "AGATAAG"
    spacings = range(0, 101)
    t = time.perf_counter()
    curve = gia.spacing_curve(ap1, gata, spacings=spacings)
    t_ours = time.perf_counter() - t
    rc = {"TGACTCA": "TGAGTCA", "AGATAAG": "CTTATCT"}
    S = args.tangermeme_spacings
    picks = np.linspace(0, 100, S).astype(int)
    t = time.perf_counter()
    diffs = []
    for o in ("++", "+-", "-+", "--"):
        a = ap1 if o[0] == "+" else rc[ap1]
        b = gata if o[1] == "+" else rc[gata]
        r = space(model, X, [a, b], torch.tensor(picks[:, None]), batch_size=256)
        eff = (r.y_afters[..., 0] - r.y_before[:, None, 0]).double().mean(dim=0).numpy()  # (spacings,)
        ours = curve["mean"][(curve["orientation"] == o)][picks]
        diffs.append(float(np.abs(eff - ours).max()))
    t_tm = time.perf_counter() - t
    points = 4 * len(spacings)
    out["spacing"] = {"exactpwm_s": t_ours, "points": points, "tangermeme_s_measured": t_tm,
                      "tangermeme_points": 4 * S, "tangermeme_s_scaled_to_all": t_tm / (4 * S) * points,
                      "speedup": t_tm / (4 * S) * points / t_ours, "max_abs_difference": max(diffs),
                      "peak_spacing_pp": int(np.argmax(curve["mean"][curve["orientation"] == "++"]))}
    print(json.dumps({"spacing": out["spacing"]}, indent=1), flush=True)

    # -- DeepResolve ---------------------------------------------------------------------------
    if not args.skip_deepresolve:
        four = ReferenceCNN(outputs=4).eval()
        t = time.perf_counter()
        res = deep_resolve(four, "act", 1000, starts=10, steps=300)
        out["deep_resolve"] = {"seconds": time.perf_counter() - t, "classes": 4, "starts": 10, "steps": 300,
                               "layer": "act (64 x 1000)", "components": res.components.tolist()}
        print(json.dumps({"deep_resolve": out["deep_resolve"]}, indent=1), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
