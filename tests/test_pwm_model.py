"""Theorem 2: the PWM model of a CNN's first layers gives the CNN's outputs (1e-5 relative)."""

import itertools
import math

import exactpwm
import numpy as np
import pytest
from exactpwm.interpret.pwm_model import PWMModel, conv_padding, expand_dilation, fold_batchnorm

torch = pytest.importorskip("torch")
from exactpwm.interpret.torch_model import PWMModule, pwm_model_from_sequential, pwm_model_from_torch  # noqa: E402
from torch import nn  # noqa: E402

N_SEQ, LENGTH = 6, 120


class RCShared(nn.Module):
    """DeepBind-style: the same first layers on both strands, the larger pooled value."""

    def __init__(self, conv, bn, act, pool, dense):
        super().__init__()
        self.conv, self.bn, self.act, self.pool, self.dense = conv, bn, act, pool, dense

    def features(self, x):
        z = self.conv(x)
        if self.bn is not None:
            z = self.bn(z)
        return self.pool(self.act(z)).flatten(1)

    def forward(self, x):
        return self.dense(torch.maximum(self.features(x), self.features(torch.flip(x, dims=(1, 2)))))


def one_hot_batch(rng, n_frac=0.03):
    codes = rng.integers(0, 4, size=(N_SEQ, LENGTH)).astype(np.uint8)
    codes[rng.random(codes.shape) < n_frac] = 4
    codes[0, :5] = 4  # N at an edge, inside padded windows
    x = np.zeros((N_SEQ, 4, LENGTH))
    for c in range(4):
        x[:, c][codes == c] = 1.0
    return codes, x


def build(rng, *, bn, act, pool, padding, dilation, strand, K=5, L=7, M=3):
    conv = nn.Conv1d(4, K, L, padding=padding, dilation=dilation, stride=1).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(rng.normal(scale=1.5, size=(K, 4, L))))
        conv.bias.copy_(torch.tensor(rng.normal(size=K)))
    norm = None
    if bn:
        norm = nn.BatchNorm1d(K).double()
        with torch.no_grad():
            norm.weight.copy_(torch.tensor(rng.normal(size=K) * 2))  # some negative scales
            norm.weight[0] = -1.7
            norm.bias.copy_(torch.tensor(rng.normal(size=K)))
            norm.running_mean.copy_(torch.tensor(rng.normal(size=K)))
            norm.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, size=K)))
        norm.eval()
    activation = nn.ReLU() if act == "relu" else nn.Identity()
    kind, size = pool
    if size is None:
        pooling = nn.AdaptiveMaxPool1d(1) if kind == "max" else nn.AdaptiveAvgPool1d(1)
        n_feat = K
    else:
        pooling = nn.MaxPool1d(size) if kind == "max" else nn.AvgPool1d(size)
        eff = (L - 1) * dilation + 1
        left, right = conv_padding(padding, eff)
        n_feat = K * ((LENGTH + left + right - eff + 1 - size) // size + 1)
    dense = nn.Linear(n_feat, M).double()
    with torch.no_grad():
        dense.weight.copy_(torch.tensor(rng.normal(size=(M, n_feat))))
    if strand == "both":
        return RCShared(conv, norm, activation, pooling, dense).eval(), (conv, norm, dense)
    layers = [conv] + ([norm] if bn else []) + [activation, pooling, nn.Flatten(), dense]
    return nn.Sequential(*layers).eval(), (conv, norm, dense)


COMBOS = [
    dict(bn=bn, act=act, pool=pool, padding=padding, dilation=dil, strand="+")
    for bn, act, pool, padding, dil in itertools.product(
        [False, True], ["relu", "linear"], [("max", None), ("avg", None), ("max", 9), ("avg", 10)],
        [0, "same"], [1, 2])
] + [dict(bn=bn, act=act, pool=(kind, None), padding=pad, dilation=1, strand="both")
     for bn, act, kind, pad in itertools.product([False, True], ["relu", "linear"], ["max", "avg"], [0, 3])]


def _id(c):
    bn = "bn-" if c["bn"] else ""
    return f"{bn}{c['act']}-{c['pool'][0]}{c['pool'][1] or 'G'}-pad{c['padding']}-d{c['dilation']}-{c['strand']}"


@pytest.mark.parametrize("combo", COMBOS, ids=[_id(c) for c in COMBOS])
@pytest.mark.parametrize("base", [math.e, 2.0, 10.0])
def test_pwm_model_reproduces_the_network(combo, base):
    rng = np.random.default_rng(hash(_id(combo)) % 2**32)
    model, (conv, norm, dense) = build(rng, **combo)
    codes, x = one_hot_batch(rng)
    with torch.no_grad():
        expected = model(torch.tensor(x)).numpy()
    kind, size = combo["pool"]
    pm = pwm_model_from_torch(conv, dense, batchnorm=norm, activation=combo["act"], pooling=kind, pool_size=size,
                              strand=combo["strand"], base=base)
    np.testing.assert_allclose(pm(codes), expected, rtol=1e-5, atol=1e-8 * np.abs(expected).max())
    np.testing.assert_allclose(pm(x), expected, rtol=1e-5, atol=1e-8 * np.abs(expected).max())  # one-hot input
    with torch.no_grad():
        got = PWMModule(pm)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8 * np.abs(expected).max())


