"""The command-line tool end to end, through a subprocess, on small files."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import exactpwm
import numpy as np
import pytest
from exactpwm import Motif, MotifSet, read_motifs
from motifs import jaspar_pwm


def run_cli(*args, cwd=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "exactpwm", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, input=stdin)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 3-record FASTA (60-column lines, an N run, soft-masked bases), its gzip, and a MEME file."""
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(5)
    records = {}
    for i, n in enumerate((30_000, 12_345, 25)):
        s = list("".join(rng.choice(list("ACGT"), size=n)))
        if i == 0:
            s[1000:1100] = "N" * 100
            s[2000:2100] = [c.lower() for c in s[2000:2100]]
        records[f"chr{i + 1}"] = "".join(s)
    fa = d / "genome.fa"
    fa.write_text("".join(f">{k} record {k}\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                          for k, v in records.items()))
    (d / "genome.fa.gz").write_bytes(gzip.compress(fa.read_bytes()))
    ctcf = jaspar_pwm()
    rng2 = np.random.default_rng(1)
    short = rng2.dirichlet(np.ones(4) * 0.3, size=8).T
    motifs = MotifSet([Motif("CTCF", ctcf, alt_name="ctcf_like", nsites=40),
                       Motif("short8", short, alt_name="random")], background=[0.3, 0.2, 0.2, 0.3])
    exactpwm.write_motifs(motifs, d / "motifs.meme")
    return d, fa, d / "genome.fa.gz", d / "motifs.meme", records


def _tsv_rows(text: str) -> list[list[str]]:
    return [ln.split("\t") for ln in text.splitlines()[1:] if ln and not ln.startswith("#")]


def test_info():
    r = run_cli("info")
    assert r.returncode == 0
    assert json.loads(r.stdout)["auto"] in ("cpp", "numba")


def test_scan_tsv_equals_the_python_api(files):
    d, fa, _, meme, _ = files
    r = run_cli("scan", meme, fa, "--thresh", "1e-3")
    assert r.returncode == 0, r.stderr
    rows = _tsv_rows(r.stdout)
    motifs = read_motifs(meme)
    hits = exactpwm.scan(motifs, fa, pvalue=1e-3, pseudocount=0.1)  # the file's background, FIMO's pseudocount
    assert len(rows) == len(hits) > 20
    for row, h in zip(rows, hits.rows):
        assert row[0] == hits.motif_names[h["motif"]]
        assert row[1] == motifs[int(h["motif"])].alt_name
        assert row[2] == hits.sequence_names[h["sequence"]]
        assert (int(row[3]), int(row[4])) == (h["start"] + 1, h["end"])  # 1-based inclusive
        assert row[5] == h["strand"].decode() and row[9] == h["matched"].decode()
        assert float(row[6]) == pytest.approx(h["score"], abs=1e-5)
        assert float(row[7]) == pytest.approx(h["pvalue"], rel=1e-2)
    assert "# command: exactpwm scan" in r.stdout


@pytest.mark.slow
def test_gzip_and_stdin_give_the_same_hits(files):
    d, fa, fagz, meme, _ = files
    plain = run_cli("scan", meme, fa, "--format", "bed")
    gz = run_cli("scan", meme, fagz, "--format", "bed")
    stdin = subprocess.run([sys.executable, "-m", "exactpwm", "scan", str(meme), "-", "--format", "bed"],
                           input=fagz.read_bytes(), capture_output=True)
    body = lambda text: [ln for ln in text.splitlines() if not ln.startswith("#")]  # noqa: E731
    assert plain.returncode == gz.returncode == stdin.returncode == 0
    assert body(plain.stdout) == body(gz.stdout) == body(stdin.stdout.decode()) != []


@pytest.mark.slow
def test_coordinates_agree_between_formats(files):
    d, fa, _, meme, records = files
    tsv = _tsv_rows(run_cli("scan", meme, fa, "--thresh", "1e-3").stdout)
    bed = [ln.split("\t") for ln in run_cli("scan", meme, fa, "--thresh", "1e-3", "--format", "bed").stdout.splitlines()
           if not ln.startswith("#")]
    gff = [ln.split("\t") for ln in run_cli("scan", meme, fa, "--thresh", "1e-3", "--format", "gff").stdout.splitlines()
           if ln and not ln.startswith("#")]
    assert len(tsv) == len(bed) == len(gff)
    for t, b, g in zip(tsv, bed, gff):
        assert (int(b[1]), int(b[2])) == (int(t[3]) - 1, int(t[4]))  # BED 0-based half-open
        assert (int(g[3]), int(g[4])) == (int(t[3]), int(t[4]))  # GFF3 1-based inclusive
        assert b[0] == g[0] == t[2] and b[5] == g[6] == t[5]
        window = records[t[2]][int(b[1]):int(b[2])].upper()
        assert window == (t[9] if t[5] == "+" else exactpwm.reverse_complement(t[9]))
        assert f"sequence={t[9]}" in g[8] and "pvalue=" in g[8]


@pytest.mark.slow
def test_scan_options(files):
    d, fa, _, meme, _ = files
    one = _tsv_rows(run_cli("scan", meme, fa, "--thresh", "1e-3", "--norc").stdout)
    assert one and {r[5] for r in one} == {"+"}
    sel = _tsv_rows(run_cli("scan", meme, fa, "--thresh", "1e-3", "--motif", "short8").stdout)
    assert sel and {r[0] for r in sel} == {"short8"}
    q = _tsv_rows(run_cli("scan", meme, fa, "--thresh", "1e-3", "--qvalues").stdout)
    assert all(0 < float(r[8]) <= 1 for r in q)
    bg = d / "bg.txt"
    bg.write_text("# 0-order\nA 0.25\nC 0.25\nG 0.25\nT 0.25\nAA 0.1\n")
    uni = run_cli("scan", meme, fa, "--uniform", "--format", "bed").stdout
    assert run_cli("scan", meme, fa, "--bgfile", bg, "--format", "bed").stdout.splitlines()[1:] == uni.splitlines()[1:]
    by_score = _tsv_rows(run_cli("scan", meme, fa, "--score", "12", "--motif", "CTCF").stdout)
    assert by_score and all(float(r[6]) >= 12 for r in by_score)
    for j in ("1", "2"):
        assert run_cli("scan", meme, fa, "-j", j, "--format", "bed").stdout.splitlines()[1:] == \
            run_cli("scan", meme, fa, "--format", "bed").stdout.splitlines()[1:]


def test_maxima_equals_sequence_maxima(files):
    d, fa, _, meme, _ = files
    r = run_cli("scan", meme, fa, "--format", "maxima")
    assert r.returncode == 0, r.stderr
    rows = _tsv_rows(r.stdout)
    best = exactpwm.sequence_maxima(read_motifs(meme), fa, pseudocount=0.1)
    assert len(rows) == 3 * 2
    for row in rows:
        s, k = best.sequence_names.index(row[0]), best.motif_names.index(row[1])
        if best.start[s, k] < 0:  # chr3 (25 bp) is shorter than CTCF (19 bp)? no: has windows; short ones '.'
            assert row[3] == "."
        else:
            assert int(row[3]) == best.start[s, k] + 1
            assert float(row[6]) == pytest.approx(best.score[s, k], abs=1e-5)


def test_output_file_and_never_overwriting_inputs(files, tmp_path):
    d, fa, _, meme, _ = files
    out = tmp_path / "hits.tsv"
    assert run_cli("scan", meme, fa, "-o", out).returncode == 0
    assert out.read_text().startswith("motif_id\t")
    before = fa.read_bytes()
    r = run_cli("scan", meme, fa, "-o", fa)
    assert r.returncode == 2 and "input file" in r.stderr
    assert fa.read_bytes() == before
    # a failing scan leaves an existing output as it was
    out.write_text("keep me\n")
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nACGTJ\n")
    r = run_cli("scan", meme, bad, "-o", out)
    assert r.returncode == 1 and "bad.fa" in r.stderr and "'J'" in r.stderr
    assert out.read_text() == "keep me\n"


@pytest.mark.parametrize("args,code,message", [
    (["scan", "{meme}", "{fa}", "--thresh", "0"], 2, "must be in (0, 1]"),
    (["scan", "{meme}", "{fa}", "--thresh", "1e-4", "--score", "3"], 2, "not allowed with"),
    (["scan", "{meme}", "{fa}", "--format", "xml"], 2, "invalid choice"),
    (["scan", "{meme}", "{fa}", "-j", "-1"], 2, "threads must be >= 0"),
    (["scan", "{meme}", "{fa}", "--base", "1"], 2, "must be > 1"),
    (["scan", "{meme}"], 2, "required"),
    (["scan", "{meme}", "missing.fa"], 1, "missing.fa: no such file"),
    (["scan", "{fa}", "{fa}"], 1, "cannot tell the motif format"),
    (["scan", "{meme}", "{fa}", "--motif", "nope"], 1, "no motif named 'nope'"),
    (["convert", "{meme}", "-o", "x.xyz"], 2, "cannot tell the format of 'x.xyz'"),
    (["frobnicate"], 2, "invalid choice"),
])
def test_bad_arguments_exit_codes_and_messages(files, args, code, message):
    d, fa, _, meme, _ = files
    r = run_cli(*[a.format(meme=meme, fa=fa) for a in args], cwd=d)
    assert r.returncode == code, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_malformed_motif_file_names_file_and_line(files, tmp_path):
    d, fa, _, _, _ = files
    bad = tmp_path / "bad.meme"
    bad.write_text("MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 0.25\n"
                   "0.3 0.3 zz 0.1\n")
    r = run_cli("scan", bad, fa)
    assert r.returncode == 1
    assert f"{bad}:5:" in r.stderr and "'zz'" in r.stderr


@pytest.mark.slow
def test_progress_only_when_asked_or_on_a_terminal(files):
    d, fa, _, meme, _ = files
    assert run_cli("scan", meme, fa).stderr == ""  # stderr is a pipe here: silent
    r = run_cli("scan", meme, fa, "--progress")
    assert "bp/s" in r.stderr and "100%" in r.stderr
    assert run_cli("scan", meme, fa, "-q").stderr == ""


@pytest.mark.slow
def test_convert_kernels_to_every_format_and_back(tmp_path):
    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 4, 10))
    np.save(tmp_path / "k.npy", W)
    pwm, offset = exactpwm.kernel_to_pwm(W, 2.0)
    for ext in ("meme", "jaspar", "pfm", "transfac", "motif"):
        out = tmp_path / f"k.{ext}"
        r = run_cli("convert", tmp_path / "k.npy", "-o", out, "--base", "2", "--offsets", tmp_path / "off.tsv")
        assert r.returncode == 0, r.stderr
        back = read_motifs(out)
        assert back.names == ["kernel0", "kernel1", "kernel2"]
        np.testing.assert_allclose(np.stack([m.pwm for m in back]), pwm, atol=1e-6)
    offs = [ln.split("\t") for ln in (tmp_path / "off.tsv").read_text().splitlines()[1:]]
    np.testing.assert_allclose([float(o[1]) for o in offs], offset, rtol=1e-12)
    # the inverse direction: log_b P kernels
    r = run_cli("convert", tmp_path / "k.meme", "-o", tmp_path / "back.npz", "--base", "2", "--pseudocount", "0")
    assert r.returncode == 0, r.stderr
    z = np.load(tmp_path / "back.npz")
    # MEME files hold probabilities to 6 decimals: log2 of p ~ 0.01 moves by ~1e-4
    np.testing.assert_allclose(z["kernels"], exactpwm.pwm_to_kernel(pwm, 2.0)[0], atol=2e-4)
    # to stdout: MEME, with the summary on stderr
    r = run_cli("convert", tmp_path / "k.npy", "--flip", "--names", "a,b,c")
    assert r.stdout.startswith("MEME version 4") and "MOTIF c" in r.stdout and "convolution (flipped)" in r.stderr


