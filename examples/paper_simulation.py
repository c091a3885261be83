"""The paper's simulation, reproduced: exact vs heuristic PWMs from a trained CNN.

    pip install ".[test]"        # torch==2.13.0 (CPU), pyjaspar, matplotlib
    python examples/paper_simulation.py --out paper-simulation     # about 3.5 min on 2 cores

Data (seeded, in the style of Ding et al. and Koo & Eddy): 200-nt random sequences with
1-5 instances of the 12 JASPAR motifs Koo & Eddy used implanted (sampled from the PWMs,
either orientation, not overlapping); 20% of sequences hold none. Each motif is a class
(multi-label). The CNN learns whole motifs in its first layer (wide max-pooling, as
Koo & Eddy show): Conv1d(4, 64, 19, 'same') -> BatchNorm -> ReLU -> MaxPool(50) -> Dense(64)
-> ReLU -> Dense(12).

Compared on held-out sequences, per class (AUROC, AUPRC) and against the CNN's outputs
(MSE, MAPE of the predicted probabilities):

  (a) the CNN;
  (b) the exact PWM model (Theorem 2): kernels (BatchNorm folded) -> PWMs at the
      maximum-likelihood base, thresholds and dense weights derived, nothing refitted;
  (b') the same exact PWMs used like heuristic ones: log-odds scan, max-pool, refitted
      logistic regression;
  (c) DeepBind's and Koo & Eddy's heuristic PWMs from training-set fragments, same
      log-odds scan, max-pool and refitted logistic regression.

Koo & Eddy's measure of what the first layer learned: each PWM is compared with all of JASPAR
2024 CORE vertebrates (879 motifs) with Tomtom's statistics (exactpwm.compare_motifs, Pearson
columns); a filter matches a known motif when its best match has E <= 0.1 and q <= 0.1, and a
planted motif is recovered when some filter's best significant match is a matrix of that TF.
``--rematch`` recomputes this from the PWMs saved in --out, without training.
Writes results.json, results.md, figure.png and the PWMs as MEME files into --out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import exactpwm
import numpy as np

KOO_EDDY_MOTIFS = ["MA0151.1", "MA0466.2", "MA0477.1", "MA0062.2", "MA0496.1", "MA0058.3", "MA0052.3",
                   "MA0502.1", "MA0079.3", "MA0083.3", "MA0137.3", "MA0095.2"]
LENGTH, KERNELS, WIDTH, POOL = 200, 64, 19, 50


# ------------------------------------------------------------------ data
def simulate(pwms: list[np.ndarray], n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, 200) uint8 codes and (n, C) 0/1 labels: 1-5 motif instances in 80% of the sequences."""
    codes = rng.integers(0, 4, size=(n, LENGTH)).astype(np.uint8)
    labels = np.zeros((n, len(pwms)), np.float32)
    cum = [np.cumsum(p, axis=0) for p in pwms]
    for i in range(n):
        if rng.random() < 0.2:
            continue
        busy = np.zeros(LENGTH, bool)
        for c in rng.choice(len(pwms), size=rng.integers(1, 6), replace=False):
            w = pwms[c].shape[1]
            for _ in range(50):
                at = int(rng.integers(0, LENGTH - w + 1))
                if not busy[at:at + w].any():
                    break
            else:
                continue
            site = (rng.random(w)[None, :] > cum[c]).sum(axis=0).clip(0, 3).astype(np.uint8)
            codes[i, at:at + w] = site if rng.random() < 0.5 else (3 - site)[::-1]
            busy[at:at + w] = True
            labels[i, c] = 1
    return codes, labels


def one_hot(codes: np.ndarray) -> np.ndarray:
    x = np.zeros((codes.shape[0], 4, codes.shape[1]), np.float32)
    for c in range(4):
        x[:, c][codes == c] = 1
    return x


