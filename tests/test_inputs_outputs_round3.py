"""Round 3 of bad input: the newer commands (variants, fimo, compare, scan --regions, convert)
against odd VCFs, stale indexes, numbers that are not numbers and outputs that are not plain
files; and the API's first calls. Each case states what the user gets."""

from __future__ import annotations

import gzip
import math
import os
import stat
import subprocess
import sys
import time

import exactpwm
import numpy as np
import pytest
from exactpwm.core._checks import check_number, parse_number

pysam = pytest.importorskip("pysam")
pytest.importorskip("pandas")

# motifs that can never reach the threshold are part of these inputs
pytestmark = pytest.mark.filterwarnings("ignore::exactpwm.scanning.plan.ScanWarning")

MOTIF = ">MA1 x\nA [ 9 0 0 1 ]\nC [ 0 9 0 1 ]\nG [ 0 0 9 1 ]\nT [ 0 0 0 6 ]\n"
HEADER = ("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=2000>\n##contig=<ID=chr2,length=1500>\n"
          "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")


def cli(cwd, *argv, timeout=120):
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", *map(str, argv)], cwd=cwd, capture_output=True,
                         text=True, timeout=timeout)
    return run.returncode, run.stderr


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("round3")
    rng = np.random.default_rng(0)
    seqs = {"chr1": "".join(rng.choice(list("ACGT"), 2000)), "chr2": "".join(rng.choice(list("ACGT"), 1500))}
    with open(d / "g.fa", "w") as f:
        for n, s in seqs.items():
            f.write(f">{n}\n" + "".join(s[i:i + 60] + "\n" for i in range(0, len(s), 60)))
    pysam.faidx(str(d / "g.fa"))
    c1 = seqs["chr1"]
    rows = [f"chr1\t{p}\t.\t{c1[p - 1]}\t{'A' if c1[p - 1] != 'A' else 'C'}\t.\t.\t." for p in range(10, 1990, 7)]
    (d / "ok.vcf").write_text(HEADER + "\n".join(rows) + "\n")
    (d / "m.jaspar").write_text(MOTIF)
    pysam.tabix_compress(str(d / "ok.vcf"), str(d / "ok.vcf.gz"), force=True)
    return d, seqs, rows


# ---------------------------------------------------------------- VCF records and files

@pytest.mark.parametrize("pos", ["0", "2001", "99999"])
def test_pos_outside_the_contig_is_a_counted_skip(data, pos):
    d, seqs, rows = data
    path = d / f"pos{pos}.vcf"
    path.write_text(HEADER + f"chr1\t{pos}\t.\tA\tC\t.\t.\t.\n" + "\n".join(rows[:5]) + "\n")
    with pytest.warns(UserWarning, match="POS outside its contig"):
        eff = exactpwm.variant_effects(exactpwm.read_motifs(str(d / "m.jaspar")), str(d / "g.fa"), str(path),
                                       report="all")
    assert eff.skipped == {"position": 1}
    assert eff.examples["position"] == [f"chr1:{pos} A>C"]
    assert len(eff.table) == 5 and (eff.table["pos"] >= 1).all()
    code, err = cli(d, "variants", "m.jaspar", "g.fa", path.name, "-o", "out.tsv")
    assert code == 0 and "POS outside its contig" in err


def test_negative_pos_names_the_line_and_the_field(data):
    d, _, rows = data
    (d / "neg.vcf").write_text(HEADER + rows[0] + "\nchr1\t-5\t.\tA\tC\t.\t.\t.\n")
    code, err = cli(d, "variants", "m.jaspar", "g.fa", "neg.vcf", "-o", "out.tsv")
    assert code == 1 and "line 6" in err and "POS '-5' is not a position" in err and "Traceback" not in err
    assert "[E::" not in err  # htslib's own message is replaced by ours


