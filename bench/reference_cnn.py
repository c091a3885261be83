"""The reference model of the attribution benchmarks (issue 28): a CNN shaped like DeepSTARR or
BPNet. A 64 x 19 convolution with exponential activation, three dilated residual layers (64
channels, width 3, dilations 2, 4, 8, ReLU), global average pooling and a linear head of two
outputs. Every nonlinearity is its own module, so hook-based tools (tangermeme, captum) can be given
a rule for each; ``functional=True`` builds the same model from ``torch.exp`` and ``F.relu`` calls.

Weights are seeded and scaled so the exponential stays in range on one-hot input; four of the 64
first-layer kernels are set to read exactpwm's example motifs (E-box, GATA, AP-1, TATA: log-odds of
their consensus), with strong weights to output 0, and :func:`planted_sequences` plants those sites,
so the output changes with the sequence as a trained model's would (the benchmarks time methods and
check their arithmetic; they do not need training).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


class Exp(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)


class Residual(torch.nn.Module):
    def __init__(self, channels: int, dilation: int, functional: bool):
        super().__init__()
        self.conv = torch.nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.relu = None if functional else torch.nn.ReLU()
        self.functional = functional

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        return x + (F.relu(h) if self.functional else self.relu(h))


class ReferenceCNN(torch.nn.Module):
    def __init__(self, outputs: int = 2, functional: bool = False, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.conv = torch.nn.Conv1d(4, 64, 19, padding=9)
        self.conv.weight.data *= 0.5
        self.act = None if functional else Exp()
        self.tower = torch.nn.Sequential(*(Residual(64, d, functional) for d in (2, 4, 8)))
        for r in self.tower:
            r.conv.weight.data *= 0.5
        self.head = torch.nn.Linear(64, outputs)
        self.functional = functional
        from exactpwm.app.example_data import PLANTED_SITES, consensus_pwm

        with torch.no_grad():
            for k, site in enumerate(PLANTED_SITES.values()):
                logodds = torch.from_numpy(np.log2(consensus_pwm(site) / 0.25)).float()  # (4, w)
                w = logodds.shape[1]
                start = (19 - w) // 2
                self.conv.weight[k] = 0
                self.conv.weight[k, :, start:start + w] = 0.7 * logodds
                self.conv.bias[k] = -0.7 * float(logodds.max(dim=0).values.sum()) + 2.0
                self.head.weight[0, k] = 50.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        h = torch.exp(h) if self.functional else self.act(h)
        h = self.tower(h)
        return self.head(h.mean(dim=-1))


def planted_sequences(n: int, length: int = 1000, seed: int = 0, sites: int = 3) -> np.ndarray:
    """(n, length) uint8 codes: seeded random sequence with ``sites`` example motif sites each."""
    from exactpwm.app.example_data import PLANTED_SITES
    from exactpwm.core.sequence import ENCODE

    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length)).astype(np.uint8)
    words = [np.frombuffer(w.encode(), np.uint8) for w in PLANTED_SITES.values()]
    for s in range(n):
        for _ in range(sites):
            w = ENCODE[words[rng.integers(len(words))]]
            at = rng.integers(0, length - w.size)
            codes[s, at:at + w.size] = w
    return codes
