"""ISM through any traceable model by local windows equals running every edited sequence (brute
force), to 1e-5 in float32, on a zoo of shapes: dilated residual towers, global average and max
pooling, flatten into a dense layer, strided pooling, valid and 'same' convolutions, batch norm,
grouped convolutions, a profile head, models taking (N, L, 4), torch.export modules and N."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from exactpwm.core.errors import AttributionError  # noqa: E402
from exactpwm.interpret.ism import saturation_mutagenesis  # noqa: E402
from exactpwm.interpret.local_ism import local_plan  # noqa: E402
from torch import nn  # noqa: E402

L = 60


class Residual(nn.Module):
    def __init__(self, c, d):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, padding=d, dilation=d)

    def forward(self, x):
        return x + F.relu(self.conv(x))


class Tower(nn.Module):  # the reference shape: exp, dilated residuals, mean, dense
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 16, 9, padding=4)
        self.res = nn.Sequential(Residual(16, 2), Residual(16, 4))
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.res(torch.exp(0.3 * self.conv(x))).mean(dim=-1))


class MaxValues(nn.Module):  # DeepBind: global max pooling written as .max(dim=-1).values
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 7)
        self.dense = nn.Linear(8, 2)

    def forward(self, x):
        return self.dense(torch.relu(self.conv(x)).max(dim=-1).values)


class AdaptiveMax(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 5, padding="same")
        self.bn = nn.BatchNorm1d(8)
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.dense = nn.Linear(8, 2)

    def forward(self, x):
        return self.dense(self.pool(F.elu(self.bn(self.conv(x)))).flatten(1))


class FlattenDense(nn.Module):  # DeepSTARR/Basset: strided max pooling, flatten, dense
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 7, padding=3)
        self.conv2 = nn.Conv1d(8, 8, 4, padding="same", groups=2)
        self.dense = nn.Linear(8 * (L // 4), 2)

    def forward(self, x):
        h = F.relu(self.conv2(F.relu(self.conv(x))))
        return self.dense(F.max_pool1d(h, 4).flatten(1))


class Profile(nn.Module):  # BPNet's profile head: a local output track
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 11, padding=5)
        self.out = nn.Conv1d(8, 1, 5, padding=2)

    def forward(self, x):
        return self.out(F.softplus(self.conv(x))).flatten(1)


class SumHead(nn.Module):  # sum over the length, keepdim, a second branch from the input
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(4, 6, 3)
        self.b = nn.Conv1d(4, 6, 5, padding=1)
        self.dense = nn.Linear(6, 1)

    def forward(self, x):
        h = torch.sigmoid(self.a(x)) * torch.tanh(self.b(x))
        return self.dense(h.sum(dim=2, keepdim=True).squeeze(-1))


class ChannelsLast(nn.Module):  # takes (N, 4, L) but works in (N, L, C) (a transpose first)
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(4, 5)
        self.out = nn.Linear(5, 1)

    def forward(self, x):
        return self.out(torch.relu(self.dense(x.transpose(1, 2))).mean(dim=1))


ZOO = [Tower, MaxValues, AdaptiveMax, FlattenDense, Profile, SumHead, ChannelsLast]


def codes(n=3, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 4, (n, L)).astype(np.uint8)
    c[0, 3] = 4  # N: all four bases are substitutions there
    c[-1, L - 2:] = 4
    return c


def brute(model, X, dtype):
    """Every edited sequence run through the model: (N, 4, L, K) float64."""
    eye = torch.cat([torch.eye(4, dtype=dtype), torch.zeros((1, 4), dtype=dtype)])
    out = []
    with torch.no_grad():
        for s in range(len(X)):
            edits = np.repeat(X[s][None], 4 * L, axis=0)
            edits[np.arange(4 * L), np.repeat(np.arange(L), 4)] = np.tile(np.arange(4), L)
            y = model(eye[torch.from_numpy(edits.astype(np.int64))].transpose(1, 2))
            out.append(y.reshape(L, 4, -1).transpose(0, 1).double().numpy())
    return np.stack(out)


@pytest.mark.parametrize("make", ZOO, ids=lambda m: m.__name__)
@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_local_ism_equals_brute_force(make, dtype, tol):
    torch.manual_seed(0)
    model = make().to(dtype).eval()
    if isinstance(getattr(model, "bn", None), nn.BatchNorm1d):
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2)
    X = codes()
    y0, y = saturation_mutagenesis(model, X, method="local" if make is not ChannelsLast else "auto", batch_size=37)
    want = brute(model, X, dtype)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(y, want, rtol=0, atol=tol * scale)
    full0, full = saturation_mutagenesis(model, X, method="full")
    np.testing.assert_allclose(y0, full0, rtol=0, atol=tol * scale)


def test_the_plan_reads_the_local_part():
    plan, _ = local_plan(Tower().eval(), L, torch.float32)
    assert plan.local_layers == 3 and len(plan.reductions) == 1 and not plan.boundary
    plan, _ = local_plan(FlattenDense().eval(), L, torch.float32)
    assert plan.local_layers == 2 and len(plan.boundary) == 1  # strided pooling reads the whole track
    plan, _ = local_plan(ChannelsLast().eval(), L, torch.float32)
    assert plan is None or plan.local_layers == 0


def test_results_do_not_depend_on_the_batch_size():
    torch.manual_seed(1)
    model = Tower().eval()
    X = codes(2, seed=3)
    a = saturation_mutagenesis(model, X, batch_size=5)[1]
    b = saturation_mutagenesis(model, X, batch_size=3000)[1]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_an_exported_model_takes_the_local_path(tmp_path):
    torch.manual_seed(2)
    model = Tower().eval()
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(model, (torch.zeros(2, 4, L),),
                                          dynamic_shapes={"x": {0: torch.export.Dim("batch")}}), path)
    from exactpwm.jobs.common import load_exported_model

    loaded = load_exported_model(str(path))[0]
    plan, why = local_plan(loaded, L, torch.float32)
    assert plan is not None and plan.local_layers == 3, why
    X = codes(2)
    np.testing.assert_allclose(saturation_mutagenesis(loaded, X, method="local")[1],
                               brute(model, X, torch.float32), rtol=0, atol=1e-4)


def test_a_wrong_local_answer_is_caught(monkeypatch):
    """The self-check runs a few substitutions through the whole model: a broken window rule raises."""
    import exactpwm.interpret.local_ism as local

    model = Tower().eval()
    real = local.run_rows

    def broken(*args, **kwargs):
        return real(*args, **kwargs) + 0.5
    monkeypatch.setattr(local, "run_rows", broken)
    with pytest.raises(AttributionError, match="local ISM disagrees"):
        saturation_mutagenesis(model, codes(2))


def test_untraceable_models_fall_back_or_are_refused():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(4, 2, 3)

        def forward(self, x):
            h = self.conv(x)
            if h.sum() > 0:  # control flow on values: torch.fx cannot trace it
                return h.mean(dim=-1)
            return -h.mean(dim=-1)

    X = codes(1)
    model = Branchy().eval()
    with pytest.raises(ValueError, match="no local ISM"):
        saturation_mutagenesis(model, X, method="local")
    y0, y = saturation_mutagenesis(model, X)  # auto: the full forward path
    np.testing.assert_allclose(y, brute(model, X, torch.float32), atol=1e-6)
    with pytest.raises(ValueError, match="method must be"):
        saturation_mutagenesis(model, X, method="fast")
