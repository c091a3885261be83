"""Any CNN, exactly: a model zoo whose first DNA convolution becomes a PWM layer, same outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from exactpwm.interpret.pwm_layer import PWMConv1d, find_dna_conv, pwm_equivalent  # noqa: E402
from torch import nn  # noqa: E402


def one_hot(rng, batch, n, n_frac=0.05, dtype=torch.float64):
    """(B, 4, n) one-hot DNA with all-zero N columns."""
    codes = rng.integers(0, 4, size=(batch, n))
    x = np.zeros((batch, 4, n))
    np.put_along_axis(x, codes[:, None, :], 1.0, axis=1)
    x *= (rng.random((batch, 1, n)) >= n_frac)
    return torch.tensor(x, dtype=dtype)


class DeepBind(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 16, 12)
        self.fc = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).amax(dim=-1))


def basset():
    return nn.Sequential(
        nn.Conv1d(4, 24, 19, padding=9), nn.BatchNorm1d(24), nn.ReLU(), nn.MaxPool1d(3),
        nn.Conv1d(24, 16, 11, padding=5), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(4),
        nn.Conv1d(16, 8, 7, padding=3), nn.BatchNorm1d(8), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(),
        nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 5))


def deepsea():
    return nn.Sequential(
        nn.Conv1d(4, 16, 8), nn.ReLU(), nn.MaxPool1d(4), nn.Dropout(0.2),
        nn.Conv1d(16, 16, 8), nn.ReLU(), nn.MaxPool1d(4), nn.Dropout(0.2),
        nn.Conv1d(16, 8, 8), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10), nn.Sigmoid())


class DanQ(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 12, 13)
        self.pool = nn.MaxPool1d(5)
        self.lstm = nn.LSTM(12, 8, batch_first=True, bidirectional=True)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x))).transpose(1, 2)
        y, _ = self.lstm(h)
        return self.out(y[:, -1])


class BPNet(nn.Module):
    """Dilated residual convolutions, a profile head and a count head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv1d(4, 16, 21, padding=10)
        self.dil = nn.ModuleList([nn.Conv1d(16, 16, 3, padding=d, dilation=d) for d in (2, 4, 8)])
        self.profile = nn.Conv1d(16, 2, 25, padding=12)
        self.count = nn.Linear(16, 2)

    def forward(self, x):
        h = torch.relu(self.stem(x))
        for layer in self.dil:
            h = h + torch.relu(layer(h))
        return self.profile(h), self.count(h.mean(dim=-1))


class KooEddyExp(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 16, 19, padding=9)
        self.rest = nn.Sequential(nn.MaxPool1d(25), nn.Flatten(), nn.LazyLinear(4))

    def forward(self, x):
        return self.rest(torch.exp(self.conv(x)))


class GeluAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv1d(4, 16, 9, padding="same")
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        h = nn.functional.gelu(self.stem(x)).transpose(1, 2)
        a, _ = self.attn(h, h, h)
        return self.head(a.mean(dim=1))