def test_plain_gzip_vcf_is_refused_with_the_bgzip_command(data):
    d, _, rows = data
    with gzip.open(d / "plain.vcf.gz", "wt") as f:
        f.write(HEADER + "\n".join(rows) + "\n")
    code, err = cli(d, "variants", "m.jaspar", "g.fa", "plain.vcf.gz", "-o", "out.tsv")
    assert code == 1 and "plain gzip" in err and "bgzip" in err and "Traceback" not in err


def test_truncated_bgzip_vcf_fails_within_seconds(data):
    d, _, _ = data
    whole = (d / "ok.vcf.gz").read_bytes()
    (d / "cut.vcf.gz").write_bytes(whole[: len(whole) // 2])
    t0 = time.perf_counter()
    code, err = cli(d, "variants", "m.jaspar", "g.fa", "cut.vcf.gz", "-o", "out.tsv", timeout=60)
    assert code == 1 and "truncated" in err
    assert time.perf_counter() - t0 < 60


@pytest.mark.slow
def test_stale_fai_is_named_with_the_fix(data):
    d, seqs, _ = data
    other = d / "h.fa"
    rng = np.random.default_rng(1)
    other.write_text(">chr1\n" + "".join(rng.choice(list("ACGT"), 2100)) + "\n>chr2\n"
                     + "".join(rng.choice(list("ACGT"), 1500)) + "\n")
    (d / "h.fa.fai").write_bytes((d / "g.fa.fai").read_bytes())  # another file's index
    (d / "r.bed").write_text("chr2\t100\t200\n")
    code, err = cli(d, "variants", "m.jaspar", "h.fa", "ok.vcf", "-o", "out.tsv")
    assert code == 1 and "does not describe h.fa" in err and "samtools faidx h.fa" in err
    code, err = cli(d, "scan", "m.jaspar", "h.fa", "--regions", "r.bed")
    assert code == 1 and "does not describe h.fa" in err


def test_bed_chromosome_missing_lists_the_fasta_names(data):
    d, _, _ = data
    (d / "x.bed").write_text("chrX\t1\t50\n")
    code, err = cli(d, "scan", "m.jaspar", "g.fa", "--regions", "x.bed")
    assert code == 1 and "no sequence named chrX" in err and "chr1, chr2" in err


def test_per_region_maxima_in_genomic_coordinates(data):
    d, seqs, _ = data
    (d / "r2.bed").write_text("chr1\t100\t300\nchr1\t250\t400\nchr2\t0\t50\n")
    code, err = cli(d, "scan", "m.jaspar", "g.fa", "--regions", "r2.bed", "--format", "maxima", "-o", "max.tsv")
    assert code == 0, err
    import pandas as pd

    t = pd.read_csv(d / "max.tsv", sep="\t", comment="#")
    assert t["sequence_name"].tolist() == ["chr1:101-300", "chr1:251-400", "chr2:1-50"]  # one row per region
    m = exactpwm.read_motifs(str(d / "m.jaspar"))
    for (_, row), (chrom, s, e) in zip(t.iterrows(), [("chr1", 100, 300), ("chr1", 250, 400), ("chr2", 0, 50)]):
        best = exactpwm.sequence_maxima(m, {"r": seqs[chrom][s:e]})
        assert row["start"] == s + best.start[0, 0] + 1 and row["score"] == best.score[0, 0]


# ---------------------------------------------------------------- one door for every output

def _outputs_ok(d):
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert not [p for p in os.listdir(d) if p.startswith(".exactpwm-")]


@pytest.mark.slow
def test_vcf_out_to_devices_links_and_same_paths(data):
    d, _, _ = data
    base = ["variants", "m.jaspar", "g.fa", "ok.vcf", "--all", "-o"]
    code, err = cli(d, *base, "a.tsv", "--vcf-out", os.devnull)
    assert code == 0, err
    _outputs_ok(d)
    code, err = cli(d, *base, "a.tsv", "--vcf-out", "/dev/full")
    assert code == 1 and "/dev/full" in err and "No space left" in err
    (d / "target.vcf").write_text("old")
    if (d / "link.vcf").is_symlink():
        (d / "link.vcf").unlink()
    os.symlink("target.vcf", d / "link.vcf")
    code, err = cli(d, *base, "a.tsv", "--vcf-out", "link.vcf")
    assert code == 0, err
    assert (d / "link.vcf").is_symlink() and (d / "target.vcf").read_text().startswith("##fileformat")
    for name in ("new_same.tsv", "a.tsv"):  # two outputs, one path: refused, whether it exists or not
        before = (d / name).read_bytes() if (d / name).exists() else None
        code, err = cli(d, *base, name, "--vcf-out", name)
        assert code == 2 and "same file" in err, err
        assert ((d / name).read_bytes() if (d / name).exists() else None) == before
    old = os.umask(0o022)
    try:
        code, err = cli(d, *base, "b.tsv", "--vcf-out", "b.vcf.gz")
    finally:
        os.umask(old)
    assert code == 0, err
    assert stat.S_IMODE(os.stat(d / "b.vcf.gz").st_mode) == 0o644 == stat.S_IMODE(os.stat(d / "b.tsv").st_mode)
    _outputs_ok(d)


@pytest.mark.slow
def test_logos_and_convert_outputs_follow_the_same_rules(data, tmp_path):
    pytest.importorskip("matplotlib")
    d, _, _ = data
    (tmp_path / "m.jaspar").write_text(MOTIF)
    (tmp_path / "real.png").write_text("old")
    os.makedirs(tmp_path / "logos", exist_ok=True)
    os.symlink("../real.png", tmp_path / "logos" / "MA1.png")
    code, err = cli(tmp_path, "logo", "m.jaspar", "-o", "logos")
    assert code == 0, err
    assert (tmp_path / "logos" / "MA1.png").is_symlink()
    assert (tmp_path / "real.png").read_bytes()[:4] == b"\x89PNG"
    assert stat.S_IMODE(os.stat(tmp_path / "real.png").st_mode) & 0o044  # readable by others under umask 022
    code, err = cli(tmp_path, "convert", "m.jaspar", "-o", "k.npz", "--offsets", "k.npz")
    assert code == 2 and "same file" in err and not (tmp_path / "k.npz").exists()


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("text", ["inf", "1e400", "nan", "-1", "0", "2.5", "x"])
def test_fimo_max_stored_scores_refuses_non_counts(data, text):
    d, _, _ = data
    code, err = cli(d, "fimo", f"--max-stored-scores={text}", "m.jaspar", "g.fa")
    assert code == 2 and "--max-stored-scores" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["scan", "--score", "nan"], ["scan", "--thresh", "inf"],
                                  ["scan", "--pseudocount", "1e400"], ["compare", "--thresh", "nan"],
                                  ["scan", "--chunk-size", "1.5"], ["variants", "--thresh", "-0"]])
