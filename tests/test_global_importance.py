"""Global importance analysis: closed forms on linear models, the local path equal to running every
embedded sequence, seeded nulls and samples, named errors, and the acceptance experiment (a model
trained on a cooperative pair: the spacing curve peaks at the planted gap, and the planted motifs
outrank unplanted JASPAR motifs)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from exactpwm.core.errors import AttributionError  # noqa: E402
from exactpwm.interpret.edited_outputs import KEEP, EditedOutputs  # noqa: E402
from exactpwm.interpret.gia import GlobalImportance, hypotheses  # noqa: E402
from exactpwm.interpret.null_models import iid_null, profile_null, quantile_null, shuffle_null  # noqa: E402
from exactpwm.interpret.pairwise_ism import pairwise_ism  # noqa: E402
from test_local_ism import Residual  # noqa: E402
from torch import nn  # noqa: E402

n = 60


class Linear(nn.Module):  # y = sum_j W[x_j, j] + c: a convolution as wide as the input
    def __init__(self, W):
        super().__init__()
        self.conv = nn.Conv1d(4, 1, W.shape[1]).double()
        with torch.no_grad():
            self.conv.weight[0] = torch.from_numpy(W)
            self.conv.bias.fill_(0.5)

    def forward(self, x):
        return self.conv(x).flatten(1)


class Tower(nn.Module):  # the attribution benchmarks' shape: exp, dilated residuals, mean, dense
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv1d(4, 16, 9, padding=4)
        self.res = nn.Sequential(Residual(16, 2), Residual(16, 4))
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        return self.head(self.res(torch.exp(0.3 * self.conv(x))).mean(dim=-1))


class Dense(nn.Module):  # flatten into a dense layer, and a max: the rest of the graph runs in full
    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.conv = nn.Conv1d(4, 8, 7)
        self.dense = nn.Linear(8 * (n - 6), 1)

    def forward(self, x):
        h = F.relu(self.conv(x))
        return self.dense(h.flatten(1)) + h.max(dim=-1).values.sum(dim=1, keepdim=True)


def codes(k, length=n, seed=0):
    return np.random.default_rng(seed).integers(0, 4, (k, length)).astype(np.uint8)


def test_effect_of_a_linear_model_has_its_closed_form():
    """For y = sum_j W[x_j, j], embedding a word at p changes y by sum_j W[word_j, p + j] - W[x_j, p + j]."""
    rng = np.random.default_rng(3)
    W = rng.normal(size=(4, n))
    null = codes(40)
    gia = GlobalImportance(Linear(W), null, output=0)
    assert gia.runner.method == "local"
    table = gia.effect(["ACGTAC", "GGNNTT"], position=10, strand="both")
    for r in range(len(table)):
        h = hypotheses(table["pattern"][r])[0]
        word = h.consensus()
        if table["strand"][r] == "-":
            word = np.where(word == KEEP, KEEP, 3 - np.minimum(word, 3))[::-1]
        cols = 10 + np.arange(len(word))
        keep = word != KEEP
        d = W[word[keep], cols[keep]][None] - W[null[:, cols[keep]], cols[keep]]
        want = d.sum(axis=1)
        assert table["mean"][r] == pytest.approx(want.mean(), abs=1e-9)
        assert table["sd"][r] == pytest.approx(want.std(ddof=1), abs=1e-9)
        assert table["ci_low"][r] < table["mean"][r] < table["ci_high"][r]
    # a callable on codes takes the full path and gives the same numbers
    def linear(X):
        return W[X, np.arange(n)].sum(axis=1, keepdims=True) + 0.5
    other = GlobalImportance(linear, null).effect(["ACGTAC", "GGNNTT"], position=10, strand="both")
    assert np.allclose(other["mean"], table["mean"], atol=1e-9)


@pytest.mark.parametrize("model", [Tower, Dense])
def test_the_local_path_equals_running_every_embedded_sequence(model):
    m = model().eval()
    null = codes(12)
    rng = np.random.default_rng(5)
    starts = np.array([0, 3, 27, n - 9, 31])
    words = rng.integers(0, 4, (5, 9)).astype(np.uint8)
    words[1, 2:5] = KEEP
    words[2, :3] = KEEP  # KEEP at an end: only the changed span is recomputed
    local = EditedOutputs(m, null, check=0)
    full = EditedOutputs(m, null, method="full", check=0)
    assert local.method == "local" and full.method == "full"
    got, want = local(starts, words), full(starts, words)
    assert np.abs(got - want).max() <= 1e-4 * max(1.0, np.abs(want).max())
    per_seq = rng.integers(0, 4, (5, 12, 9)).astype(np.uint8)  # a word per null sequence
    assert np.abs(local(starts, per_seq) - full(starts, per_seq)).max() <= 1e-4 * max(1.0, np.abs(want).max())


def test_every_experiment_runs_and_agrees_with_the_full_path():
    m = Tower().eval()
    null = iid_null(16, n, seed=2)
    a, b = GlobalImportance(m, null), GlobalImportance(m, null, method="full")
    for run in (lambda g: g.spacing_curve("GATAA", "TGACTCA", spacings=range(0, 12, 3), interaction=True),
                lambda g: g.copies("CACGTG", counts=(1, 2, 4)),
                lambda g: g.position_curve("TATAAA", positions=[0, 20, 54]),
                lambda g: g.interactions(["CACGTG", "GATAA", "TGACTCA"], spacing=4),
                lambda g: g.optimal_kmer(3, top=5)):
        x, y = run(a), run(b)
        assert x.kind == y.kind and len(x) == len(y)
        for col in x.columns:
            if x.columns[col].dtype.kind == "f":
                assert np.allclose(x.columns[col], y.columns[col], atol=1e-4), (x.kind, col)
            else:
                assert (x.columns[col] == y.columns[col]).all(), (x.kind, col)
    spacing = a.spacing_curve("GATAA", "TGACTCA", spacings=[2], orientations=["+-"], interaction=True)
    c = spacing.columns
    assert c["interaction"][0] == pytest.approx(c["mean"][0] - c["single_first"][0] - c["single_second"][0], abs=1e-9)
    kmers = a.optimal_kmer(2)
    assert len(kmers) == 2 * 16 and set(kmers["output"]) == {0, 1}
    first = kmers.to_pandas()
    assert list(first.columns[:4]) == ["kmer", "position", "strand", "output"]


def test_tables_write_tsv_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    g = GlobalImportance(Tower().eval(), iid_null(8, n, seed=4), output=1)
    tables = [g.effect(["GATAA", "CACGTG"]), g.position_curve("GATAA", positions=range(0, 50, 10)),
              g.copies("GATAA", counts=(1, 2)), g.spacing_curve("GATAA", "CACGTG", spacings=range(3)),
              g.interactions(["GATAA", "CACGTG", "TATAAA"]), g.optimal_kmer(2, top=4)]
    for t in tables:
        path = tmp_path / f"{t.kind}.tsv"
        t.write_tsv(path)
        lines = path.read_text().splitlines()
        assert len(lines) == len(t) + 1 and "mean" in lines[0].split("\t")
        t.plot().savefig(tmp_path / f"{t.kind}.png")
        assert (tmp_path / f"{t.kind}.png").stat().st_size > 1000


def test_null_models_are_seeded_and_keep_what_they_promise():
    real = codes(30, seed=7)
    s = shuffle_null(real, 50, seed=1)
    assert s.shape == (50, n) and (s == shuffle_null(real, 50, seed=1)).all()
    for j in range(50):  # dinucleotide counts kept
        src, got = real[j % 30], s[j]
        assert sorted(zip(src[:-1], src[1:])) == sorted(zip(got[:-1], got[1:]))
    k1 = shuffle_null(real, k=1, seed=1)
    assert (np.sort(k1, axis=1) == np.sort(real, axis=1)).all()
    real[2, 5:9] = 4  # N is a fifth letter
    for k in (3, 5):  # every k-mer count, and the first and last (k - 1)-mers, kept
        got = shuffle_null(real, 60, k=k, seed=2)
        assert (got == shuffle_null(real, 60, k=k, seed=2)).all() and (got != np.tile(real, (2, 1))).any()
        for j in range(60):
            src = real[j % 30]
            def kmers(x, k=k):
                return sorted(tuple(x[i:i + k]) for i in range(len(x) - k + 1))
            assert kmers(src) == kmers(got[j])
            assert (got[j, :k - 1] == src[:k - 1]).all() and (got[j, -(k - 1):] == src[-(k - 1):]).all()
    P = profile_null(real, 500, seed=2)
    assert P.shape == (500, n) and (P == profile_null(real, 500, seed=2)).all()
    only_a = np.zeros((5, n), np.uint8)
    assert (profile_null(only_a, 10) == 0).all()
    gc = iid_null(2000, 50, 0.8, seed=3)
    assert abs(np.isin(gc, [1, 2]).mean() - 0.8) < 0.01
    low = quantile_null(lambda X: (X == 2).sum(axis=1, keepdims=True).astype(float), real, 0.0, 0.25)
    assert 0 < len(low) < 30 and (low == 2).sum(axis=1).max() <= np.quantile((real == 2).sum(axis=1), 0.25)


def test_samples_from_a_pwm_are_seeded():
    from exactpwm.core.motif import Motif

    m = Motif("m", np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1]] * 3).T.reshape(4, 6)
              / np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1]] * 3).T.reshape(4, 6).sum(axis=0))
    model = Tower().eval()
    null = iid_null(20, n, seed=1)
    one = GlobalImportance(model, null, seed=3).effect(m, embed="sample")
    two = GlobalImportance(model, null, seed=3).effect(m, embed="sample")
    other = GlobalImportance(model, null, seed=4).effect(m, embed="sample")
    assert (one["mean"] == two["mean"]).all() and not (one["mean"] == other["mean"]).all()


@pytest.mark.parametrize("call, message", [
    (lambda g: g.effect("A" * (n + 1)), "wider than the null sequences"),
    (lambda g: g.effect("ACGT", position=n - 2), "does not fit"),
    (lambda g: g.effect("ACGX"), "string of A, C, G, T and N"),
    (lambda g: g.effect("ACGT", strand="x"), "strand must be"),
    (lambda g: g.effect([]), "no patterns"),
    (lambda g: g.spacing_curve("ACGT", "ACGT", spacings=[n]), "wider than the null"),
    (lambda g: g.spacing_curve("ACGT", "ACGT", orientations=["+"]), "orientation is two strands"),
    (lambda g: g.interactions(["ACGT"]), "at least two patterns"),
    (lambda g: g.optimal_kmer(9), "k"),
    (lambda g: g.copies("ACGTACGTAC", counts=[7]), "do not fit"),
])
def test_bad_requests_name_the_problem(call, message):
    g = GlobalImportance(Tower().eval(), iid_null(4, n), check=0)
    with pytest.raises(ValueError, match=message):
        call(g)


def test_bad_null_sets_and_outputs_name_the_problem():
    with pytest.raises(ValueError, match="null set is empty"):
        GlobalImportance(Tower().eval(), np.zeros((0, n), np.uint8))
    with pytest.raises(ValueError, match="output 5 does not exist"):
        GlobalImportance(Tower().eval(), iid_null(4, n), output=5)
    with pytest.raises(ValueError, match="no sequences"):
        shuffle_null(np.zeros((0, n), np.uint8))
    with pytest.raises(ValueError, match="k must be"):
        shuffle_null(codes(3), k=0)
    with pytest.raises(ValueError, match="composition"):
        iid_null(3, 10, [1, 2, 3])
    with pytest.raises(ValueError, match="low < high"):
        quantile_null(lambda X: X.sum(axis=1, keepdims=True), codes(5), 0.5, 0.5)


def test_a_wrong_local_answer_is_caught(monkeypatch):
    import exactpwm.interpret.local_ism as local

    real = local.run_rows
    monkeypatch.setattr(local, "run_rows", lambda *a, **k: real(*a, **k) + 0.5)
    with pytest.raises(AttributionError, match="disagrees with running the model"):
        GlobalImportance(Tower().eval(), iid_null(6, n)).effect("GATAA")


def test_pairwise_ism_equals_brute_force_and_finds_xor():
    """Epistasis of every pair of substitutions equals running each double mutant; on an XOR model
    the first-order map is blind to the pair while the pairwise map shows it."""
    m = Tower().eval()
    seq = codes(1, seed=9)[0]
    res = pairwise_ism(m, seq, 20, 26)
    w = 6
    X = np.repeat(seq[None], 16 * w * w, axis=0)
    idx = 0
    want = np.full((w, w, 4, 4, 2), np.nan)
    rows = []
    for i in range(w):
        for j in range(w):
            for a in range(4):
                for b in range(4):
                    X[idx, 20 + i], X[idx, 20 + j] = a, b
                    rows.append((i, j, a, b))
                    idx += 1
    with torch.no_grad():
        y = m(F.one_hot(torch.from_numpy(X.astype(np.int64)), 4).float().transpose(1, 2)).double().numpy()
    for (i, j, a, b), v in zip(rows, y):
        if i != j:
            want[i, j, a, b] = v
    assert np.nanmax(np.abs(res.double - want)) < 1e-4
    assert np.isnan(res.double[np.arange(w), np.arange(w)]).all()

    def xor(X):  # 1 when exactly one of positions 3 and 7 holds a G
        g = (X[:, 3] == 2).astype(float) + (X[:, 7] == 2).astype(float)
        return (g == 1).astype(float)[:, None]
    base = np.zeros(12, np.uint8)  # A everywhere: neither G
    res = pairwise_ism(xor, base)
    first_order = res.single[..., 0] - res.y0[0]
    assert first_order[3, 2] == 1 and first_order[7, 2] == 1  # each G alone helps
    assert res.epistasis[3, 7, 2, 2, 0] == -2  # together they cancel: visible only to the pair
    imap = res.interaction_map()
    assert np.nanargmax(imap) in (3 * 12 + 7, 7 * 12 + 3)


def test_gia_on_a_trained_cooperative_pair():
    """Acceptance: a CNN trained on a pair at gap 6 (either alone half as strong) has a spacing
    curve that peaks at 6, and the effects rank the two planted JASPAR motifs above ten others."""
    pytest.importorskip("pyjaspar")
    from exactpwm.io.formats.jaspardb import load_jaspar
    from trained_models import spacing_model

    ms = load_jaspar(["MA0035.4", "MA0099.3", "MA0139.1", "MA0080.5", "MA0106.3", "MA0112.3", "MA0007.3",
                      "MA0004.1", "MA0006.1", "MA0019.1", "MA0025.1", "MA0027.2"])
    first, second = (hypotheses(m)[0].consensus() for m in ms[:2])
    model = spacing_model("".join("ACGT"[c] for c in first), "".join("ACGT"[c] for c in second), 6)
    g = GlobalImportance(model, iid_null(300, 100, seed=3), output=0)
    curve = g.spacing_curve(ms[0], ms[1], spacings=range(0, 21), orientations=("++",))
    assert curve["spacing"][int(np.argmax(curve["mean"]))] == 6
    top = np.argsort(-curve["mean"])
    assert curve["ci_low"][top[0]] > curve["ci_high"][top[1]]  # the peak stands clear of its interval
    effects = g.effect(ms)
    ranked = list(effects["pattern"][np.argsort(-effects["mean"])])
    assert set(ranked[:2]) == {ms[0].name + " " + ms[0].alt_name, ms[1].name + " " + ms[1].alt_name}


@pytest.fixture()
def exported(tmp_path):
    model = Tower().eval()
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.export.export(model, (torch.zeros(2, 4, n),), dynamic_shapes=({0: batch},))
    torch.export.save(program, tmp_path / "m.pt2")
    seqs = codes(20, seed=11)
    with open(tmp_path / "real.fa", "w") as f:
        for i, row in enumerate(seqs):
            f.write(f">s{i}\n{''.join('ACGT'[c] for c in row)}\n")
    with open(tmp_path / "m.meme", "w") as f:
        f.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n")
        for name, word in (("gata", "GATAA"), ("ebox", "CACGTG"), ("ap1", "TGACTCA")):
            f.write(f"MOTIF {name}\nletter-probability matrix: alength= 4 w= {len(word)}\n")
            for c in word:
                f.write(" ".join("0.91" if b == c else "0.03" for b in "ACGT") + "\n")
            f.write("\n")
    return tmp_path, model


def test_the_gia_command_writes_its_tables(exported):
    from exactpwm.app.cli import main

    tmp, model = exported
    out = tmp / "gia"
    rc = main(["gia", str(tmp / "m.pt2"), "--null", f"shuffle:{tmp / 'real.fa'}", "-m", str(tmp / "m.meme"),
               "-p", "TATAAA", "-n", "1100", "-o", str(out), "--pair", "gata,ap1", "--max-spacing", "5",
               "--interactions", "3", "--kmer", "2", "--strand", "both", "-q"])
    assert rc == 0
    for name in ("effects", "spacing", "interactions", "kmers"):
        assert (out / f"{name}.tsv").exists() and (out / f"{name}.png").exists()
    lines = (out / "effects.tsv").read_text().splitlines()
    assert lines[0].split("\t")[:4] == ["pattern", "width", "position", "strand"] and len(lines) == 1 + 4 * 2
    means = [float(x.split("\t")[4]) for x in lines[1:]]
    assert means == sorted(means, reverse=True)
    # the same numbers as the API on the null the command wrote
    from exactpwm.core.sequence import code_rows
    from exactpwm.io.fasta import read_fasta

    null = code_rows([c for _, c in read_fasta(str(out / "null.fa"))])
    assert null.shape == (1100, n)
    api = GlobalImportance(model, null, output=0).effect(["GATAA"], strand="+")
    row = next(x.split("\t") for x in lines[1:] if x.startswith("gata\t") and x.split("\t")[3] == "+")
    assert float(row[4]) == pytest.approx(api["mean"][0], rel=1e-4, abs=1e-6)
    assert len((out / "spacing.tsv").read_text().splitlines()) == 1 + 6 * 4


@pytest.mark.parametrize("method", ["local", "full"])
def test_blocks_of_the_null_set_run_alone_give_the_same_numbers(method):
    """EditedOutputs.block: a block's model calls depend only on that block, so running blocks on
    their own (as gia --dask does) gives the whole set's outputs bit for bit."""
    model = Tower().eval()
    X = codes(50, seed=3)
    rng = np.random.default_rng(1)
    starts = np.array([0, 7, n - 6, 20])
    words = rng.integers(0, 4, (4, 50, 6)).astype(np.uint8)
    whole = EditedOutputs(model, X, method=method, batch_size=16)
    assert whole.block == 16
    y = whole(starts, words)
    for a in range(0, 50, 16):
        part = EditedOutputs(model, X[a:a + 16], method=method, batch_size=16)
        np.testing.assert_array_equal(part.baseline, whole.baseline[a:a + 16])
        np.testing.assert_array_equal(part(starts, words[:, a:a + 16]), y[:, a:a + 16])


