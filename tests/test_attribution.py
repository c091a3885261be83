"""Attribution maps: against the closed forms of a linear model, completeness on a nonlinear one,
independent of the batch size, and bad input refused by name."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from exactpwm.interpret.attribution import AttributionError, attribute, one_hot_inputs  # noqa: E402
from torch import nn  # noqa: E402

L = 30


def sequences(n=6, seed=0):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, L)).astype(np.uint8)
    codes[0, 5:8] = 4  # an N run
    return codes


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 2, L)  # two outputs: f_k(x) = sum W_k * x + b_k

    def forward(self, x):
        return self.conv(x).flatten(1)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 7)
        self.dense = nn.Linear(8, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.dense(torch.nn.functional.max_pool1d(h, h.shape[-1]).flatten(1))


class ChannelsLast(nn.Module):  # takes (N, L, 4)
    def __init__(self):
        super().__init__()
        self.inner = Linear()

    def forward(self, x):
        if x.shape[-1] != 4:
            raise ValueError("expects (N, L, 4)")
        return self.inner(x.transpose(1, 2))


@pytest.fixture
def linear():
    torch.manual_seed(0)
    return Linear().double()


def test_linear_model_closed_forms(linear):
    x = one_hot_inputs(sequences())
    W = linear.conv.weight.detach().numpy()[1]  # target 1
    for method, expected in (("saliency", np.broadcast_to(W, x.shape)), ("gxi", W * x)):
        a = attribute(linear, x, method=method, target=1)
        np.testing.assert_allclose(a.attributions, expected, atol=1e-12)
        assert a.delta is None and "no completeness check" in a.notes[0]
    ig = attribute(linear, x, method="ig", target=1, steps=1)  # exact for a linear model: one step suffices
    np.testing.assert_allclose(ig.attributions, W * x, atol=1e-12)
    np.testing.assert_allclose(ig.hypothetical, np.broadcast_to(W, x.shape), atol=1e-12)
    assert np.abs(ig.delta).max() < 1e-10
    b = linear.conv.bias.detach().numpy()[1]
    np.testing.assert_allclose(ig.outputs, (W * x).sum(axis=(1, 2)) + b, atol=1e-10)


def test_linear_model_against_shuffled_references(linear):
    from exactpwm.core.shuffle import dinucleotide_shuffle

    x = one_hot_inputs(sequences())
    W = linear.conv.weight.detach().numpy()[0]
    a = attribute(linear, x, method="ig", baseline="shuffle", n_shuffles=10, seed=4, steps=1)
    refs = one_hot_inputs(dinucleotide_shuffle(x, 10, seed=4).reshape(-1, L)).reshape(6, 10, 4, L)
    np.testing.assert_allclose(a.attributions, (W * (x[:, None] - refs)).mean(axis=1), atol=1e-12)
    # hypothetical contributions: each letter's weight minus the reference's, averaged
    hyp = (W - (W * refs).sum(axis=2, keepdims=True)).mean(axis=1)
    np.testing.assert_allclose(a.hypothetical, hyp, atol=1e-12)
    # the projection puts each position's contribution on the letter there (not at N: sequence 0, 5:8)
    inside = x.sum(axis=1) > 0
    np.testing.assert_allclose(a.projected().sum(axis=1)[inside], a.attributions.sum(axis=1)[inside], atol=1e-12)
    assert np.abs(a.delta).max() < 1e-10


class SmoothCNN(nn.Module):  # softplus and average pooling: the path integrand is smooth
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 7)
        self.dense = nn.Linear(8, 3)

    def forward(self, x):
        return self.dense(torch.nn.functional.softplus(self.conv(x)).mean(-1))


def test_integrated_gradients_meet_completeness_on_a_cnn():
    torch.manual_seed(1)
    model = SmoothCNN().double()
    x = one_hot_inputs(sequences(8, seed=2))
    a = attribute(model, x, method="ig", target=2, tolerance=1e-3)
    assert a.steps >= 16 and a.relative_delta.max() <= 1e-3
    np.testing.assert_allclose(a.attributions.sum(axis=(1, 2)) - a.delta, a.outputs - a.reference_outputs,
                               atol=1e-9)
    again = attribute(model, x, method="ig", target=2, steps=a.steps, batch_size=1)
    np.testing.assert_allclose(again.attributions, a.attributions, atol=1e-12)
    with pytest.raises(AttributionError, match="miss completeness .* after 1 steps"):
        attribute(model, x, method="ig", target=2, steps=1, tolerance=1e-9)
    with pytest.warns(UserWarning, match="miss completeness"):
        attribute(model, x, method="ig", target=2, steps=1, tolerance=1e-9, check=False)


def test_a_kinked_model_reports_its_completeness_error():
    """Max pooling switches windows along the path: the error shrinks slowly with steps, and when
    the step budget is spent it is reported, never hidden."""
    torch.manual_seed(1)
    model = SmallCNN().double()
    x = one_hot_inputs(sequences(8, seed=2))
    a = attribute(model, x, method="ig", target=2, steps=64, tolerance=1.0)
    np.testing.assert_allclose(a.attributions.sum(axis=(1, 2)) - a.delta, a.outputs - a.reference_outputs,
                               atol=1e-9)
    with pytest.raises(AttributionError, match="relative error"):
        attribute(model, x, method="ig", target=2, steps=8, tolerance=1e-6)
    with pytest.warns(UserWarning, match="no longer help") as caught:
        a = attribute(model, x, method="ig", target=2, tolerance=1e-9)
    assert a.steps <= 1024 and any("no longer help" in n for n in a.notes) and len(caught) >= 1


def test_layout_is_detected_and_maps_stay_n_4_l(linear):
    model = ChannelsLast().double()
    model.inner.load_state_dict(linear.state_dict())
    x = one_hot_inputs(sequences())
    a = attribute(model, x, method="gxi")
    b = attribute(linear, x, method="gxi")
    assert a.attributions.shape == x.shape
    np.testing.assert_allclose(a.attributions, b.attributions, atol=1e-12)


def test_outputs_and_corrections(linear, tmp_path):
    x = one_hot_inputs(sequences())
    a = attribute(linear, x, method="saliency")
    c = a.corrected()
    np.testing.assert_allclose(c.hypothetical.mean(axis=1), 0, atol=1e-12)
    a.to_npz(str(tmp_path / "attr.npz"), str(tmp_path / "ohe.npz"))
    np.testing.assert_array_equal(np.load(tmp_path / "ohe.npz")["arr_0"], x)
    assert np.load(tmp_path / "attr.npz")["arr_0"].shape == x.shape
    table = a.to_pandas()
    assert list(table.columns) == ["sequence", "start", "letter", "score"] and len(table) == x.shape[0] * L


@pytest.mark.parametrize("kwargs, error, message", [
    ({"method": "deepliftx"}, ValueError, "method must be one of"),
    ({"target": 5}, ValueError, "target 5 is not an output of this model: it has 2"),
    ({"baseline": np.zeros((2, 4, L))}, ValueError, "baseline must be"),
    ({"steps": "many"}, ValueError, "steps must be a positive integer or 'auto'"),
    ({"layout": "LNC"}, ValueError, "layout must be"),
])
def test_bad_arguments_are_named(linear, kwargs, error, message):
    with pytest.raises(error, match=message):
        attribute(linear, sequences(), **kwargs)


def test_bad_models_and_inputs_are_named(linear):
    with pytest.raises(TypeError, match="takes a torch.nn.Module"):
        attribute(lambda x: x, sequences())
    with pytest.raises(ValueError, match="nothing to attribute"):
        attribute(linear, np.zeros((0, 4, L), np.float32))
    with pytest.raises(ValueError, match="takes neither one-hot"):
        attribute(linear, sequences()[:, :10])


@pytest.mark.slow
def test_cli_writes_what_modisco_reads(tmp_path):
    import subprocess
    import sys

    torch.manual_seed(3)
    model = SmoothCNN().eval()
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.export.export(model, (torch.zeros(2, 4, L),), dynamic_shapes=({0: batch},))
    torch.export.save(program, tmp_path / "m.pt2")
    codes = sequences(5, seed=4)
    (tmp_path / "s.fa").write_text("".join(f">s{i}\n{''.join('ACGTN'[c] for c in row)}\n"
                                           for i, row in enumerate(codes)))

    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "exactpwm", "attribute", *argv], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)

    run = cli("m.pt2", "s.fa", "-o", "attr.npz", "--ohe", "ohe.npz", "--method", "gxi", "--target", "2")
    assert run.returncode == 0, run.stderr
    import copy

    expected = attribute(copy.deepcopy(model).double(), codes, method="gxi", target=2)
    got = np.load(tmp_path / "attr.npz")["arr_0"]
    assert got.shape == (5, 4, L) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected.hypothetical, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(np.load(tmp_path / "ohe.npz")["arr_0"], one_hot_inputs(codes))
    run = cli("m.pt2", "s.fa", "-o", "ig.npz", "--steps", "4", "--shuffles", "2", "--tolerance", "1")
    assert run.returncode == 0 and "completeness: largest relative error" in run.stderr, run.stderr
    run = cli("m.pt2", "s.fa", "-o", "ds.npz", "--method", "deepshap", "--shuffles", "4", "--target", "2")
    assert run.returncode == 0 and "(deepshap, target 2)" in run.stderr, run.stderr
    want = attribute(model, codes, method="deepshap", n_shuffles=4, target=2)
    np.testing.assert_allclose(np.load(tmp_path / "ds.npz")["arr_0"], want.hypothetical, rtol=1e-4, atol=1e-5)
    fixed = torch.export.export(model, (torch.zeros(2, 4, L),))  # a batch of 2 only
    torch.export.save(fixed, tmp_path / "fixed.pt2")
    run = cli("fixed.pt2", "s.fa", "-o", "x.npz", "--method", "deepshap")
    assert run.returncode == 2 and "dynamic batch" in run.stderr
    (tmp_path / "ragged.fa").write_text(">a\nACGTACGT\n>b\nACG\n")
    run = cli("m.pt2", "ragged.fa", "-o", "x.npz")
    assert run.returncode == 1 and "sequences of 2 lengths" in run.stderr
    run = cli("s.fa", "s.fa", "-o", "x.npz")
    assert run.returncode == 2 and "torch.export.save (.pt2)" in run.stderr
    run = cli("m.pt2", "s.fa", "-o", "s.fa")
    assert run.returncode == 2 and "input file" in run.stderr


# ---------------------------------------------------------------- DeepLIFT / DeepSHAP: exact or refused

class _Zoo(nn.Module):
    """A reused ReLU module, F.relu, torch.relu, .relu(), exp, softplus, sigmoid, a residual add, and
    both strands through one convolution."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 7)
        self.act = nn.ReLU()
        self.mid = nn.Conv1d(6, 6, 3, padding=1)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        h = self.act(self.conv(x)) + self.act(self.conv(x.flip(1, 2))).flip(-1)
        h = torch.nn.functional.relu(self.mid(h)) + torch.relu(h) + self.mid(h).relu()
        pooled = torch.exp(0.1 * h).mean(-1) + torch.nn.functional.softplus(h).mean(-1)
        return torch.sigmoid(self.head(pooled))


