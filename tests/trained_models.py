"""Small CNNs trained at test time on DeepResolve's and GIA's synthetic datasets (seeded; about
5-10 s each on 2 cores), shared by the tests of hypotheses tested on models."""

from __future__ import annotations

import numpy as np
import torch


class MaxPoolCNN(torch.nn.Module):
    """DeepResolve's networks (32 filters of 8 bp, a dense layer of 64 units) with global max
    pooling: ``pool`` is the layer DeepResolve reads."""

    def __init__(self, outputs: int, filters: int = 32):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, filters, 8)
        self.relu = torch.nn.ReLU()
        self.pool = torch.nn.AdaptiveMaxPool1d(1)
        self.fc = torch.nn.Linear(filters, 64)
        self.relu2 = torch.nn.ReLU()
        self.out = torch.nn.Linear(64, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.relu2(self.fc(self.pool(self.relu(self.conv(x))).flatten(1))))


class PairCNN(torch.nn.Module):
    """Two 'same' convolutions (the second wide enough to see a pair) and global max pooling."""

    def __init__(self, filters: int = 32):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(4, filters, 11, padding=5)
        self.relu1 = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv1d(filters, filters, 25, padding=12)
        self.relu2 = torch.nn.ReLU()
        self.pool = torch.nn.AdaptiveMaxPool1d(1)
        self.out = torch.nn.Linear(filters, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.pool(self.relu2(self.conv2(self.relu1(self.conv1(x))))).flatten(1))


def one_hot(codes: np.ndarray) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.from_numpy(codes.astype(np.int64)), 4).float().transpose(1, 2).contiguous()


def fit(model: torch.nn.Module, codes: np.ndarray, labels: np.ndarray, seed: int, epochs: int = 10,
        lr: float = 2e-3) -> torch.nn.Module:
    torch.manual_seed(seed)
    X, Y = one_hot(codes), torch.from_numpy(labels.reshape(len(codes), -1))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss = torch.nn.BCEWithLogitsLoss()
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=g)
        for a in range(0, len(X), 128):
            idx = perm[a:a + 128]
            opt.zero_grad()
            loss(model(X[idx]), Y[idx]).backward()
            opt.step()
    return model.eval()


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(len(scores))
    pos = labels == 1
    return float((ranks[pos].mean() - (pos.sum() - 1) / 2) / (len(labels) - pos.sum()))


def logic_model(seed: int = 2, n: int = 40000) -> tuple[torch.nn.Module, float]:
    """Dataset I (CAGGTC AND (GCTCAT XOR CGCTTG)), 50 bp; returns the model and its test AUC."""
    from exactpwm.app.synthetic import logic_dataset

    torch.manual_seed(seed)
    codes, y = logic_dataset(np.random.default_rng(seed), n + 4000)
    torch.manual_seed(seed)
    model = fit(MaxPoolCNN(1), codes[:n], y[:n], seed)
    with torch.no_grad():
        p = model(one_hot(codes[n:])).reshape(-1).numpy()
    return model, auc(p, y[n:])


def shared_pattern_model(seed: int = 1, n: int = 40000) -> tuple[torch.nn.Module, np.ndarray]:
    """Dataset II (4 classes sharing patterns), 50 bp; returns the model and its training labels."""
    from exactpwm.app.synthetic import shared_pattern_dataset

    codes, y = shared_pattern_dataset(np.random.default_rng(seed), n)
    torch.manual_seed(seed)
    return fit(MaxPoolCNN(4), codes, y, seed), y


def spacing_model(first: str, second: str, gap: int, seed: int = 0, n: int = 12000,
                  length: int = 100) -> torch.nn.Module:
    """A cooperative pair: ``first`` then ``second`` exactly ``gap`` bases apart is labelled 1; either
    alone, or both at another gap (0..30, at least 3 from ``gap``), 0.5; nothing planted, 0."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length)).astype(np.uint8)
    a = np.searchsorted(np.frombuffer(b"ACGT", np.uint8), np.frombuffer(first.encode(), np.uint8))
    b = np.searchsorted(np.frombuffer(b"ACGT", np.uint8), np.frombuffer(second.encode(), np.uint8))
    kind = rng.choice(5, n, p=[0.4, 0.15, 0.15, 0.15, 0.15])  # pair at gap, first, second, pair elsewhere, none
    labels = np.array([1.0, 0.5, 0.5, 0.5, 0.0], np.float32)[kind]
    others = np.array([g for g in range(31) if abs(g - gap) >= 3])
    for r in range(n):
        k = kind[r]
        if k == 4:
            continue
        g = gap if k == 0 else int(rng.choice(others))
        span = len(a) + g + len(b)
        p = int(rng.integers(0, length - span + 1))
        if k != 2:
            codes[r, p:p + len(a)] = a
        if k != 1:
            codes[r, p + len(a) + g:p + span] = b
    torch.manual_seed(seed)
    return fit(PairCNN(16), codes, labels, seed, epochs=8)