def test_numeric_options_name_the_option(data, argv):
    d, _, _ = data
    inputs = {"scan": ["m.jaspar", "g.fa"], "compare": ["m.jaspar", "m.jaspar"],
              "variants": ["m.jaspar", "g.fa", "ok.vcf"]}[argv[0]]
    code, err = cli(d, argv[0], *inputs, *argv[1:])
    assert code == 2 and argv[1] in err.replace("p-value threshold", "--thresh") and "Traceback" not in err


@pytest.mark.parametrize("value, rules, message", [
    (float("nan"), {}, "finite"), (math.inf, {}, "finite"), (True, {}, "must be a number"),
    (2.5, {"integer": True}, "integer"), (0, {"low": 0, "low_open": True}, "> 0"), (2, {"high": 1}, "<= 1"),
    ("3", {}, "must be a number"),
])
def test_one_validator_for_api_and_cli(value, rules, message):
    with pytest.raises((TypeError, ValueError), match=message):
        check_number(value, "x", **rules)
    assert parse_number("1e5", "n", integer=True, low=1) == 100000
    with pytest.raises(ValueError, match="'1e400'"):
        parse_number("1e400", "n")


def test_api_thresholds_refuse_nan():
    m = exactpwm.Motif("m", exactpwm.one_hot("ACGTAC", np.float64) * 0.9 + 0.025)
    with pytest.raises(ValueError, match="threshold must be a finite number"):
        exactpwm.compare_motifs([m], [m], threshold=float("nan"))
    with pytest.raises(ValueError, match="pseudocount"):
        exactpwm.scan([m.pwm], {"s": "ACGTAC"}, pseudocount=float("nan"))