@pytest.mark.parametrize("dtype, tolerance", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
@pytest.mark.parametrize("method", ["deeplift", "deepshap"])
def test_deeplift_is_additive_on_the_zoo(dtype, tolerance, method):
    torch.manual_seed(7)
    model = _Zoo().to(dtype).eval()
    a = attribute(model, sequences(5, seed=9), method=method, target=1, n_shuffles=6, tolerance=tolerance)
    assert a.relative_delta.max() <= tolerance
    np.testing.assert_allclose(a.attributions.sum(axis=(1, 2)) - a.delta, a.outputs - a.reference_outputs,
                               atol=1e-6)
    again = attribute(model, sequences(5, seed=9), method=method, target=1, n_shuffles=6, batch_size=1,
                      tolerance=tolerance)
    np.testing.assert_allclose(again.attributions, a.attributions, atol=1e-6 if dtype == torch.float32 else 1e-12)


def test_deeplift_of_a_linear_model_is_its_closed_form(linear):
    x = one_hot_inputs(sequences())
    W = linear.conv.weight.detach().numpy()[1]
    a = attribute(linear, x, method="deeplift", target=1)
    np.testing.assert_allclose(a.attributions, W * x, atol=1e-12)  # the zero reference


class _MaxPooled(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 4, 5)
        self.pool = nn.MaxPool1d(2)

    def forward(self, x):
        return self.pool(torch.relu(self.conv(x))).sum((1, 2))


class _FunctionalMax(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 4, 5)

    def forward(self, x):
        return torch.nn.functional.max_pool1d(self.conv(x), 2).sum((1, 2))


class _Softmaxed(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 3, 5)

    def forward(self, x):
        return torch.softmax(self.conv(x).mean(-1), dim=-1)


class _Gated(nn.Module):  # a product of two input-dependent tensors (attention, gating)
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(4, 4, 5)
        self.b = nn.Conv1d(4, 4, 5)

    def forward(self, x):
        return (self.a(x) * torch.sigmoid(self.b(x))).sum((1, 2))


class _LayerNormed(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 4, 5)
        self.norm = nn.LayerNorm(26)
        self.head = nn.Linear(4 * 26, 2)

    def forward(self, x):
        return self.head(torch.nn.functional.gelu(self.norm(self.conv(x))).flatten(1))


class _Attention(nn.Module):  # one self-attention layer: softmax(q k^T) v, two input-dependent products
    def __init__(self):
        super().__init__()
        self.embed = nn.Conv1d(4, 8, 5, padding=2)
        self.qkv = nn.Linear(8, 24)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        h = torch.relu(self.embed(x)).transpose(1, 2)  # (B, L, 8)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        weights = torch.softmax(q @ k.transpose(1, 2) / 8 ** 0.5, dim=-1)
        return self.head((weights @ v).mean(dim=1))


class _ProfileHead(nn.Module):  # BPNet: a profile over positions (log-softmax) and a count head
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 9, padding=4)
        self.tower = nn.Conv1d(8, 8, 3, padding=2, dilation=2)
        self.profile = nn.Conv1d(8, 1, 7, padding=3)
        self.count = nn.Linear(8, 1)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        h = h + torch.relu(self.tower(h))
        profile = torch.log_softmax(self.profile(h).flatten(1), dim=-1)  # (B, L)
        return torch.cat([profile, self.count(h.mean(-1))], dim=1)