def test_gia_on_dask_equals_one_process(exported):
    """exactpwm gia --dask: runs of whole blocks of the null set as tasks; the same tables, byte for
    byte (samples from the PWMs and k-mers included)."""
    distributed = pytest.importorskip("dask.distributed")
    from exactpwm.jobs.gia import GiaOptions, run_gia

    tmp, _ = exported
    common = dict(null=f"shuffle:{tmp / 'real.fa'}", motifs=str(tmp / "m.meme"), size=90, batch_size=16,
                  embed="sample", pair=("gata", "ap1"), max_spacing=3, interactions=2, kmer=2, plots=False, seed=5)
    run_gia(GiaOptions(str(tmp / "m.pt2"), str(tmp / "one"), **common), log=lambda line: None)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                       processes=True)
    try:
        said: list = []
        run_gia(GiaOptions(str(tmp / "m.pt2"), str(tmp / "two"), dask=cluster.scheduler_address, **common),
                log=said.append)
    finally:
        cluster.close()
    assert any("dask: 2 workers" in line for line in said)
    for name in ("effects.tsv", "spacing.tsv", "interactions.tsv", "kmers.tsv", "null.fa"):
        assert (tmp / "one" / name).read_bytes() == (tmp / "two" / name).read_bytes(), name


@pytest.mark.parametrize("extra, message", [
    (["--null", "shuffle:missing.fa"], "missing.fa"),
    (["--null", "markov:x"], "null model is shuffle"),
    (["--null", "iid", "--length", "50"], "the model takes sequences of 60 bp"),
    (["--null", "shuffle:{tmp}/real.fa:0"], "k-mer length"),
    (["--null", "iid", "--pair", "gata"], "two names"),
    (["--null", "iid", "--pair", "gata,nosuch"], "not a motif id"),
    (["--null", "iid", "-p", "ACGX"], "A, C, G, T and N"),
    (["--null", "shuffle:{tmp}/o/null.fa"], "null.fa"),  # the input would be overwritten
])
def test_the_gia_command_names_bad_input(exported, capsys, extra, message):
    from exactpwm.app.cli import main

    tmp, _ = exported
    (tmp / "o").mkdir(exist_ok=True)
    (tmp / "o" / "null.fa").write_text((tmp / "real.fa").read_text())
    extra = [x.replace("{tmp}", str(tmp)) for x in extra]
    try:
        rc = main(["gia", str(tmp / "m.pt2"), "-m", str(tmp / "m.meme"), "-o", str(tmp / "o"), "-n", "5", *extra])
    except SystemExit as exc:  # usage errors exit 2
        rc = exc.code
    err = capsys.readouterr().err
    assert rc in (1, 2) and message in err and "Traceback" not in err