def test_the_pwm_model_is_made_of_pwms_thresholds_and_scaled_dense_weights(rng):
    model, (conv, _, dense) = build(rng, bn=False, act="relu", pool=("max", None), padding=0, dilation=1, strand="+")
    pm = pwm_model_from_torch(conv, dense, base=2.0)
    pwm, offset = exactpwm.kernel_to_pwm(conv.weight.detach().numpy(), 2.0, bias=conv.bias.detach().numpy())
    np.testing.assert_allclose(pm.pwms, pwm, rtol=1e-12)
    np.testing.assert_allclose(pm.tau, -math.log(2.0) * offset, rtol=1e-12)
    np.testing.assert_allclose(pm.dense_weight, dense.weight.detach().numpy() / math.log(2.0), rtol=1e-12)
    # away from N the features are the pooled ReLU(log-likelihood - threshold), in nats
    codes = rng.integers(0, 4, size=(3, 80)).astype(np.uint8)
    lik = np.array([[[np.log(pwm[k, s[j:j + 7], np.arange(7)]).sum() for j in range(74)] for k in range(5)]
                    for s in codes])
    np.testing.assert_allclose(pm.features(codes), np.maximum(lik - pm.tau[:, None], 0).max(axis=-1), rtol=1e-9)


def test_negative_batchnorm_scale_flips_the_kernel():
    W = np.zeros((1, 4, 2))
    W[0, 0, :] = 1.0  # prefers A
    Wf, bf = fold_batchnorm(W, [0.0], gamma=[-2.0], beta=[0.5], mean=[0.0], var=[1.0], eps=0.0)
    pwm, _ = exactpwm.kernel_to_pwm(Wf)
    assert (pwm[0, 0] < 0.25).all() and np.allclose(bf, 0.5)


def test_sequential_split_keeps_the_rest_of_the_network(rng):
    model = nn.Sequential(nn.Conv1d(4, 6, 9, padding="same"), nn.BatchNorm1d(6), nn.ReLU(), nn.MaxPool1d(20),
                          nn.Flatten(), nn.Dropout(0.2), nn.Linear(36, 8), nn.ReLU(), nn.Linear(8, 2),
                          nn.Sigmoid()).double()
    with torch.no_grad():
        model[1].running_mean.normal_()
        model[1].running_var.uniform_(0.5, 2)
        model[1].weight.normal_()
    model.eval()
    codes, x = one_hot_batch(rng)
    pm, rest = pwm_model_from_sequential(model, base=3.0)
    assert len(rest) == 3
    with torch.no_grad():
        expected = model(torch.tensor(x)).numpy()
        got = PWMModule(pm, rest)(torch.tensor(x)).numpy()
        via_numpy = rest(torch.tensor(pm(codes))).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-7)
    np.testing.assert_allclose(via_numpy, expected, rtol=1e-7)