class _GlobalMax(nn.Module):  # DeepBind: .max(dim=-1).values
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 7)
        self.dense = nn.Linear(6, 1)

    def forward(self, x):
        return self.dense(torch.relu(self.conv(x)).max(dim=-1).values)


class _Squared(nn.Module):  # x * x: one operand twice, a product, not a linear step
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 3, 5)

    def forward(self, x):
        h = self.conv(x)
        return (h * h).mean((1, 2))[:, None]


BLOCKS = [(_Squared, "mul"), (_MaxPooled, "MaxPool1d 'pool'"), (_FunctionalMax, "max_pool1d"), (_Softmaxed, "softmax"),
          (_Gated, "mul"), (_LayerNormed, "LayerNorm 'norm'"), (_Attention, "matmul"), (_ProfileHead, "log_softmax"),
          (_GlobalMax, "max")]


@pytest.mark.parametrize("dtype, tolerance", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
@pytest.mark.parametrize("make, named", BLOCKS, ids=[m.__name__ for m, _ in BLOCKS])
def test_ops_without_an_elementwise_rule_get_the_block_rule_and_stay_additive(make, named, dtype, tolerance):
    """Max pooling, softmax and log-softmax heads, layer norm, gating, attention: integrated
    gradients on that op alone, rescaled to its change, so the map is additive and says so."""
    torch.manual_seed(3)
    model = make().to(dtype).eval()
    target = 17 if make is _ProfileHead else 0  # a position of the profile
    a = attribute(model, sequences(4, seed=2), method="deepshap", n_shuffles=3, target=target, tolerance=tolerance)
    assert a.relative_delta.max() <= tolerance
    assert any("integrated gradients rescaled" in n and named in n for n in a.notes), a.notes


def test_deeplift_on_the_reference_shaped_model_matches_the_ops_count_head():
    """The count head of the profile model has no block op on its path: plain rescale rule."""
    torch.manual_seed(4)
    model = _ProfileHead().eval()
    a = attribute(model, sequences(3), method="deeplift", target=L)  # the count output
    assert a.relative_delta.max() <= 1e-4


class _Untraceable(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 2, 3)

    def forward(self, x):
        h = self.conv(x)
        return h.mean(-1) if h.sum() > 0 else -h.mean(-1)  # control flow on values


class _Indices(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 2, 3)

    def forward(self, x):
        return self.conv(x).argmax(-1).float()


@pytest.mark.parametrize("make, message", [
    (_Untraceable, "torch.fx cannot trace this _Untraceable"),
    (_Indices, r"argmax .* returns .*not a float tensor"),
])
def test_what_has_no_rule_is_refused_by_name(make, message):
    with pytest.raises(AttributionError, match=message):
        attribute(make().eval(), sequences(), method="deepshap", n_shuffles=2)


# ---------------------------------------------------------------- ISM, occlusion, regions and bigWig

def test_ism_of_a_linear_model_is_its_closed_form(linear):
    """Each substitution b at i changes f by W[b, i] - W[x_i, i]: less the mean over the letters,
    the hypothetical map is W less its column means, whatever the sequence."""
    W = linear.conv.weight.detach().numpy()[1]
    a = attribute(linear, sequences(), method="ism", target=1)
    np.testing.assert_allclose(a.hypothetical, np.broadcast_to(W - W.mean(axis=0), a.hypothetical.shape), atol=1e-12)
    np.testing.assert_allclose(a.attributions, a.hypothetical * a.inputs, atol=0)
    assert a.attributions[0, :, 5:8].sum() == 0 and any("3 N position(s)" in n for n in a.notes)
    np.testing.assert_allclose(a.outputs, linear(torch.from_numpy(a.inputs).double())[:, 1].detach().numpy())


def test_occlusion_of_a_linear_model_is_its_closed_form(linear):
    """Masking window [s, s + w) to N drops f by the window's sum of W * x; a position's score is
    the mean drop over the windows holding it."""
    W = linear.conv.weight.detach().numpy()[1]
    a = attribute(linear, sequences(), method="occlusion", target=1, window=4)
    per = (W * a.inputs).sum(axis=1)  # (N, L)
    drops = np.stack([per[:, s:s + 4].sum(axis=1) for s in range(L - 3)], axis=1)
    want = np.stack([np.mean([drops[:, s] for s in range(max(0, i - 3), min(i, L - 4) + 1)], axis=0)
                     for i in range(L)], axis=1)
    np.testing.assert_allclose(a.attributions.sum(axis=1), want * (a.inputs.sum(axis=1) > 0), atol=1e-12)
    shuffled = attribute(linear, sequences(), method="occlusion", target=1, window=4, mask="shuffle")
    assert shuffled.attributions.shape == a.attributions.shape
    with pytest.raises(ValueError, match="mask must be"):
        attribute(linear, sequences(), method="occlusion", mask="zero")


def test_cli_ism_over_genome_regions_writes_a_bigwig(tmp_path):
    """--regions: each BED region centred and resized to the model's length; --bigwig: each base's
    contribution on the genome, overlapping regions averaged."""
    import subprocess
    import sys

    pysam = pytest.importorskip("pysam")
    pyBigWig = pytest.importorskip("pyBigWig")
    torch.manual_seed(5)
    model = SmoothCNN().eval()
    program = torch.export.export(model, (torch.zeros(2, 4, L),),
                                  dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=1 << 16)},))
    torch.export.save(program, tmp_path / "m.pt2")
    rng = np.random.default_rng(1)
    chroms = {"chr1": "".join(rng.choice(list("ACGT"), 200)), "chr2": "".join(rng.choice(list("ACGT"), 90))}
    (tmp_path / "g.fa").write_text("".join(f">{c}\n{s}\n" for c, s in chroms.items()))
    pysam.faidx(str(tmp_path / "g.fa"))
    # centres 50 and 60 (overlapping windows), 45 on chr2, and one too near chr1's end (skipped)
    (tmp_path / "r.bed").write_text("chr1\t40\t60\nchr1\t55\t65\nchr2\t40\t50\nchr1\t190\t200\n")
    run = subprocess.run([sys.executable, "-m", "exactpwm", "attribute", "m.pt2", "g.fa", "--regions", "r.bed",
                          "--method", "ism", "--target", "1", "-o", "a.npz", "--bigwig", "tracks"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "1 of 4 regions skipped" in run.stderr and "3 regions of r.bed" in run.stderr
    windows = [("chr1", 50 - L // 2), ("chr1", 60 - L // 2), ("chr2", 45 - L // 2)]
    want = attribute(model, [chroms[c][s:s + L] for c, s in windows], method="ism", target=1)
    np.testing.assert_allclose(np.load(tmp_path / "a.npz")["arr_0"], want.hypothetical, rtol=1e-4, atol=1e-5)
    bw = pyBigWig.open(str(tmp_path / "tracks" / "attributions.bw"))
    per = want.attributions.sum(axis=1)
    chr1 = np.array(bw.values("chr1", 35, 75))
    expect = np.full(40, np.nan)
    expect[0:30] = per[0]  # chr1 35..65 from the first window
    expect[10:40] = np.where(np.isnan(expect[10:40]), per[1], (expect[10:40] + per[1]) / 2)  # 45..75, averaged
    np.testing.assert_allclose(chr1, expect, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bw.values("chr2", 30, 60), per[2], rtol=1e-4, atol=1e-5)
    assert np.isnan(bw.values("chr1", 0, 35)).all()
    bw.close()
    run = subprocess.run([sys.executable, "-m", "exactpwm", "attribute", "m.pt2", "g.fa", "--regions", "r.bed",
                          "--method", "gxi", "-o", "tracks/attributions.bw", "--bigwig", "tracks"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "attributions.bw" in run.stderr, run.stderr  # two outputs, one file: refused


def test_contributions_read_per_pwm_hit_through_the_pwm_layer():
    """A model rebuilt on its first layer's exact PWMs: each hit of a kernel is its window's
    pre-activation (score plus bias) with its p-value, and the map's sum over the window."""
    pytest.importorskip("pandas")
    from exactpwm.interpret.pwm_layer import pwm_equivalent
    from exactpwm.scanning.attribution_hits import hit_contributions

    torch.manual_seed(6)
    model = SmoothCNN().double().eval()
    with torch.no_grad():
        model.conv.weight[0] = -2.0
        model.conv.weight[0, [0, 1, 2, 3, 0, 1, 2], range(7)] = 2.0  # reads ACGTACG
    model = pwm_equivalent(model).eval()
    codes = sequences(4, seed=5)
    codes[1, 10:17] = [0, 1, 2, 3, 0, 1, 2]
    a = attribute(model, codes, method="deepshap", n_shuffles=4, target=0)
    hits = hit_contributions(a, model.conv, pvalue=1e-3)
    top = hits[(hits.sequence == 1) & (hits.motif == "kernel0") & (hits.strand == "+")].iloc[0]
    assert (top.start, top.end) == (10, 17) and top.pvalue < 1e-3
    with torch.no_grad():
        pre = model.conv(torch.from_numpy(a.inputs[1:2]).double())[0, 0, 10].item()
    assert top.score == pytest.approx(pre, abs=1e-6)
    assert top.contribution == pytest.approx(a.attributions[1, :, 10:17].sum(), abs=1e-12)
    assert top.share == pytest.approx(top.contribution / (a.outputs[1] - a.reference_outputs[1]))
    assert set(hits.columns) == {"sequence", "motif", "start", "end", "strand", "score", "pvalue", "contribution",
                                 "share"}


def test_class_activation_maps_sum_to_the_output_with_a_linear_head():
    from exactpwm.interpret.activation_maps import attention_maps

    torch.manual_seed(8)
    model = SmoothCNN().double().eval()  # softplus features, mean over positions, a linear head
    a = attribute(model, sequences(3, seed=1), method="cam", target=2)
    assert a.relative_delta.max() <= 1e-4 and any("sums to f(x) - head(0)" in n for n in a.notes)
    with torch.no_grad():  # the linear head's share of each feature position, spread over the bases
        h = torch.nn.functional.softplus(model.conv(torch.from_numpy(a.inputs).double()))  # (N, 8, L - 6)
        per_feature = ((model.dense.weight[2][None, :, None] * h).sum(1) / h.shape[-1]).numpy()
    np.testing.assert_allclose(a.attributions.sum(axis=1)[1:].sum(axis=1), per_feature[1:].sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(a.outputs - a.reference_outputs, per_feature.sum(axis=1), atol=1e-12)
    with pytest.raises(AttributionError, match="global average pool"):
        attribute(Linear().eval(), sequences(), method="cam")
    maps = attention_maps(_Attention().eval(), sequences(2))
    (weights,) = maps.values()
    assert weights.shape == (2, L, L) and np.allclose(weights.sum(-1), 1)
    with pytest.raises(AttributionError, match="no softmax"):
        attention_maps(SmoothCNN().eval(), sequences(2))


@pytest.mark.parametrize("method", ["deepshap", "ig", "ism"])
def test_maps_do_not_depend_on_the_thread_count(method):
    torch.manual_seed(9)
    model = (SmoothCNN() if method == "ig" else _Zoo()).eval()  # ig: a smooth path, so completeness is met
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = attribute(model, sequences(3, seed=4), method=method, n_shuffles=3)
        torch.set_num_threads(2)
        two = attribute(model, sequences(3, seed=4), method=method, n_shuffles=3)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_allclose(one.attributions, two.attributions, rtol=0, atol=1e-5)


@pytest.mark.slow
def test_the_xor_example_runs(tmp_path):
    """docs/interpret.md's XOR page: the example trains, attributes with every method and writes its table."""
    import json
    import subprocess
    import sys

    root = __import__("os").path.dirname(__import__("os").path.dirname(__file__))
    run = subprocess.run([sys.executable, f"{root}/examples/xor_attributions.py", "--out", str(tmp_path),
                          "--sequences", "2000", "--epochs", "2"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "xor.json").read_text())
    assert set(report["cases"]["negative (all three)"]["scores"]) == {"saliency", "gxi", "ig", "deepshap", "ism",
                                                                      "occlusion"}
    assert "| negative (all three) | ism |" in (tmp_path / "table.md").read_text()


@pytest.mark.parametrize("dtype, tolerance", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
def test_revealcancel_is_additive_and_exact_on_linear_models(dtype, tolerance, linear):
    """RevealCancel: positive and negative changes carried apart through the graph; the map still
    sums to f(x) - f(ref), equals W * x on a linear model, and is independent of the batch size."""
    torch.manual_seed(7)
    model = _Zoo().to(dtype).eval()
    a = attribute(model, sequences(5, seed=9), method="deepshap", n_shuffles=4, rule="revealcancel", target=1,
                  tolerance=tolerance)
    assert a.relative_delta.max() <= tolerance and "RevealCancel" in a.notes[0]
    again = attribute(model, sequences(5, seed=9), method="deepshap", n_shuffles=4, rule="revealcancel", target=1,
                      tolerance=tolerance, batch_size=1)
    np.testing.assert_allclose(again.attributions, a.attributions, atol=1e-6 if dtype == torch.float32 else 1e-12)
    W = linear.conv.weight.detach().numpy()[0]
    lin = attribute(linear, sequences(), method="deeplift", rule="revealcancel")
    np.testing.assert_allclose(lin.attributions, W * lin.inputs, atol=1e-12)
    np.testing.assert_allclose(lin.hypothetical, np.broadcast_to(W, lin.hypothetical.shape), atol=1e-12)
    with pytest.raises(AttributionError, match=r"MaxPool1d 'pool' has no RevealCancel rule"):
        attribute(_MaxPooled().eval(), sequences(), method="deepshap", rule="revealcancel", n_shuffles=2)
    with pytest.raises(ValueError, match="rule must be"):
        attribute(linear, sequences(), method="deeplift", rule="cancel")


class _FunctionalNorm(nn.Module):  # a block op with parameter operands read through get_attr nodes
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 4, 5)
        self.gamma = nn.Parameter(torch.rand(26) + 0.5)
        self.beta = nn.Parameter(torch.rand(26))
        self.head = nn.Linear(4 * 26, 1)

    def forward(self, x):
        h = torch.nn.functional.layer_norm(self.conv(x), (26,), self.gamma, self.beta)
        return self.head(torch.tanh(h).flatten(1))


def test_block_ops_with_parameter_operands_are_additive():
    torch.manual_seed(11)
    a = attribute(_FunctionalNorm().eval(), sequences(3), method="deepshap", n_shuffles=3)
    assert a.relative_delta.max() <= 1e-4 and any("layer_norm" in n for n in a.notes)


def test_revealcancel_refuses_what_it_cannot_carry():
    """.max(dim) returns (values, indices): RevealCancel has no rule for it, and says so."""
    with pytest.raises(AttributionError, match="RevealCancel"):
        attribute(_GlobalMax().eval(), sequences(2), method="deepshap", n_shuffles=2, rule="revealcancel")


@pytest.mark.parametrize("method,n", [("deepshap", 3), ("ig", 4), ("ism", 2)])
def test_attribute_in_parts_merges_into_the_one_run(tmp_path, method, n):
    """exactpwm attribute --part K/N over whole blocks of sequences, then exactpwm merge: the same
    maps, one-hot file and bigWig track as one run, bit for bit (shuffled references included)."""
    from exactpwm.jobs.attribute import AttributeOptions, run_attribute
    from exactpwm.jobs.merge import MergeOptions, run_merge

    pyBigWig = pytest.importorskip("pyBigWig")
    torch.manual_seed(7)
    model = SmoothCNN().eval()
    program = torch.export.export(model, (torch.zeros(2, 4, L),),
                                  dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=1 << 12)},))
    torch.export.save(program, tmp_path / "m.pt2")
    codes = sequences(11, seed=8)
    (tmp_path / "s.fa").write_text("".join(f">s{i}\n{''.join('ACGTN'[c] for c in row)}\n"
                                           for i, row in enumerate(codes)))
    common = dict(method=method, steps=8, n_shuffles=3, seed=5, tolerance=1.0, chunk=2)
    m, fa = str(tmp_path / "m.pt2"), str(tmp_path / "s.fa")
    run_attribute(AttributeOptions(m, fa, str(tmp_path / "whole.npz"), ohe=str(tmp_path / "ohe.npz"),
                                   bigwig=str(tmp_path / "bw"), **common), log=lambda line: None)
    parts = [str(tmp_path / f"p{k}.npz") for k in range(n)]
    for k, path in enumerate(parts):
        run_attribute(AttributeOptions(m, fa, path, part=(k, n), **common), log=lambda line: None)
    run_merge(MergeOptions(parts[::-1], str(tmp_path / "merged.npz"), ohe=str(tmp_path / "ohe2.npz"),
                           bigwig=str(tmp_path / "bw2")), log=lambda line: None)
    for a, b in (("whole.npz", "merged.npz"), ("ohe.npz", "ohe2.npz")):
        np.testing.assert_array_equal(np.load(tmp_path / a)["arr_0"], np.load(tmp_path / b)["arr_0"])
    one, two = pyBigWig.open(str(tmp_path / "bw" / "attributions.bw")), pyBigWig.open(str(tmp_path / "bw2" /
                                                                                          "attributions.bw"))
    for name in one.chroms():
        np.testing.assert_array_equal(one.values(name, 0, L), two.values(name, 0, L))
    one.close()
    two.close()
    with pytest.raises(Exception, match="merge"):  # --ohe and --bigwig go to the merge
        run_attribute(AttributeOptions(m, fa, str(tmp_path / "x.npz"), ohe=str(tmp_path / "o.npz"), part=(0, 2),
                                       **common), log=lambda line: None)


@pytest.mark.slow
def test_attribute_on_dask_equals_one_process(tmp_path):
    """exactpwm attribute --dask: whole blocks of sequences as tasks; the same files, bit for bit."""
    distributed = pytest.importorskip("dask.distributed")
    from exactpwm.jobs.attribute import AttributeOptions, run_attribute

    torch.manual_seed(9)
    model = SmoothCNN().eval()
    program = torch.export.export(model, (torch.zeros(2, 4, L),),
                                  dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=1 << 12)},))
    torch.export.save(program, tmp_path / "m.pt2")
    codes = sequences(9, seed=2)
    (tmp_path / "s.fa").write_text("".join(f">s{i}\n{''.join('ACGTN'[c] for c in row)}\n"
                                           for i, row in enumerate(codes)))
    common = dict(method="deepshap", n_shuffles=3, seed=4, chunk=2)
    m, fa = str(tmp_path / "m.pt2"), str(tmp_path / "s.fa")
    run_attribute(AttributeOptions(m, fa, str(tmp_path / "one.npz"), ohe=str(tmp_path / "o1.npz"), **common),
                  log=lambda line: None)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                       processes=True)
    try:
        run_attribute(AttributeOptions(m, fa, str(tmp_path / "two.npz"), ohe=str(tmp_path / "o2.npz"),
                                       dask=cluster.scheduler_address, **common), log=lambda line: None)
    finally:
        cluster.close()
    for a, b in (("one.npz", "two.npz"), ("o1.npz", "o2.npz")):
        np.testing.assert_array_equal(np.load(tmp_path / a)["arr_0"], np.load(tmp_path / b)["arr_0"])