@pytest.mark.slow
def test_convert_pytorch_state_dict_with_bias(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv1d(4, 5, 9), torch.nn.ReLU(), torch.nn.Conv1d(5, 2, 3))
    torch.save(model.state_dict(), tmp_path / "model.pt")
    r = run_cli("convert", tmp_path / "model.pt", "-o", tmp_path / "m.meme", "--offsets", tmp_path / "o.tsv")
    assert r.returncode == 0, r.stderr
    W, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    pwm, offset = exactpwm.kernel_to_pwm(W, bias=b)
    np.testing.assert_allclose(np.stack([m.pwm for m in read_motifs(tmp_path / "m.meme")]), pwm, atol=1e-6)
    offs = [float(ln.split("\t")[1]) for ln in (tmp_path / "o.tsv").read_text().splitlines()[1:]]
    np.testing.assert_allclose(offs, offset, rtol=1e-6)


def test_convert_keras_weights(tmp_path):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(7, 4, 3)), rng.normal(size=3)  # Keras Conv1D: (L, 4, K)
    with h5py.File(tmp_path / "model.weights.h5", "w") as f:  # the Keras 3 layout of a weights file
        f["layers/conv1d/vars/0"] = kernel
        f["layers/conv1d/vars/1"] = bias
        f["layers/dense/vars/0"] = rng.normal(size=(3, 1))
    r = run_cli("convert", tmp_path / "model.weights.h5", "-o", tmp_path / "m.meme", "--offsets", tmp_path / "o.tsv")
    assert r.returncode == 0, r.stderr
    pwm, offset = exactpwm.kernel_to_pwm(exactpwm.to_torch_layout(kernel, "keras"), bias=bias)
    np.testing.assert_allclose(np.stack([m.pwm for m in read_motifs(tmp_path / "m.meme")]), pwm, atol=1e-6)