def test_trained_model_float32(rng):
    """A model trained a few steps in float32: the float64 PWM model matches it to float32 rounding."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(4, 8, 11), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(8, 1))
    codes, x = one_hot_batch(rng)
    site = exactpwm.one_hot("GATTACAGG", np.float64)
    X = torch.tensor(np.concatenate([x, x], axis=0), dtype=torch.float32)
    X[:N_SEQ, :, 50:59] = torch.tensor(site, dtype=torch.float32)
    y = torch.tensor([1.0] * N_SEQ + [0.0] * N_SEQ)[:, None]
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(50):
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(X), y).backward()
        opt.step()
    model.eval()
    pm, _ = pwm_model_from_sequential(model)
    with torch.no_grad():
        expected = model(X).double().numpy()
    np.testing.assert_allclose(pm(X.numpy()), expected, rtol=1e-5, atol=1e-5)


def test_keras_layout_arrays(rng):
    """Keras weights: Conv1D kernel (L, 4, K), Dense kernel (K, M); the model computed here in numpy."""
    K, L, M = 3, 6, 2
    conv_kernel, conv_bias = rng.normal(size=(L, 4, K)), rng.normal(size=K)
    dense_kernel, dense_bias = rng.normal(size=(K, M)), rng.normal(size=M)
    codes = rng.integers(0, 4, size=(4, 50)).astype(np.uint8)
    x = np.eye(4)[codes]  # (B, n, 4): Keras' channels-last one-hot
    windows = np.stack([x[:, j:j + L] for j in range(50 - L + 1)], axis=1)  # (B, m, L, 4)
    conv = np.einsum("bmlc,lck->bmk", windows, conv_kernel) + conv_bias
    expected = np.maximum(conv, 0).max(axis=1) @ dense_kernel + dense_bias
    pm = PWMModel.from_layers(exactpwm.to_torch_layout(conv_kernel, "keras"), conv_bias,
                              dense_weight=dense_kernel.T, dense_bias=dense_bias, base=5.0)
    np.testing.assert_allclose(pm(codes), expected, rtol=1e-9)


@pytest.mark.parametrize("bad, message", [
    (dict(activation="tanh"), "activation"),
    (dict(pooling="min"), "pooling"),
    (dict(strand="both", pool_size=5), "global pooling"),
    (dict(strand="both", padding="same"), "symmetric padding"),
    (dict(dense_weight=np.ones((2, 7))), "dense_weight"),
    (dict(padding="full"), "padding"),
    (dict(dilation=0), "dilation"),
])
def test_bad_model_parameters(bad, message):
    kw = dict(dense_weight=np.ones((2, 3)), padding=0)
    kw.update(bad)
    W = np.ones((3, 4, 6))
    with pytest.raises(ValueError, match=message):
        PWMModel.from_layers(W, **kw)


def test_one_hot_with_soft_N_is_refused():
    pm = PWMModel.from_layers(np.ones((1, 4, 2)), dense_weight=np.ones((1, 1)))
    x = np.zeros((1, 4, 5))
    x[0, 0] = 1
    x[0, :, 2] = 0.25
    with pytest.raises(ValueError, match="0.25"):
        pm(x)


def test_expand_dilation():
    W = np.arange(8.0).reshape(1, 4, 2)
    E = expand_dilation(W, 3)
    assert E.shape == (1, 4, 4) and (E[..., 1:3] == 0).all() and (E[..., [0, 3]] == W).all()


def test_cli_convert_folds_batchnorm_and_dilation(tmp_path, rng):
    from exactpwm.app.cli import main
    from exactpwm.io.formats import read_motifs

    model = nn.Sequential(nn.Conv1d(4, 5, 7, dilation=2), nn.BatchNorm1d(5), nn.ReLU(), nn.AdaptiveMaxPool1d(1),
                          nn.Flatten(), nn.Linear(5, 1))
    with torch.no_grad():
        model[1].running_mean.normal_()
        model[1].running_var.uniform_(0.5, 2)
        model[1].weight.normal_()
    model.eval()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    assert main(["convert", str(tmp_path / "m.pt"), "--batchnorm", "1", "--dilation", "2", "--base", "2",
                 "-o", str(tmp_path / "m.meme"), "--offsets", str(tmp_path / "off.tsv")]) == 0
    pm, _ = pwm_model_from_sequential(model, base=2.0)
    got = np.stack([m.pwm for m in read_motifs(tmp_path / "m.meme")])
    assert got.shape == (5, 4, 13)
    np.testing.assert_allclose(got, pm.pwms, atol=2e-6)  # MEME text keeps 6 decimals


def test_keras_batchnorm_names(tmp_path, rng):
    h5py = pytest.importorskip("h5py")
    from exactpwm.io.kernels import load_batchnorm

    stats = [rng.normal(size=4), rng.normal(size=4), rng.normal(size=4), rng.uniform(1, 2, size=4)]
    with h5py.File(tmp_path / "k2.h5", "w") as f:
        for name, a in zip(["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"], stats):
            f[f"batch_normalization/batch_normalization/{name}"] = a
    with h5py.File(tmp_path / "k3.weights.h5", "w") as f:
        for i, a in enumerate(stats):
            f[f"layers/batch_normalization/vars/{i}"] = a
    for path, prefix in ((tmp_path / "k2.h5", "batch_normalization"),
                         (tmp_path / "k3.weights.h5", "layers/batch_normalization")):
        bn = load_batchnorm(path, prefix)
        assert bn["eps"] == 1e-3
        for key, a in zip(("gamma", "beta", "mean", "var"), stats):
            np.testing.assert_array_equal(bn[key], a)
    with pytest.raises(KeyError, match="no BatchNorm statistics"):
        load_batchnorm(tmp_path / "k2.h5", "dense")


@pytest.mark.parametrize("stride", [2, 3])
def test_strided_convolution(rng, stride):
    model = nn.Sequential(nn.Conv1d(4, 5, 7, stride=stride, padding=2, dilation=2), nn.ReLU(), nn.MaxPool1d(4),
                          nn.Flatten()).double()
    codes, x = one_hot_batch(rng)
    with torch.no_grad():
        n_feat = model(torch.tensor(x)).shape[1]
    model.append(nn.Linear(n_feat, 2).double())
    model.eval()
    pm, rest = pwm_model_from_sequential(model, base=2.0)
    with torch.no_grad():
        expected = model(torch.tensor(x)).numpy()
        np.testing.assert_allclose(PWMModule(pm)(torch.tensor(x)).numpy(), expected, rtol=1e-7)
    np.testing.assert_allclose(pm(codes), expected, rtol=1e-7)


def test_kernels_from_a_custom_module(rng):
    from exactpwm.interpret.torch_model import first_conv, kernels_from_module

    class DeepBindLike(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Identity()
            self.motif = nn.Conv1d(4, 6, 5, dilation=3)
            self.norm = nn.BatchNorm1d(6)
            self.head = nn.Linear(6, 1)

    m = DeepBindLike().double().eval()
    with torch.no_grad():
        m.norm.running_mean.normal_()
        m.norm.weight.normal_()
    assert first_conv(m) is m.motif
    W, b = kernels_from_module(m, m.norm)
    assert W.shape == (6, 4, 13)
    codes, x = one_hot_batch(rng)
    with torch.no_grad():
        expected = m.norm(m.motif(torch.tensor(x))).numpy()
    np.testing.assert_allclose(exactpwm.conv1d(codes, W, b), expected, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="in_channels=4"):
        first_conv(nn.Sequential(nn.Linear(3, 3)))