# ---------------------------------------------------------------- the API's first call; one default

def test_scan_of_jaspar_motifs_just_works_and_matches_fimo(data):
    pytest.importorskip("pyjaspar")
    d, seqs, _ = data
    motifs = exactpwm.load_jaspar(["MA0139.1", "MA0004.1"])
    hits = exactpwm.scan(motifs, seqs, pvalue=1e-3)
    assert len(hits) > 0
    from exactpwm.io.formats import write_motifs

    write_motifs(motifs, str(d / "two.meme"))
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "fimo", "--text", "--thresh", "1e-3", "--bfile",
                          "--motif--", "two.meme", "g.fa"], cwd=d, capture_output=True, text=True, check=True)
    fimo_rows = [ln for ln in run.stdout.splitlines()[1:] if ln and not ln.startswith("#")]
    assert len(fimo_rows) == len(hits)  # the API's default is FIMO's: pseudocount 0.1, the file's background


def test_zero_probability_error_names_the_motif_once_and_the_fix():
    m = exactpwm.Motif("MYID", exactpwm.one_hot("ACGT", np.float64), alt_name="tf")
    with pytest.raises(ValueError) as err:
        exactpwm.scan(exactpwm.MotifSet([m]), {"s": "ACGTACGT"}, pseudocount=0)
    text = str(err.value)
    assert text.count("MYID") == 1 and "pseudocount > 0" in text and "motif 0" not in text


def test_to_pandas_speaks_one_vocabulary(data):
    d, seqs, _ = data
    m = exactpwm.read_motifs(str(d / "m.jaspar"))
    hits = exactpwm.scan(m, seqs, pvalue=1e-2)
    core = ["motif", "sequence", "start", "end", "strand", "score", "pvalue"]
    df = hits.to_pandas()
    assert set(core) <= set(df.columns) and (df["end"] - df["start"] == 4).all()
    best = exactpwm.sequence_maxima(m, seqs).to_pandas()
    assert set(core) <= set(best.columns) and (best["end"] - best["start"] == 4).all()
    import io

    import pandas as pd

    buf = io.StringIO()
    hits.write_tsv(buf)
    from_file = pd.read_csv(io.StringIO(buf.getvalue()), sep="\t", comment="#")
    fimo = hits.to_pandas(columns="fimo")
    assert list(fimo.columns) == list(from_file.columns)
    assert fimo["start"].tolist() == from_file["start"].tolist()
    eff = exactpwm.variant_effects(m, str(d / "g.fa"), str(d / "ok.vcf"))
    assert eff.to_pandas() is eff.table