def test_convert_fit_base(files, tmp_path):
    d, fa, _, _, _ = files
    W = exactpwm.pwm_to_kernel(jaspar_pwm(), 2.0)[0][None]
    np.save(tmp_path / "k.npy", W)
    r = run_cli("convert", tmp_path / "k.npy", "--fit-base", fa, "-o", tmp_path / "k.meme")
    assert r.returncode == 0, r.stderr
    fit = exactpwm.fit_base(W, [c for _, c in exactpwm.io.fasta.read_fasta(fa)])
    assert f"fitted base b = {fit.base:.6g}" in r.stderr


@pytest.mark.slow
def test_track_bedgraph_matches_score_tracks(files, tmp_path):
    d, fa, _, meme, records = files
    out = tmp_path / "ctcf.bedGraph"
    r = run_cli("track", meme, fa, "--motif", "CTCF", "-o", out)
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("track type=bedGraph")
    got = {}
    for ln in lines[1:]:
        chrom, a, b, v = ln.split("\t")
        for p in range(int(a), int(b)):
            got[(chrom, p)] = float(v)
    ms = read_motifs(meme).select(["CTCF"])
    for name, start, _, scores in exactpwm.score_tracks(ms, fa, pseudocount=0.1):
        best = np.fmax(scores[0, 0], scores[1, 0])
        for j in (0, 999, 1000, 2050, best.size - 1):
            if j < best.size:
                if np.isnan(best[j]):
                    assert (name, start + j) not in got
                else:
                    assert got[(name, start + j)] == pytest.approx(best[j], abs=1e-5)
    # several motifs: one file each in a folder
    r = run_cli("track", meme, fa, "-o", tmp_path / "tracks")
    assert r.returncode == 0 and sorted(p.name for p in (tmp_path / "tracks").iterdir()) == \
        ["CTCF.bedGraph", "short8.bedGraph"]
    assert run_cli("track", meme, fa).returncode == 2