class RCShared(nn.Module):
    """The same kernels on both strands; the larger of the two pooled values."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 11, bias=True)
        self.dense = nn.Linear(8, 1)

    def forward(self, x):
        fwd = self.conv(x).amax(dim=-1)
        rev = self.conv(x.flip(dims=(1, 2))).amax(dim=-1)
        return self.dense(torch.maximum(fwd, rev))


ZOO = {"deepbind": DeepBind, "basset": basset, "deepsea": deepsea, "danq": DanQ, "bpnet": BPNet,
       "koo_eddy_exp": KooEddyExp, "gelu_attention": GeluAttention, "rc_shared": RCShared}


def _outputs(model, x):
    with torch.no_grad():
        y = model(x)
    return y if isinstance(y, tuple) else (y,)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ZOO))
@pytest.mark.parametrize("base", [math.e, 2.0, 11.0])
def test_the_equivalent_model_gives_the_same_outputs(name, base):
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    model = ZOO[name]().double()
    x = one_hot(rng, 6, 200)
    model(x)  # materialise lazy layers
    model.eval()
    twin = pwm_equivalent(model, base)
    assert any(isinstance(m, PWMConv1d) for m in twin.modules())
    for a, b in zip(_outputs(model, x), _outputs(twin, x)):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-9)
    # the original model is untouched
    assert not any(isinstance(m, PWMConv1d) for m in model.modules())


@pytest.mark.parametrize("kw", [dict(padding=3, dilation=2), dict(stride=3), dict(padding="same", bias=False)])
def test_any_input_not_only_one_hot(kw):
    """The identity holds for soft inputs too (each column's normaliser counts per unit of letter)."""
    torch.manual_seed(1)
    conv = nn.Conv1d(4, 5, 7, **kw).double()
    layer = PWMConv1d(conv, 3.0)
    x = torch.rand(3, 4, 60, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(layer(x), conv(x), rtol=1e-12, atol=1e-12)


def test_the_engine_path_for_sequences_matches_the_module():
    import exactpwm

    torch.manual_seed(7)
    conv = nn.Conv1d(4, 6, 9).double()
    layer = PWMConv1d(conv, 2.0)
    seqs = ["ACGTTGCANNACGTAGCTAGCTAGGATCGATCGGA", "TTGACGATCGATGCATGCAGTCGATCGATCGAAGT"]
    x = torch.tensor(np.stack([exactpwm.one_hot(s, dtype=np.float64) for s in seqs]))
    with torch.no_grad():
        np.testing.assert_allclose(layer.scores(seqs), layer(x).numpy(), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="stride 1"):
        PWMConv1d(nn.Conv1d(4, 2, 3, stride=2), 2.0).scores(seqs)


def test_pwms_are_the_exact_transform_and_the_exponential_reads_as_a_likelihood_ratio():
    import exactpwm

    torch.manual_seed(2)
    conv = nn.Conv1d(4, 3, 6).double()
    layer = PWMConv1d(conv, math.e)
    pwms, offsets = exactpwm.kernel_to_pwm(conv.weight.detach().numpy(), math.e, bias=conv.bias.detach().numpy())
    np.testing.assert_allclose(layer.pwms.numpy(), pwms, rtol=1e-12)
    np.testing.assert_allclose(layer.offsets.numpy(), offsets, rtol=1e-12)
    rng = np.random.default_rng(3)
    x = one_hot(rng, 2, 40, n_frac=0.0)
    with torch.no_grad():
        lr = layer.likelihood_ratio(x)
        lik = layer.log_likelihoods(x).exp()
        torch.testing.assert_close(lr, torch.exp(conv(x)), rtol=1e-10, atol=0)
        torch.testing.assert_close(lr, lik * torch.exp(layer.offsets)[None, :, None], rtol=1e-10, atol=0)


def test_a_float32_model_trained_a_little_matches_in_float32():
    torch.manual_seed(4)
    rng = np.random.default_rng(4)
    model = DeepBind()
    x = one_hot(rng, 64, 100, dtype=torch.float32)
    y = torch.rand(64, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(20):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    model.eval()
    twin = pwm_equivalent(model, 2.0)
    torch.testing.assert_close(_outputs(twin, x)[0], _outputs(model, x)[0], rtol=1e-5, atol=1e-5)
    assert twin.conv.pwms.dtype == torch.float32


def test_batchnorm_kept_or_folded():
    torch.manual_seed(5)
    rng = np.random.default_rng(5)
    model = basset().double()
    x = one_hot(rng, 4, 200)
    model.train()
    for _ in range(3):  # give the BatchNorms running statistics
        model(one_hot(rng, 16, 200))
    model.eval()
    kept = pwm_equivalent(model)
    folded = pwm_equivalent(model, fold_batchnorm=True)
    assert isinstance(folded[1], nn.Identity) and isinstance(kept[1], nn.BatchNorm1d)
    for twin in (kept, folded):
        torch.testing.assert_close(_outputs(twin, x)[0], _outputs(model, x)[0], rtol=1e-5, atol=1e-9)


def test_train_mode_warns_and_converts_with_eval_semantics():
    model = DeepBind().double().train()
    with pytest.warns(UserWarning, match="train mode"):
        twin = pwm_equivalent(model)
    assert not twin.training and model.training


class Embedded(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5, 4)
        self.conv = nn.Conv1d(4, 8, 5)

    def forward(self, tokens):
        return self.conv(self.embed(tokens).transpose(1, 2))


@pytest.mark.parametrize("model, message", [
    (nn.Sequential(nn.Linear(4, 4)), "no nn.Conv1d"),
    (nn.Sequential(nn.Conv1d(8, 4, 3)), "reads 8 channels"),
    (nn.Sequential(nn.Conv1d(4, 8, 3, groups=4)), "grouped"),
    (nn.Sequential(nn.Conv1d(4, 8, 3, padding=1, padding_mode="reflect")), "pads with 'reflect'"),
    (Embedded(), "fed by the embedding 'embed'"),
])
def test_what_has_no_pwm_reading_is_refused_by_name(model, message):
    with pytest.raises(ValueError, match=message):
        pwm_equivalent(model.eval())


def test_first_conv_in_execution_order():
    class Reversed(nn.Module):  # registers the head first, runs the stem first
        def __init__(self):
            super().__init__()
            self.head = nn.Conv1d(8, 2, 3)
            self.stem = nn.Conv1d(4, 8, 5)

        def forward(self, x):
            return self.head(torch.relu(self.stem(x)))

    assert find_dna_conv(Reversed()) == "stem"


@pytest.mark.slow
def test_save_and_load_the_equivalent_model(tmp_path):
    import subprocess
    import sys

    torch.manual_seed(6)
    rng = np.random.default_rng(6)
    model = DanQ().double().eval()
    x = one_hot(rng, 3, 150)
    twin = pwm_equivalent(model, 2.0)
    torch.save(twin.state_dict(), tmp_path / "twin.pt")
    from exactpwm.interpret.pwm_layer import load_equivalent

    again = load_equivalent(DanQ().double(), tmp_path / "twin.pt")
    torch.testing.assert_close(_outputs(again, x)[0], _outputs(model, x)[0], rtol=1e-5, atol=1e-9)
    # from the original weights only, through the CLI
    torch.save(model.state_dict(), tmp_path / "model.pt")
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "convert", str(tmp_path / "model.pt"),
                          "--base", "2", "--equivalent", str(tmp_path / "pwm_model.pt"), "-o",
                          str(tmp_path / "k.meme")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    loaded = load_equivalent(DanQ().double(), tmp_path / "pwm_model.pt")
    assert isinstance(loaded.conv, PWMConv1d) and loaded.conv.base == pytest.approx(2.0)
    torch.testing.assert_close(_outputs(loaded, x)[0], _outputs(model, x)[0], rtol=1e-5, atol=1e-9)


# ---------------------------------------------------------------- the zoo: exact or refused, never partial

class _Inception(nn.Module):  # two parallel first convolutions of widths 5 and 13 on the one-hot input
    def __init__(self):
        super().__init__()
        self.narrow = nn.Conv1d(4, 6, 5, padding=2)
        self.wide = nn.Conv1d(4, 6, 13, padding=6)
        self.head = nn.Linear(12, 2)

    def forward(self, x):
        h = torch.cat([torch.relu(self.narrow(x)), torch.relu(self.wide(x))], 1)
        return self.head(h.max(-1).values)


class _WeightTied(nn.Module):  # strand-shared: reads its conv's weight and bias in forward
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 7)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        fwd = self.conv(x)
        rev = nn.functional.conv1d(x, self.conv.weight.flip(1, 2), self.conv.bias)
        return self.head(torch.maximum(fwd, rev).max(-1).values)


class _BothStrandsModule(nn.Module):  # one module on the input and on its reverse complement
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 7)
        self.mix = nn.Conv1d(8, 3, 3)

    def forward(self, x):
        return (self.mix(torch.relu(self.conv(x))) + self.mix(torch.relu(self.conv(x.flip(1, 2))))).amax(-1)


class _ChannelsLast(nn.Module):  # (N, L, 4) input transposed in forward
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 7)

    def forward(self, x):
        return self.conv(x.transpose(1, 2)).amax(-1)