@pytest.mark.slow
def test_convert_writes_motif_files_and_round_trips_meme_exactly(data, tmp_path):
    m = exactpwm.MotifSet([exactpwm.Motif("A1", np.random.default_rng(2).dirichlet(np.ones(4), 7).T, nsites=30),
                           exactpwm.Motif("B2", np.random.default_rng(3).dirichlet(np.ones(4), 11).T, nsites=12)])
    from exactpwm.io.formats import write_motifs

    write_motifs(m, str(tmp_path / "m.meme"))
    assert cli(tmp_path, "convert", "m.meme", "-o", "k.npz", "--base", "2")[0] == 0
    assert cli(tmp_path, "convert", "k.npz", "--base", "2", "-o", "back.meme")[0] == 0
    a, b = exactpwm.read_motifs(str(tmp_path / "m.meme")), exactpwm.read_motifs(str(tmp_path / "back.meme"))
    assert a.names == b.names
    for x, y in zip(a, b):
        np.testing.assert_allclose(y.pwm, x.pwm, atol=2e-6)  # MEME files print 6 decimals
    code, err = cli(tmp_path, "convert", str(data[0] / "m.jaspar"), "-o", "m2.meme")
    assert code == 0, err
    assert exactpwm.read_motifs(str(tmp_path / "m2.meme")).names == ["MA1"]


def test_compare_hints_at_swapped_arguments(data):
    d, _, _ = data
    many = exactpwm.MotifSet([exactpwm.Motif(f"q{i}", np.random.default_rng(i).dirichlet(np.ones(4), 8).T)
                              for i in range(60)])
    from exactpwm.io.formats import write_motifs

    write_motifs(many, str(d / "many.meme"))
    code, err = cli(d, "compare", "many.meme", "m.jaspar", "-o", "cmp.tsv")
    assert code == 0 and "swapped" in err


def test_wide_queries_warn_once(data):
    q = exactpwm.MotifSet([exactpwm.Motif(f"w{i}", np.full((4, 30), 0.25)) for i in range(8)])
    t = exactpwm.MotifSet([exactpwm.Motif("t", exactpwm.one_hot("ACGTA", np.float64) * 0.9 + 0.025)])
    with pytest.warns(UserWarning) as caught:
        exactpwm.compare_motifs(q, t, as_frame=False)
    wide = [w for w in caught if "wider than every target" in str(w.message)]
    assert len(wide) == 1 and "8 of 8" in str(wide[0].message)


@pytest.mark.slow
def test_convert_notes_a_batchnorm_after_the_kernels(tmp_path):
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Conv1d(4, 6, 5), torch.nn.BatchNorm1d(6), torch.nn.ReLU())
    torch.save(model.state_dict(), tmp_path / "m.pt")
    code, err = cli(tmp_path, "convert", "m.pt", "--base", "2", "-o", "k.meme")
    assert code == 0 and "--batchnorm 1" in err
    code, err = cli(tmp_path, "convert", "m.pt", "--base", "2", "--batchnorm", "1", "-o", "k2.meme")
    assert code == 0 and "--batchnorm 1" not in err


def test_progress_after_an_interrupt_is_honest():
    import io

    from exactpwm.app.progress import Progress

    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with Progress(1000, enabled=True, stream=out) as p:
            p(250)
            raise KeyboardInterrupt
    last = out.getvalue().strip().split("\r")[-1]
    assert "interrupted at 25%" in last and "100%" not in last


def test_missing_optional_dependency_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pandas(name, *a, **k):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    monkeypatch.delitem(sys.modules, "pandas", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'exactpwm\[tables\]'"):
        exactpwm.scan([np.full((4, 3), 0.25)], {"s": "ACGTACGT"}, score=-100).to_pandas()


def test_ism_errors_say_what_is_wrong():
    torch = pytest.importorskip("torch")
    from exactpwm.interpret.ism import first_layer_ism, pwm_model_ism, saturation_mutagenesis

    W = np.random.default_rng(0).normal(size=(3, 4, 5))
    with pytest.raises(ValueError, match=r"bias must be a scalar or have shape \(3,\), got \(4,\)"):
        first_layer_ism(W, ["ACGTACGTAC"], bias=np.zeros(4))
    with pytest.raises(ValueError, match="no sequences given"):
        saturation_mutagenesis(torch.nn.Conv1d(4, 2, 3), [])
    with pytest.raises(TypeError, match="takes an exactpwm.PWMModel .* got object"):
        pwm_model_ism(object(), ["ACGTACGT"])