# ------------------------------------------------------------------ metrics
def auroc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties averaged)."""
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y > 0
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auprc(y: np.ndarray, s: np.ndarray) -> float:
    """Average precision: the mean, over positives, of the precision at their rank."""
    order = np.argsort(-s, kind="mergesort")
    hits = y[order] > 0
    precision = np.cumsum(hits) / np.arange(1, len(s) + 1)
    return float(precision[hits].mean())


def per_class(y: np.ndarray, scores: np.ndarray) -> dict:
    return {"auroc": [auroc(y[:, c], scores[:, c]) for c in range(y.shape[1])],
            "auprc": [auprc(y[:, c], scores[:, c]) for c in range(y.shape[1])]}


# ------------------------------------------------------------------ models
def train_cnn(torch, x, y, xv, yv, classes: int, epochs: int, seed: int):
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv1d(4, KERNELS, WIDTH, padding=WIDTH // 2), nn.BatchNorm1d(KERNELS), nn.ReLU(),
                          nn.MaxPool1d(POOL), nn.Flatten(), nn.Dropout(0.2),
                          nn.Linear(KERNELS * (LENGTH // POOL), 64), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(64, classes))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-6)
    X, Y, XV, YV = (torch.from_numpy(a) for a in (x, y, xv, yv))
    loss_fn = nn.BCEWithLogitsLoss()
    best, best_state, best_epoch = math.inf, None, 0
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        for idx in torch.randperm(len(X), generator=g).split(100):
            xb = X[idx]
            flip = torch.rand(len(idx), generator=g) < 0.5  # reverse-complement augmentation
            xb = torch.where(flip[:, None, None], torch.flip(xb, dims=(1, 2)), xb)
            opt.zero_grad()
            loss_fn(model(xb), Y[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            v = float(loss_fn(model(XV), YV))
        print(f"  epoch {epoch + 1}: validation loss {v:.4f}", flush=True)
        if v < best:
            best, best_state, best_epoch = v, {k: t.clone() for k, t in model.state_dict().items()}, epoch
        elif epoch - best_epoch >= 8:  # early stopping
            break
    model.load_state_dict(best_state)
    return model.eval()


def pwm_features(pwms: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(B, K * 4): log-odds (nats, uniform background) window scores, 'same' padding with N
    (marginalised), max-pooled over 4 bins of 50 windows as in the CNN."""
    pad = WIDTH // 2
    x = np.pad(codes, ((0, 0), (pad, pad)), constant_values=4)
    s = exactpwm.conv1d(x, np.log(pwms / 0.25))
    return s.reshape(s.shape[0], s.shape[1], LENGTH // POOL, POOL).max(axis=-1).reshape(s.shape[0], -1)


def logistic(torch, f: np.ndarray, y: np.ndarray, ft: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """Multi-label logistic regression on standardised features (L-BFGS); test probabilities."""
    mu, sd = f.mean(axis=0), f.std(axis=0) + 1e-9
    F, Y = torch.from_numpy((f - mu) / sd), torch.from_numpy(y.astype(np.float64))
    w = torch.zeros(F.shape[1], Y.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(Y.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(F @ w + b, Y) + l2 * (w ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return torch.sigmoid(torch.from_numpy((ft - mu) / sd) @ w + b).numpy()


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def agreement(p: np.ndarray, cnn: np.ndarray) -> dict:
    return {"mse": float(((p - cnn) ** 2).mean()), "mape": float((np.abs(p - cnn) / np.abs(cnn)).mean())}


# ------------------------------------------------------------------ main
def main() -> None:
    ap = argparse.ArgumentParser(description="Reproduce the exact-vs-heuristic PWM simulation.")
    ap.add_argument("--out", default="paper-simulation")
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--test", type=int, default=6000)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--replot", action="store_true",
                    help="only redraw figure.png and results.md from --out/results.json")
    ap.add_argument("--rematch", action="store_true",
                    help="only recompute the JASPAR matching from the PWMs saved in --out, then redraw")
    args = ap.parse_args()
    if args.rematch:
        with open(os.path.join(args.out, "results.json")) as f:
            results = json.load(f)
        saved = {label: exactpwm.read_motifs(os.path.join(args.out, f"{label.lower()}_pwms.meme"))
                 for label in ("exact", "DeepBind", "Koo-Eddy")}
        results["motif_matching"] = {label: known_motif_matches(ms, results["classes"])
                                     for label, ms in saved.items()}
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        args.replot = True
    if args.replot:
        with open(os.path.join(args.out, "results.json")) as f:
            results = json.load(f)
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write(report(results))
        figure(results, os.path.join(args.out, "figure.png"))
        return
    import torch
    from exactpwm.interpret.torch_model import pwm_model_from_sequential

    torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
    t0 = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    motifs = exactpwm.load_jaspar(KOO_EDDY_MOTIFS, release="JASPAR2024")
    names = [m.alt_name for m in motifs]
    planted = [m.probabilities(0.0) for m in motifs]
    rng = np.random.default_rng(args.seed)
    n_valid = max(500, args.train // 10)
    codes, y = simulate(planted, args.train + n_valid + args.test, rng)
    tr, va, te = np.split(np.arange(len(codes)), [args.train, args.train + n_valid])
    print(f"{len(codes)} sequences, {len(names)} classes; training the CNN", flush=True)
    model = train_cnn(torch, one_hot(codes[tr]), y[tr], one_hot(codes[va]), y[va], len(names), args.epochs, args.seed)
    with torch.no_grad():
        p_cnn = torch.sigmoid(model(torch.from_numpy(one_hot(codes[te])))).double().numpy()
    t_train = time.perf_counter() - t0

    # (b) exact: fold BN, fit the base, derive the PWM model; nothing is refitted
    conv, bn = model[0], model[1]
    folded, bias = exactpwm.fold_batchnorm(
        conv.weight.detach().double().numpy(), conv.bias.detach().double().numpy(),
        gamma=bn.weight.detach().double().numpy(), beta=bn.bias.detach().double().numpy(),
        mean=bn.running_mean.double().numpy(), var=bn.running_var.double().numpy(), eps=bn.eps)
    fit = exactpwm.fit_base(folded, codes[tr])
    pm, rest = pwm_model_from_sequential(model, base=float(fit.base))
    with torch.no_grad():
        p_exact = torch.sigmoid(rest(torch.from_numpy(pm(codes[te])).float())).double().numpy()
    exact_pwms = pm.pwms

    # (b') and (c): PWMs scanned as log-odds, max-pooled, logistic regression refitted
    heur = {m: exactpwm.heuristic_pwm(folded, codes[tr], m, bias=bias).pwm for m in ("deepbind", "koo")}
    refit = {}
    for label, P in (("exact PWMs + LR", exact_pwms), ("DeepBind PWMs + LR", heur["deepbind"]),
                     ("Koo-Eddy PWMs + LR", heur["koo"])):
        refit[label] = logistic(torch, pwm_features(P, codes[tr]), y[tr], pwm_features(P, codes[te]))

    results = {"classes": names, "base": float(fit.base), "n_train": int(len(tr)), "n_test": int(len(te)),
               "models": {}, "agreement_with_cnn": {}, "motif_matching": {}}
    for label, p in [("CNN", p_cnn), ("exact PWM model (Theorem 2)", p_exact), *refit.items()]:
        results["models"][label] = per_class(y[te], p)
        if label != "CNN":
            results["agreement_with_cnn"][label] = agreement(p, p_cnn)

    # Koo & Eddy's measure against JASPAR, and the PWMs as MEME files
    for label, P in (("exact", exact_pwms), ("DeepBind", heur["deepbind"]), ("Koo-Eddy", heur["koo"])):
        ms = exactpwm.MotifSet([exactpwm.Motif(f"kernel{i}", p, nsites=None) for i, p in enumerate(P)])
        results["motif_matching"][label] = known_motif_matches(ms, names)
        exactpwm.write_motifs(ms, os.path.join(args.out, f"{label.lower()}_pwms.meme"))
    results["runtime_s"] = {"train": round(t_train, 1), "total": round(time.perf_counter() - t0, 1)}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = report(results)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    figure(results, os.path.join(args.out, "figure.png"))
    print(md)


def known_motif_matches(pwms: exactpwm.MotifSet, planted_names: list[str]) -> dict:
    """Koo & Eddy's measure with Tomtom's statistics against JASPAR 2024 CORE vertebrates: filters
    whose best match is significant (E <= 0.1, q <= 0.1), and planted motifs that some filter
    matches significantly (a JASPAR matrix of that TF among its significant matches)."""
    jaspar = exactpwm.load_jaspar()
    res = exactpwm.compare_motifs(pwms, jaspar, as_frame=False)
    sig = res.significant(0.1, "evalue")
    sig = sig.rows[sig.rows["qvalue"] <= 0.1]
    planted = {n.upper(): n for n in planted_names}
    recovered = {planted[jaspar[int(t)].alt_name.upper()] for t in sig["target"]
                 if jaspar[int(t)].alt_name.upper() in planted}
    rows = []
    for r in res.best().rows:
        t = jaspar[int(r["target"])]
        rows.append({"kernel": int(r["query"]), "target": t.name, "tf": t.alt_name, "evalue": float(r["evalue"]),
                     "qvalue": float(r["qvalue"]), "significant": bool(r["evalue"] <= 0.1 and r["qvalue"] <= 0.1)})
    hits = sum(r["significant"] for r in rows)
    return {"kernels_matching": hits, "kernels": len(pwms), "fraction": hits / len(pwms),
            "motifs_recovered": sorted(recovered), "best": rows}


def report(r: dict) -> str:
    lines = [f"Held-out: {r['n_test']} sequences, {len(r['classes'])} classes; CNN trained on {r['n_train']}; "
             f"exact PWMs at the maximum-likelihood base b = {r['base']:.4g}. Runtime {r['runtime_s']['total']:.0f} s.",
             "", "| model | mean AUROC | mean AUPRC | MSE vs CNN | MAPE vs CNN |", "| --- | --- | --- | --- | --- |"]
    for label, m in r["models"].items():
        a = r["agreement_with_cnn"].get(label)
        agree = f"{a['mse']:.2e} | {a['mape']:.2%}" if a else "- | -"
        lines.append(f"| {label} | {np.mean(m['auroc']):.4f} | {np.mean(m['auprc']):.4f} | {agree} |")
    lines += ["", "| class | " + " | ".join(f"AUROC {k}" for k in r["models"]) + " |",
              "| --- |" + " --- |" * len(r["models"])]
    for c, name in enumerate(r["classes"]):
        lines.append(f"| {name} | " + " | ".join(f"{m['auroc'][c]:.3f}" for m in r["models"].values()) + " |")
    lines += ["", "Koo & Eddy's measure: filters whose best JASPAR 2024 CORE vertebrate match (Tomtom's statistics, "
              "Pearson columns) has E <= 0.1 and q <= 0.1, and planted motifs some filter matches significantly.", "",
              "| PWMs | filters matching a JASPAR motif | planted motifs recovered |",
              "| --- | --- | --- |"]
    for label, m in r["motif_matching"].items():
        lines.append(f"| {label} | {m['kernels_matching']}/{m['kernels']} ({m['fraction']:.0%}) | "
                     f"{len(m['motifs_recovered'])}/{len(r['classes'])} |")
    return "\n".join(lines) + "\n"


def figure(r: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [3, 3, 1.3]})
    labels = list(r["models"])
    x = np.arange(len(r["classes"]))
    width = 0.8 / len(labels)
    for ax, metric in zip(axes[:2], ("auroc", "auprc")):
        for i, label in enumerate(labels):
            ax.bar(x + (i - (len(labels) - 1) / 2) * width, r["models"][label][metric], width, label=label)
        ax.set_xticks(x, r["classes"], rotation=45, ha="right")
        ax.set_ylim(0.5 if metric == "auroc" else 0.0, 1.0)
        ax.set_title(metric.upper())
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    mm = r["motif_matching"]
    axes[2].bar(list(mm), [v["fraction"] for v in mm.values()], color=["C1", "C3", "C4"])
    axes[2].set_ylim(0, 1)
    axes[2].set_title("filters matching\na JASPAR motif")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
