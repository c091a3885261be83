"""Attribution maps: exactpwm against tangermeme and captum, side by side in one run (issue 28).

    python bench/attribution_peers.py --sequences 200 --ism-sequences 20 \
        --json bench/results/attribution_peers.json

Model: bench/reference_cnn.py (64 x 19 convolution with exp activation, three dilated residual
layers, global average pooling, a linear head), seeded weights, float32, 2 CPU threads.
Sequences: seeded random 1-kb one-hot with 3 planted motif sites each; references: 20
dinucleotide shuffles of each (exactpwm's seeded shuffle), the same references given to every tool.

Each job runs in its own process (time, and peak resident memory from VmHWM):
* DeepSHAP: exactpwm ``attribute(method="deepshap")`` (rules read from the graph, nothing
  registered); tangermeme ``deep_lift_shap`` with the exp rule registered by hand
  (``additional_nonlinear_ops={Exp: _nonlinear}``) and without it (its default on this model);
  captum ``DeepLift`` over the same pairs (it has no rule for a custom Exp module).
* Integrated gradients from the all-zero input: exactpwm (steps chosen for completeness 1e-3)
  and captum ``IntegratedGradients`` (50 steps, its default).
* Saliency: exactpwm and captum ``Saliency``.
* ISM over the whole 1 kb: exactpwm ``saturation_mutagenesis`` (local windows read from the graph)
  and tangermeme ``saturation_mutagenesis(raw_outputs=True)``.

Reported: seconds, peak MB, additivity (completeness) of each map, per sequence: |sum of
contributions - (f(x) - mean f(ref))| over |f(x) - mean f(ref)|; agreement between tools (Pearson
of the per-position contributions, and largest difference).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one_job(job: str, data: str, out: str) -> None:
    import torch

    torch.set_num_threads(2)
    sys.path.insert(0, HERE)
    from reference_cnn import Exp, ReferenceCNN

    d = np.load(data)
    X, refs = d["X"], d["refs"]  # (N, 4, L), (N, R, 4, L) float32
    model = ReferenceCNN().eval()
    N, R = refs.shape[:2]
    result: dict = {}
    t0 = time.perf_counter()
    if job == "exactpwm_deepshap":
        from exactpwm.interpret.attribution import attribute

        a = attribute(model, X, method="deepshap", baseline=refs)
        result["attr"] = a.attributions
    elif job.startswith("tangermeme_deepshap"):
        from tangermeme.deep_lift_shap import _nonlinear, deep_lift_shap

        extra = {Exp: _nonlinear} if job == "tangermeme_deepshap" else None
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            attr = deep_lift_shap(model, torch.from_numpy(X), references=torch.from_numpy(refs), device="cpu",
                                  additional_nonlinear_ops=extra, batch_size=64, random_state=0, verbose=False)
        result["attr"] = attr.numpy().astype(np.float64)
        result["warnings"] = np.array(len(caught))
    elif job == "captum_deeplift":
        from captum.attr import DeepLift

        dl = DeepLift(model)
        total = np.zeros(X.shape)
        for s in range(N):
            xs = torch.from_numpy(np.repeat(X[s:s + 1], R, axis=0))
            a = dl.attribute(xs, baselines=torch.from_numpy(refs[s]), target=0)
            total[s] = a.detach().double().numpy().mean(axis=0)
        result["attr"] = total
    elif job == "exactpwm_ig":
        from exactpwm.interpret.attribution import attribute

        a = attribute(model, X, method="ig", baseline="zero")
        result["attr"], result["steps"] = a.attributions, np.array(a.steps)
    elif job == "captum_ig":
        from captum.attr import IntegratedGradients

        ig = IntegratedGradients(model)
        parts = [ig.attribute(torch.from_numpy(X[a:a + 16]), target=0, n_steps=50).detach().double().numpy()
                 for a in range(0, N, 16)]
        result["attr"] = np.concatenate(parts)
    elif job == "exactpwm_saliency":
        from exactpwm.interpret.attribution import attribute

        result["attr"] = attribute(model, X, method="saliency").attributions
    elif job == "captum_saliency":
        from captum.attr import Saliency

        parts = [Saliency(model).attribute(torch.from_numpy(X[a:a + 64]), target=0, abs=False).double().numpy()
                 for a in range(0, N, 64)]
        result["attr"] = np.concatenate(parts)
    elif job == "exactpwm_ism":
        from exactpwm.interpret.ism import saturation_mutagenesis

        y0, y = saturation_mutagenesis(model, X)
        result["y"] = y
    elif job == "tangermeme_ism":
        from tangermeme.saturation_mutagenesis import saturation_mutagenesis

        r = saturation_mutagenesis(model, torch.from_numpy(X), raw_outputs=True, device="cpu", verbose=False)
        result["y"] = r.y_hat.double().numpy()
    else:
        raise SystemExit(f"unknown job {job}")
    seconds = time.perf_counter() - t0
    np.savez(out, seconds=seconds, peak_mb=peak_mb(), **result)


def run_job(job: str, data: str, folder: str) -> dict:
    out = os.path.join(folder, job + ".npz")
    subprocess.run([sys.executable, __file__, "--one", job, "--data", data, "--out", out], check=True)
    r = np.load(out)
    return {k: r[k] for k in r.files}


def outputs(X: np.ndarray) -> np.ndarray:
    import torch

    sys.path.insert(0, HERE)
    from reference_cnn import ReferenceCNN

    model = ReferenceCNN().eval()
    with torch.no_grad():
        return np.concatenate([model(torch.from_numpy(X[a:a + 256])).double().numpy()[:, 0]
                               for a in range(0, len(X), 256)])


def additivity(attr: np.ndarray, diff: np.ndarray) -> dict:
    rel = np.abs(attr.sum(axis=(1, 2)) - diff) / np.maximum(np.abs(diff), 1e-12)
    return {"mean_relative_error": float(rel.mean()), "max_relative_error": float(rel.max()),
            "max_abs_error": float(np.abs(attr.sum(axis=(1, 2)) - diff).max())}


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    pa, pb = a.sum(axis=1).ravel(), b.sum(axis=1).ravel()
    return {"pearson": float(np.corrcoef(pa, pb)[0, 1]), "max_abs_difference": float(np.abs(a - b).max())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=200)
    ap.add_argument("--ism-sequences", type=int, default=20)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--shuffles", type=int, default=20)
    ap.add_argument("--jobs", default="all", help="comma-separated job names, or all")
    ap.add_argument("--json")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one_job(args.one, args.data, args.out)
        return 0

    from exactpwm.core.shuffle import dinucleotide_shuffle

    sys.path.insert(0, HERE)
    from reference_cnn import planted_sequences

    codes = planted_sequences(args.sequences, args.length, seed=0)
    eye = np.eye(4, dtype=np.float32)
    X = np.ascontiguousarray(eye[codes].transpose(0, 2, 1))
    refs = np.ascontiguousarray(eye[dinucleotide_shuffle(codes, args.shuffles, seed=0)].transpose(0, 1, 3, 2))
    f = outputs(X)
    f_refs = outputs(refs.reshape((-1,) + X.shape[1:])).reshape(refs.shape[:2]).mean(axis=1)
    f_zero = outputs(np.zeros_like(X[:1]))[0]
    report: dict = {"sequences": args.sequences, "length": args.length, "shuffles": args.shuffles,
                    "ism_sequences": args.ism_sequences, "threads": 2, "jobs": {}}
    names = ["exactpwm_deepshap", "tangermeme_deepshap", "tangermeme_deepshap_noexp", "captum_deeplift",
             "exactpwm_ig", "captum_ig", "exactpwm_saliency", "captum_saliency", "exactpwm_ism", "tangermeme_ism"]
    if args.jobs != "all":
        names = [n for n in names if n in args.jobs.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "data.npz")
        ism_data = os.path.join(folder, "ism.npz")
        np.savez(data, X=X, refs=refs)
        np.savez(ism_data, X=X[:args.ism_sequences], refs=refs[:args.ism_sequences])
        results = {}
        for job in names:
            r = run_job(job, ism_data if job.endswith("_ism") else data, folder)
            results[job] = r
            entry = {"seconds": round(float(r["seconds"]), 3), "peak_mb": round(float(r["peak_mb"]), 1)}
            if "attr" in r:
                diff = f - (f_zero if job.endswith("_ig") else f_refs)
                if "saliency" not in job:
                    entry["additivity"] = additivity(r["attr"], diff)
            if "warnings" in r:
                entry["warnings"] = int(r["warnings"])
            if "steps" in r:
                entry["steps"] = int(r["steps"])
            report["jobs"][job] = entry
            print(job, json.dumps(entry), flush=True)
    pairs = [("exactpwm_deepshap", "tangermeme_deepshap"), ("exactpwm_deepshap", "tangermeme_deepshap_noexp"),
             ("exactpwm_deepshap", "captum_deeplift"), ("exactpwm_ig", "captum_ig"),
             ("exactpwm_saliency", "captum_saliency")]
    report["agreement"] = {}
    for a, b in pairs:
        if a in results and b in results:
            report["agreement"][f"{a} vs {b}"] = agreement(results[a]["attr"], results[b]["attr"])
            if b == "tangermeme_deepshap_noexp":
                top_a = results[a]["attr"].sum(axis=1).argmax(axis=1)
                top_b = results[b]["attr"].sum(axis=1).argmax(axis=1)
                report["agreement"][f"{a} vs {b}"]["top_position_agrees"] = float((top_a == top_b).mean())
    if "exactpwm_ism" in results and "tangermeme_ism" in results:
        ya, yb = results["exactpwm_ism"]["y"], results["tangermeme_ism"]["y"]
        report["agreement"]["exactpwm_ism vs tangermeme_ism"] = {"max_abs_difference": float(np.abs(ya - yb).max())}
    ratios = {}
    for ours, peer in [("exactpwm_deepshap", "tangermeme_deepshap"), ("exactpwm_deepshap", "captum_deeplift"),
                       ("exactpwm_ig", "captum_ig"), ("exactpwm_saliency", "captum_saliency"),
                       ("exactpwm_ism", "tangermeme_ism")]:
        if ours in report["jobs"] and peer in report["jobs"]:
            a, b = report["jobs"][ours], report["jobs"][peer]
            ratios[f"{peer} / {ours} (time)"] = round(b["seconds"] / a["seconds"], 2)
            ratios[f"{ours} / {peer} (peak memory)"] = round(a["peak_mb"] / b["peak_mb"], 2)
    report["ratios"] = ratios
    print(json.dumps({"agreement": report["agreement"], "ratios": ratios}, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
