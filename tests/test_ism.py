"""In-silico saturation mutagenesis: the incremental first-layer computation equals running every
edited sequence through the equivalent torch model (and a numpy brute force)."""

from __future__ import annotations

import exactpwm
import numpy as np
import pytest
from exactpwm.interpret.ism import first_layer_ism, saturation_mutagenesis


def brute(W, b, X):
    """Rescore every edited sequence in numpy: (N, 4, n, K)."""
    K, _, L = W.shape
    out = np.empty((X.shape[0], 4, X.shape[1], K))
    for s, x in enumerate(X):
        for i in range(x.size):
            for base in range(4):
                e = x.copy()
                e[i] = base
                out[s, base, i] = exactpwm.conv1d(e, W, b, dtype=np.float64).max(axis=1)
    return out


@pytest.mark.parametrize("L, n", [(1, 6), (5, 5), (7, 40), (12, 30)])
def test_first_layer_ism_equals_rescoring_every_edit(rng, L, n):
    W, b = rng.normal(size=(3, 4, L)), rng.normal(size=3)
    X = rng.integers(0, 5, size=(2, n)).astype(np.uint8)  # with N (a zero column)
    y0, y = first_layer_ism(W, X, b)
    np.testing.assert_allclose(y0, exactpwm.conv1d(X, W, b, dtype=np.float64).max(axis=2), rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, brute(W, b, X), rtol=0, atol=1e-12)
    ref = np.where(X < 4, X, 0)  # the base already there gives the sequence's own output
    for s in range(2):
        for i in np.flatnonzero(X[s] < 4):
            np.testing.assert_allclose(y[s, ref[s, i], i], y0[s], atol=1e-12)


def test_first_layer_ism_equals_the_torch_model(rng):
    torch = pytest.importorskip("torch")
    W, b = rng.normal(size=(8, 4, 9)), rng.normal(size=8)

    class FirstLayer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(4, 8, 9).double()
            self.conv.weight.data = torch.from_numpy(W)
            self.conv.bias.data = torch.from_numpy(b)

        def forward(self, x):
            return self.conv(x).max(dim=-1).values

    seqs = ["".join(rng.choice(list("ACGT"), 50)) for _ in range(3)]
    y0, y = first_layer_ism(W, seqs, b)
    r0, r = saturation_mutagenesis(FirstLayer().eval(), seqs, batch_size=37)
    np.testing.assert_allclose(y0, r0, atol=1e-10)
    np.testing.assert_allclose(y, r, atol=1e-10)
    one_hot = exactpwm.one_hot(exactpwm.encode(seqs[0]))[None]  # (1, 4, n) input gives the same
    np.testing.assert_allclose(first_layer_ism(torch.from_numpy(W), one_hot, b)[1], y[:1], atol=1e-12)


def test_bad_inputs(rng):
    W = rng.normal(size=(2, 4, 5))
    with pytest.raises(ValueError, match="one length"):
        first_layer_ism(W, ["ACGTACGT", "ACGTAC"])
    with pytest.raises(ValueError, match="shorter than the kernels"):
        first_layer_ism(W, ["ACG"])
    with pytest.raises(ValueError, match=r"\(K, 4, L\)"):
        first_layer_ism(rng.normal(size=(2, 3, 5)), ["ACGTACGT"])


def brute_model(model, X):
    """Run the model on every edited sequence: (N, 4, n, M)."""
    N, n = X.shape
    out = np.empty((N, 4, n, model.dense_weight.shape[0]))
    for s in range(N):
        edits = np.repeat(X[s][None], 4 * n, axis=0)
        edits[np.arange(4 * n), np.repeat(np.arange(n), 4)] = np.tile(np.arange(4), n)
        out[s] = model(edits).reshape(n, 4, -1).transpose(1, 0, 2)
    return out


@pytest.mark.parametrize("config", [
    dict(),
    dict(pooling="avg"),
    dict(activation="linear", strand="both"),
    dict(pooling="avg", strand="both", padding="same"),
    dict(stride=3, padding=2),
    dict(pool_size=4),
    dict(pool_size=5, pool_stride=2, pooling="avg"),
    dict(pool_size=3, pool_stride=4, stride=2, padding="same", activation="linear"),
    dict(dilation=2, pool_size=6, pool_stride=3),
])
def test_pwm_model_ism_equals_running_the_model_on_every_edit(rng, config):
    from exactpwm.interpret.ism import pwm_model_ism

    K, L, n, M = 4, 5, 33, 3
    config = dict(config)
    dilation = config.pop("dilation", 1)
    W, b = rng.normal(size=(K, 4, L)), rng.normal(size=K)
    features = K
    if "pool_size" in config:  # the dense layer's width follows the pools
        m = exactpwm.PWMModel.from_layers(W, b, dense_weight=np.zeros((M, K * 100)), dilation=dilation, **config)
        features = m.features(np.zeros((1, n), np.uint8)).shape[1]
    model = exactpwm.PWMModel.from_layers(W, b, dense_weight=rng.normal(size=(M, features)),
                                          dense_bias=rng.normal(size=M), dilation=dilation, base=3.0, **config)
    X = rng.integers(0, 5, size=(2, n)).astype(np.uint8)  # with N
    y0, y = pwm_model_ism(model, X)
    np.testing.assert_allclose(y0, model(X), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(y, brute_model(model, X), rtol=1e-10, atol=1e-10)