def test_a_pwm_first_layer_and_a_pwm_model_give_the_conv_models_effects():
    """The same network as a plain conv, as exactpwm's PWMConv1d (both on the local path) and as a
    PWMModel run by the engine (full path): equal effects."""
    from exactpwm.interpret.pwm_layer import PWMConv1d
    from exactpwm.interpret.torch_model import pwm_model_from_torch

    torch.manual_seed(0)
    conv, dense = nn.Conv1d(4, 8, 9), nn.Linear(8, 2)

    class Net(nn.Module):
        def __init__(self, first):
            super().__init__()
            self.first, self.dense = first, dense

        def forward(self, x):
            return self.dense(torch.relu(self.first(x)).amax(dim=-1))
    null = iid_null(30, 80, seed=1)
    plain = GlobalImportance(Net(conv).eval(), null)
    layer = GlobalImportance(Net(PWMConv1d(conv)).eval(), null)
    engine = GlobalImportance(pwm_model_from_torch(conv, dense), null)
    assert plain.runner.method == layer.runner.method == "local" and engine.runner.method == "full"
    want = plain.effect(["GATAAG", "CACGTG"])["mean"]
    for g in (layer, engine):
        assert np.abs(g.effect(["GATAAG", "CACGTG"])["mean"] - want).max() < 1e-5