class _OwnParameter(nn.Module):  # F.conv1d on the DNA with a bare parameter
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(8, 4, 7))

    def forward(self, x):
        return nn.functional.conv1d(x, self.w).amax(-1)


class _FiveLetters(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(5, 8, 7)

    def forward(self, x):
        return self.conv(x).amax(-1)


class _Circular(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 7, padding=3, padding_mode="circular")

    def forward(self, x):
        return self.conv(x).amax(-1)


class _Untraceable(nn.Module):  # data-dependent control flow and two 4-channel convolutions
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(4, 4, 5)
        self.b = nn.Conv1d(4, 4, 3)

    def forward(self, x):
        h = self.a(x)
        if h.sum() > 0:
            h = self.b(h)
        return h.amax(-1)


@pytest.mark.parametrize("make, converted", [
    (_Inception, ["narrow", "wide"]),
    (_WeightTied, ["conv"]),
    (_BothStrandsModule, ["conv"]),
    (_ChannelsLast, ["conv"]),
])
def test_zoo_every_dna_convolution_is_rebuilt_and_exact(make, converted):
    torch.manual_seed(9)
    rng = np.random.default_rng(9)
    model = make().double().eval()
    x = one_hot(rng, 5, 80)
    if make is _ChannelsLast:
        x = x.transpose(1, 2)
    twin = pwm_equivalent(model, 2.0)
    assert sorted(n for n, m in twin.named_modules() if isinstance(m, PWMConv1d)) == converted
    assert not [n for n, m in twin.named_modules() if type(m) is nn.Conv1d and m.in_channels == 4]
    torch.testing.assert_close(twin(x), model(x), rtol=1e-9, atol=1e-9)


def test_pwm_layer_weight_is_the_exact_equivalent_with_flip_semantics():
    torch.manual_seed(10)
    conv = nn.Conv1d(4, 5, 9).double()
    layer = PWMConv1d(conv, 3.0)
    torch.testing.assert_close(layer.weight, conv.weight.detach(), rtol=0, atol=1e-12)
    torch.testing.assert_close(layer.bias, conv.bias.detach())
    x = one_hot(np.random.default_rng(10), 2, 40)
    rc = nn.functional.conv1d(x, layer.weight.flip(1, 2), layer.bias)  # the reverse-complement strand
    torch.testing.assert_close(rc, conv(x.flip(1, 2)).flip(-1), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("make, message", [
    (_OwnParameter, "functional convolution .* weight that is not an nn.Conv1d"),
    (_FiveLetters, "'conv', which reads the DNA input, reads 5 channels"),
    (_Circular, "pads with 'circular'"),
    (_Untraceable, r"cannot trace .* 2 Conv1d read 4 channels \(a, b\)"),
])
def test_zoo_what_cannot_be_exact_is_refused_at_conversion(make, message):
    with pytest.raises(ValueError, match=message):
        pwm_equivalent(make().eval())


def test_untraceable_model_converts_the_named_layers():
    model = _Untraceable().double().eval()
    twin = pwm_equivalent(model, layers=["a"])
    x = one_hot(np.random.default_rng(1), 3, 30)
    assert isinstance(twin.a, PWMConv1d) and type(twin.b) is nn.Conv1d
    torch.testing.assert_close(twin(x), model(x), rtol=1e-9, atol=1e-9)
