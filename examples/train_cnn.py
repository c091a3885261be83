"""Train the small CNN whose first-layer kernels ship as exactpwm/data/example_cnn.npz.

    pip install ".[torch]" && python examples/train_cnn.py

A DeepBind-like model: Conv1d(4, 8, 15) applied to both strands (the reverse
complement shares the weights), ReLU, global max pooling over positions and
strands, then a linear layer to four outputs, one per planted motif
(multi-label). Trained on exactpwm.app.example_data.training_set (seeded), so the
file it writes is reproducible up to PyTorch's CPU arithmetic.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from exactpwm.app.example_data import training_set


class SmallCNN(torch.nn.Module):
    def __init__(self, n_kernels: int = 8, width: int = 15, n_out: int = 4):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, n_kernels, width)
        self.out = torch.nn.Linear(n_kernels, n_out)

    def forward(self, x):  # x: (B, 4, n) one-hot
        rc = x.flip(1).flip(2)  # reverse complement of A,C,G,T one-hot
        h = torch.relu(torch.cat([self.conv(x), self.conv(rc)], dim=2))
        return self.out(h.amax(dim=2))


def one_hot(codes: np.ndarray) -> torch.Tensor:
    x = np.zeros((codes.shape[0], 4, codes.shape[1]), np.float32)
    np.put_along_axis(x, codes[:, None, :].astype(np.int64), 1.0, axis=1)
    return torch.from_numpy(x)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels > 0
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=str(Path(__file__).parents[1] / "python/exactpwm/data/example_cnn.npz"))
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=12)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    codes, labels = training_set(rng, n=20_000)
    test_codes, test_labels = training_set(rng, n=4_000)
    x, y = one_hot(codes), torch.from_numpy(labels)
    model = SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        with torch.no_grad():
            pred = model(one_hot(test_codes)).numpy()
        aucs = [auc(pred[:, k], test_labels[:, k]) for k in range(labels.shape[1])]
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}  test AUC {' '.join(f'{a:.3f}' for a in aucs)}")
    np.savez_compressed(args.output, weight=model.conv.weight.detach().numpy(),
                        bias=model.conv.bias.detach().numpy(), test_auc=np.array(aucs), seed=args.seed)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