def test_track_bigwig(files, tmp_path):
    pyBigWig = pytest.importorskip("pyBigWig")
    d, fa, _, meme, records = files
    r = run_cli("track", meme, fa, "--motif", "short8", "-o", tmp_path / "t.bw")
    assert r.returncode == 0, r.stderr
    bw = pyBigWig.open(str(tmp_path / "t.bw"))
    assert bw.chroms() == {k: len(v) for k, v in records.items()}
    ms = read_motifs(meme).select(["short8"])
    name, start, idx, scores = next(exactpwm.score_tracks(ms, fa, pseudocount=0.1))
    best = np.fmax(scores[0, 0], scores[1, 0])
    np.testing.assert_allclose(bw.values(name, 0, 50), best[:50], atol=1e-4)  # bigWig stores float32


@pytest.mark.slow
def test_logo_png_and_svg(files, tmp_path):
    image = pytest.importorskip("matplotlib.image")
    d, fa, _, meme, _ = files
    r = run_cli("logo", meme, "-o", tmp_path / "logos")
    assert r.returncode == 0, r.stderr
    png = image.imread(tmp_path / "logos" / "CTCF.png")
    h, w = png.shape[:2]
    assert 200 <= h <= 600 and 800 <= w <= 2000  # 19 columns: wide, not tall
    assert png[..., :3].std() > 0.05  # not blank
    r = run_cli("logo", meme, "-o", tmp_path / "svg", "--format", "svg", "--motif", "short8")
    assert r.returncode == 0 and (tmp_path / "svg" / "short8.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.slow
def test_demo_runs_the_main_job(tmp_path):
    r = run_cli("demo", "--length", "200000", "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["theorem1_max_abs_error"] < 1e-9
    assert "Theorem 1" in r.stdout


def test_usage_error_exit_code():
    r = run_cli("demo", "--length", "many")
    assert r.returncode == 2
    assert "--length must be a number, got 'many'" in r.stderr


@pytest.mark.slow
def test_converted_kernels_scan_exactly_unless_a_pseudocount_is_asked(tmp_path):
    """convert marks its PWMs as exact (MEME URL line); scan then adds no pseudocount by default,
    so the scores are the exact log-odds of the converted PWMs; --pseudocount still applies."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "k.npy", rng.normal(0, 1, size=(2, 4, 6)))
    seq = "".join(rng.choice(list("ACGT"), 300))
    (tmp_path / "s.fa").write_text(f">s\n{seq}\n")
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "convert", str(tmp_path / "k.npy"), "--base", "2",
                          "-o", str(tmp_path / "k.meme")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    motifs = exactpwm.read_motifs(tmp_path / "k.meme")
    assert all(m.is_exact for m in motifs)
    for extra, smoothed in (([], False), (["--pseudocount", "0.1"], True)):
        out = tmp_path / "hits.tsv"
        run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "scan", str(tmp_path / "k.meme"),
                              str(tmp_path / "s.fa"), "--score", "-100", "--uniform", "-o", str(out), "-q",
                              "--motif", "kernel0", *extra], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        best = max(float(line.split("\t")[6]) for line in out.read_text().splitlines()[1:] if line and line[0] != "#")
        pwm = motifs[0].probabilities(0.1 if smoothed else 0.0, [0.25] * 4)
        hits = exactpwm.scan(exactpwm.MotifSet([exactpwm.Motif("m", pwm)]), [seq], score=-100, step=None,
                             pseudocount=0)
        assert best == pytest.approx(float(hits.rows["score"].max()), abs=2e-3)


def test_scan_honours_meme_strands_plus(tmp_path):
    """A MEME file declaring 'strands: +' (e.g. RNA motifs) is scanned on the given strand only."""
    text = ("MEME version 4\n\nALPHABET= ACGT\n\nstrands: +\n\nMOTIF m1\n"
            "letter-probability matrix: alength= 4 w= 4 nsites= 10\n"
            "0.97 0.01 0.01 0.01\n0.97 0.01 0.01 0.01\n0.01 0.97 0.01 0.01\n0.01 0.97 0.01 0.01\n")
    (tmp_path / "m.meme").write_text(text)
    (tmp_path / "s.fa").write_text(">s\nTTTTAACCTTTTGGTTTTTT\n")  # AACC on '+' at 4, GGTT (its RC) at 12
    out = tmp_path / "h.bed"
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "scan", str(tmp_path / "m.meme"),
                          str(tmp_path / "s.fa"), "--thresh", "0.01", "--format", "bed", "-o", str(out), "-q"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = [line.split("\t") for line in out.read_text().splitlines() if line and not line.startswith("#")]
    assert [(r[1], r[5]) for r in rows] == [("4", "+")]


def test_a_command_line_builds_only_its_commands_parser_with_the_same_arguments():
    """``exactpwm scan ...`` builds the scan command's parser alone: the same options, defaults and
    help as in the whole program's parser, which lists every command (COMMANDS names them all)."""
    from exactpwm.app.cli import COMMANDS, build_parser

    def commands(parser):
        return next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices

    full = commands(build_parser())
    assert sorted(full) == sorted(COMMANDS)
    for name in COMMANDS:
        one = commands(build_parser(name))
        assert list(one) == [name]
        assert one[name].format_help() == full[name].format_help()
        def options(parser):
            return [(a.dest, a.option_strings, a.default, a.nargs, a.choices) for a in parser._actions]

        assert options(one[name]) == options(full[name]) and one[name]._defaults == full[name]._defaults


@pytest.mark.parametrize("argv", [["scan", "--thresh", "1e-3", "-o", "{out}/hits.tsv"],
                                  ["fimo", "--thresh", "1e-3", "--oc", "{out}"],
                                  ["fimo", "--text", "--thresh", "1e-3"],
                                  ["fimo", "--text", "--skip-matched-sequence", "--thresh", "1e-3"]])
def test_the_fasta_read_ahead_as_a_command_starts_is_the_one_it_reads(files, tmp_path, capsys, monkeypatch, argv):
    """scan and fimo have their FASTA file read ahead while their modules load, as the letters or
    codes the command then reads (nothing read twice), with the same output as without it."""
    from exactpwm import _read_ahead
    from exactpwm.app.cli import main

    _, fa, _, meme, _ = files
    out = tmp_path / "out"
    out.mkdir()
    cmd = [a.format(out=out) for a in argv[:1]] + [str(meme), str(fa)] + [a.format(out=out) for a in argv[1:]]
    start, started = _read_ahead.start, []
    outputs = []
    def counted(*args, **kwargs):
        started.append(start(*args, **kwargs))
        return started[-1]

    for ahead in (True, False):
        monkeypatch.setattr(_read_ahead, "start", counted if ahead else lambda *args, **kwargs: False)
        assert main(cmd) == 0
        outputs.append((capsys.readouterr().out, sorted((p.name, p.read_text()) for p in out.iterdir())))
        assert not _read_ahead._pending
    assert started == [True] and outputs[0] == outputs[1]


def test_a_command_that_fails_before_reading_its_fasta_drops_the_read_ahead(files, tmp_path, capsys):
    from exactpwm import _read_ahead
    from exactpwm.app.cli import main

    _, fa, _, _, _ = files
    bad = tmp_path / "bad.meme"
    bad.write_text("not a motif file\n")
    assert main(["scan", str(bad), str(fa)]) == 1 and "bad.meme" in capsys.readouterr().err
    assert main(["fimo", "--text", str(bad), str(fa)]) == 1
    assert not _read_ahead._pending
