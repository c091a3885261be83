"""`exactpwm fimo`: FIMO 5's options, defaults, statistics and files; scans of genomic regions.

What a FIMO user relies on when swapping exactpwm in: the hits of FIMO's defaults (NRDB
background averaged with its complement, --motif-pseudo 0.1), its row orders, its files parsed
by the same code as FIMO's, and its options. Against a real FIMO when one is installed
(EXACTPWM_FIMO=/path/to/fimo, built from the MEME sources in the pymemesuite sdist).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import exactpwm
import numpy as np
import pytest
from exactpwm import Motif, MotifSet
from exactpwm.scanning.fimo import NRDB, best_strand_rows, keep_most_significant
from exactpwm.scanning.regions import GenomicCoordinates, parse_genomic_name
from motifs import jaspar_pwm

pd = pytest.importorskip("pandas")

COLUMNS = ["motif_id", "motif_alt_id", "sequence_name", "start", "stop", "strand", "score", "p-value", "q-value",
           "matched_sequence"]
KEY = ["motif_id", "sequence_name", "start", "stop", "strand"]


def run_cli(*args, cwd=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "exactpwm", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, input=stdin)


def read_fimo_tsv(path_or_text) -> pd.DataFrame:
    """How pipelines read FIMO's TSV (comment lines at the end)."""
    import io

    src = io.StringIO(path_or_text) if "\t" in str(path_or_text) else path_or_text
    return pd.read_csv(src, sep="\t", comment="#", keep_default_na=False, na_values={"p-value": [""]})


def _random_genome(rng, n: int) -> str:
    s = list("".join(rng.choice(list("ACGT"), size=n)))
    s[3000:3400] = "N" * 400  # an N run
    s[8000:12000] = [c.lower() for c in s[8000:12000]]  # soft-masked
    return "".join(s)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("fimo")
    rng = np.random.default_rng(17)
    genome = {"chr1": _random_genome(rng, 40_000), "chr2": _random_genome(rng, 20_000)}
    fa = d / "genome.fa"
    fa.write_text("".join(f">{k} test\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                          for k, v in genome.items()))
    short = rng.dirichlet(np.ones(4) * 0.4, size=9).T
    ms = MotifSet([Motif("MA0139.1", jaspar_pwm(), alt_name="CTCF", nsites=20),
                   Motif("m2", short, nsites=20),
                   Motif("m3", rng.dirichlet(np.ones(4) * 0.4, size=12).T, alt_name="three", nsites=20)],
                  background=[0.3, 0.2, 0.2, 0.3])
    exactpwm.write_motifs(ms, d / "motifs.meme")
    return {"dir": d, "fasta": fa, "motifs": d / "motifs.meme", "genome": genome, "set": ms}


def _api_hits(files, **kw):
    """The same scan through the Python API: FIMO's settings given explicitly."""
    kw = {"background": NRDB, "pseudocount": 0.1, "pvalue": 1e-4, **kw}
    return exactpwm.scan(files["set"], files["fasta"], **kw).to_pandas()


def test_oc_files_parse_as_fimo_files_and_hold_fimo_defaults(files, tmp_path):
    r = run_cli("fimo", "--oc", tmp_path / "out", files["motifs"], files["fasta"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    tsv = read_fimo_tsv(tmp_path / "out" / "fimo.tsv")
    assert list(tsv.columns) == COLUMNS
    assert len(tsv) > 20
    # FIMO's defaults: NRDB background made strand-symmetric, --motif-pseudo 0.1, p <= 1e-4
    api = _api_hits(files)
    assert sorted(zip(tsv.motif_id, tsv.sequence_name, tsv.start, tsv.strand)) == \
        sorted(zip(api.motif, api.sequence, api.start + 1, api.strand))
    # rows by p-value; per-motif q-values; closing comment lines as FIMO's
    assert (np.diff(tsv["p-value"].to_numpy()) >= 0).all()
    assert tsv["q-value"].between(0, 1).all()
    lines = (tmp_path / "out" / "fimo.tsv").read_text().splitlines()
    assert lines[-4] == "" and lines[-3].startswith("# ") and "fimo-output-format" in lines[-2]
    assert lines[-1].startswith("# exactpwm fimo --oc")
    # the GFF: FIMO's columns and attributes, one line per hit
    gff = [x.split("\t") for x in (tmp_path / "out" / "fimo.gff").read_text().splitlines()]
    assert gff[0] == ["##gff-version 3"] and len(gff) == len(tsv) + 1
    first = gff[1]
    assert first[2] == "nucleotide_motif" and first[7] == "."
    attrs = dict(kv.split("=", 1) for kv in first[8].rstrip(";").split(";"))
    assert set(attrs) == {"Name", "Alias", "ID", "pvalue", "qvalue", "sequence"}
    assert float(first[5]) == pytest.approx(-10 * np.log10(float(attrs["pvalue"])), rel=0.01, abs=0.051)
    assert attrs["Name"] == f"{attrs['ID'].split('-')[0]}_{first[0]}{first[6]}"


def test_text_streams_by_motif_without_qvalues(files):
    r = run_cli("fimo", "--text", "--thresh", "1e-3", files["motifs"], files["fasta"])
    assert r.returncode == 0, r.stderr
    assert "text mode turns off computation of q-values" in r.stderr
    assert not [x for x in r.stdout.splitlines() if x.startswith("#")]  # FIMO's --text has no comments
    t = read_fimo_tsv(r.stdout)
    assert list(t.columns) == COLUMNS and (t["q-value"] == "").all()
    # by motif (file order), then sequence, position, strand as scanned
    order = {n: i for i, n in enumerate(files["set"].names)}
    seq = {n: i for i, n in enumerate(files["genome"])}
    keys = list(zip(t.motif_id.map(order), t.sequence_name.map(seq), t.start, t.strand != "+"))
    assert keys == sorted(keys)
    # the same hits as the --oc folder at this threshold, and scores as FIMO prints them (%g)
    api = _api_hits(files, pvalue=1e-3)
    assert len(t) == len(api)
    assert all(s == f"{float(s):g}" for s in r.stdout.split("\n")[1].split("\t")[6:7])


@pytest.mark.slow
def test_matched_sequence_echoes_the_input_as_fimo(files):
    r = run_cli("fimo", "--text", "--thresh", "1e-2", "--verbosity", "1", files["motifs"], files["fasta"])
    t = read_fimo_tsv(r.stdout)
    g = files["genome"]
    for _, h in t.iterrows():
        window = g[h.sequence_name][h.start - 1:h.stop]
        if h.strand == "+":
            assert h.matched_sequence == window  # the input's case
        else:
            assert h.matched_sequence == exactpwm.decode(exactpwm.reverse_complement(exactpwm.encode(window)))
    soft = t[(t.strand == "+") & t.matched_sequence.str.islower()]
    assert len(soft) > 0
    assert "N" not in "".join(t.matched_sequence)  # windows with N are never hits


def test_rna_motifs_scan_one_strand_and_echo_u(files, tmp_path):
    meme = files["motifs"].read_text().replace("ALPHABET= ACGT", "ALPHABET= ACGU").replace("strands: + -", "strands: +")
    (tmp_path / "rna.meme").write_text(meme)
    rna = {k: v.replace("T", "U").replace("t", "u") for k, v in files["genome"].items()}
    (tmp_path / "rna.fa").write_text("".join(f">{k}\n{v}\n" for k, v in rna.items()))
    r = run_cli("fimo", "--text", "--thresh", "1e-3", "--verbosity", "1", tmp_path / "rna.meme", tmp_path / "rna.fa")
    assert r.returncode == 0, r.stderr
    t = read_fimo_tsv(r.stdout)
    assert len(t) > 0 and set(t.strand) == {"+"}
    letters = set("".join(t.matched_sequence))
    assert "U" in letters and "T" not in letters and "t" not in letters


@pytest.mark.slow
def test_max_strand_keeps_the_better_strand(files):
    both = read_fimo_tsv(run_cli("fimo", "--text", "--thresh", "1e-2", "--verbosity", "1", files["motifs"],
                                 files["fasta"]).stdout)
    best = read_fimo_tsv(run_cli("fimo", "--text", "--thresh", "1e-2", "--verbosity", "1", "--max-strand",
                                 files["motifs"], files["fasta"]).stdout)
    assert not best.duplicated(["motif_id", "sequence_name", "start"]).any()
    assert both.duplicated(["motif_id", "sequence_name", "start"]).any()  # the test means something
    expect = both.sort_values("score", ascending=False, kind="stable") \
        .drop_duplicates(["motif_id", "sequence_name", "start"])
    assert set(map(tuple, best[KEY].to_numpy())) <= set(map(tuple, both[KEY].to_numpy()))
    assert len(best) == len(expect)


def test_best_strand_rows_breaks_ties_to_plus():
    from exactpwm.scanning.hits import hit_dtype

    rows = np.zeros(4, hit_dtype(4))
    rows["start"] = [5, 5, 9, 9]
    rows["strand"] = [b"+", b"-", b"-", b"+"]
    rows["score"] = [1.0, 2.0, 3.0, 3.0]
    kept = best_strand_rows(rows)
    assert kept["strand"].tolist() == [b"-", b"+"] and kept["start"].tolist() == [5, 9]


def test_max_stored_scores_keeps_the_most_significant(files, tmp_path):
    r = run_cli("fimo", "--oc", tmp_path / "o", "--thresh", "1e-2", "--max-stored-scores", "50",
                files["motifs"], files["fasta"])
    assert r.returncode == 0, r.stderr
    assert "--max-stored-scores" in r.stderr
    t = read_fimo_tsv(tmp_path / "o" / "fimo.tsv")
    full = _api_hits(files, pvalue=1e-2)
    for m, got in t.groupby("motif_id"):
        assert len(got) <= 50
        everything = full[full.motif == m]
        if len(everything) > 50:  # what was kept is exactly what is below the cut
            assert got["p-value"].max() <= everything.pvalue.sort_values().iloc[50]
    from exactpwm.scanning.hits import hit_dtype

    rows = np.zeros(6, hit_dtype(4))
    rows["pvalue"] = [1e-5, 2e-5, 2e-5, 3e-5, 1e-6, 2e-5]
    kept, cuts = keep_most_significant(rows, 3)
    assert kept["pvalue"].tolist() == [1e-5, 1e-6] and cuts == {0: 2e-5}  # ties at the cut go together


@pytest.mark.slow
def test_qv_thresh_gives_every_hit_with_q_below(files, tmp_path):
    r = run_cli("fimo", "--oc", tmp_path / "q", "--qv-thresh", "--thresh", "0.5", files["motifs"], files["fasta"])
    assert r.returncode == 0, r.stderr
    got = read_fimo_tsv(tmp_path / "q" / "fimo.tsv")
    # reference: every window's q-value (p <= 1), then q <= 0.5
    ref = _api_hits(files, pvalue=1.0, qvalues="motif")
    ref = ref[ref.qvalue <= 0.5]
    assert len(ref) > 0
    assert sorted(zip(got.motif_id, got.start, got.strand)) == sorted(zip(ref.motif, ref.start + 1, ref.strand))
    assert (got["q-value"] <= 0.5).all()


@pytest.mark.slow
def test_fimo_option_errors(files, tmp_path):
    for args, msg in [(["--text", "--qv-thresh"], "--qv-thresh"), (["--no-qvalue", "--qv-thresh"], "--no-qvalue"),
                      (["--psp", "x.psp", "--prior-dist", "d"], "not supported"),
                      (["--thresh", "2"], "threshold"), (["--bfile", tmp_path / "none.bg"], "none.bg")]:
        r = run_cli("fimo", *args, files["motifs"], files["fasta"], cwd=tmp_path)
        assert r.returncode in (1, 2) and msg in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    (tmp_path / "exists").mkdir()
    r = run_cli("fimo", "--o", tmp_path / "exists", files["motifs"], files["fasta"])
    assert r.returncode == 2 and "--oc" in r.stderr
    (tmp_path / "afile").write_text("keep me")
    r = run_cli("fimo", "--oc", tmp_path / "afile", files["motifs"], files["fasta"])
    assert r.returncode != 0 and (tmp_path / "afile").read_text() == "keep me"
    r = run_cli("fimo", "--version")
    assert r.returncode == 0 and r.stdout.strip() == exactpwm.__version__


@pytest.mark.parametrize("bfile", ["--motif--", "--uniform--", "file"])
def test_bfile_choices(files, tmp_path, bfile):
    if bfile == "file":  # a first-order Markov background file: FIMO uses its 0-order part
        (tmp_path / "bg").write_text("# order 0\nA 0.35\nC 0.15\nG 0.15\nT 0.35\n# order 1\nAA 0.1\nAC 0.05\n")
        bfile, bg = str(tmp_path / "bg"), [0.35, 0.15, 0.15, 0.35]
    else:
        bg = files["set"].background if bfile == "--motif--" else [0.25] * 4
    r = run_cli("fimo", "--text", "--verbosity", "1", "--bfile", bfile, files["motifs"], files["fasta"])
    assert r.returncode == 0, r.stderr
    t = read_fimo_tsv(r.stdout)
    api = _api_hits(files, background=bg)
    assert sorted(zip(t.motif_id, t.start, t.strand)) == sorted(zip(api.motif, api.start + 1, api.strand))


@pytest.mark.slow
def test_parse_genomic_coord(files, tmp_path):
    g = files["genome"]["chr1"]
    (tmp_path / "peaks.fa").write_text(f">chr1:20001-21000\n{g[20000:21000]}\n>plain\n{g[:500]}\n")
    fimo = read_fimo_tsv(run_cli("fimo", "--text", "--thresh", "1e-3", "--verbosity", "1", "--parse-genomic-coord",
                                 files["motifs"], tmp_path / "peaks.fa").stdout)
    local = read_fimo_tsv(run_cli("fimo", "--text", "--thresh", "1e-3", "--verbosity", "1",
                                  files["motifs"], tmp_path / "peaks.fa").stdout)
    assert set(fimo.sequence_name) <= {"chr1", "plain"} and len(fimo) == len(local)
    on = local.sequence_name == "chr1:20001-21000"
    assert (fimo.start[on.to_numpy()].to_numpy() == local.start[on].to_numpy() + 20000).all()
    assert parse_genomic_name("chr2:1001-1027") == ("chr2", 1000)
    assert parse_genomic_name("chr2:1001-1027", "bed") == ("chr2", 1001)
    assert parse_genomic_name("hg38_chr18_75759530_75759720_-") == ("hg38_chr18", 75759529)
    assert parse_genomic_name("peak17") is None
    # scan --parse-genomic-coord bed: bedtools getfasta's 0-based starts
    (tmp_path / "getfasta.fa").write_text(f">chr1:20000-21000\n{g[20000:21000]}\n")
    r = run_cli("scan", files["motifs"], tmp_path / "getfasta.fa", "--parse-genomic-coord", "bed", "--format", "bed",
                "-q", "--thresh", "1e-3")
    bed = [x.split("\t") for x in r.stdout.splitlines() if not x.startswith("#")]
    whole = exactpwm.scan(files["set"], {"chr1": g}, pvalue=1e-3, pseudocount=0.1).to_pandas()
    inside = whole[(whole.start >= 20000) & (whole.end <= 21000)]
    assert sorted((int(b[1]), b[3], b[5]) for b in bed) == sorted(zip(inside.start, inside.motif, inside.strand))


def test_genomic_coordinates_map_streams():
    from exactpwm.scanning.hits import hit_dtype

    c = GenomicCoordinates()
    rows = np.zeros(3, hit_dtype(4))
    rows["sequence"] = [0, 1, 2]
    rows["start"], rows["end"] = [0, 5, 7], [4, 9, 11]
    c.map_rows(rows, ["chrX:11-20", "chrY:1-9", "chrX:101-200"])
    assert c.names == ["chrX", "chrY"]
    assert rows["sequence"].tolist() == [0, 1, 0] and rows["start"].tolist() == [10, 5, 107]


@pytest.fixture(scope="module")
def indexed(files):
    pysam = pytest.importorskip("pysam")
    d = files["dir"]
    pysam.faidx(str(files["fasta"]))
    pysam.tabix_compress(str(files["fasta"]), str(d / "genome.fa.bgz"), force=True)
    pysam.faidx(str(d / "genome.fa.bgz"))
    (d / "peaks.bed").write_text("track name=peaks\nchr2\t100\t2600\tp1\n"
                                 "chr1\t7000\t9000\tp2\nchr1\t8500\t11000\tp3\nchr1\t30000\t30010\tp4\n")
    return d


@pytest.mark.slow
@pytest.mark.parametrize("fasta", ["genome.fa", "genome.fa.bgz"])
def test_regions_of_an_indexed_genome(files, indexed, fasta, tmp_path):
    r = run_cli("scan", files["motifs"], indexed / fasta, "--regions", indexed / "peaks.bed", "--thresh", "1e-3",
                "-q", "-o", tmp_path / "hits.tsv")
    assert r.returncode == 0, r.stderr
    got = read_fimo_tsv(tmp_path / "hits.tsv")
    whole = exactpwm.scan(files["set"], files["fasta"], pvalue=1e-3, pseudocount=0.1).to_pandas()
    spans = {"chr2": [(100, 2600)], "chr1": [(7000, 11000), (30000, 30010)]}  # overlapping peaks merged
    inside = whole[[any(a <= s and e <= b for a, b in spans[c]) for c, s, e in zip(whole.sequence, whole.start,
                                                                                  whole.end)]]
    assert len(inside) > 0
    assert sorted(zip(got.motif_id, got.sequence_name, got.start, got.strand)) == \
        sorted(zip(inside.motif, inside.sequence, inside.start + 1, inside.strand))
    r = run_cli("fimo", "--text", "--verbosity", "1", "--thresh", "1e-3", "--regions", indexed / "peaks.bed",
                files["motifs"], indexed / fasta)
    t = read_fimo_tsv(r.stdout)
    assert set(t.sequence_name) <= {"chr1", "chr2"} and len(t) > 0


@pytest.mark.slow
def test_regions_errors(files, indexed, tmp_path):
    import gzip

    (tmp_path / "g.fa.gz").write_bytes(gzip.compress(files["fasta"].read_bytes()))
    (tmp_path / "bad.bed").write_text("chr1\t10\n")
    (tmp_path / "chrz.bed").write_text("chrZ\t10\t20\n")
    for fasta, bed, msg in [(tmp_path / "g.fa.gz", indexed / "peaks.bed", "bgzip"),
                            (indexed / "genome.fa", tmp_path / "bad.bed", "line 1"),
                            (indexed / "genome.fa", tmp_path / "chrz.bed", "chrZ")]:
        r = run_cli("scan", files["motifs"], fasta, "--regions", bed, "-q")
        assert r.returncode == 1 and msg in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = run_cli("scan", files["motifs"], indexed / "genome.fa", "--regions", indexed / "peaks.bed", "--format",
                "maxima", "--dask", "local:1")
    assert r.returncode == 2 and "--dask" in r.stderr


FIMO = os.environ.get("EXACTPWM_FIMO") or shutil.which("fimo")


@pytest.mark.skipif(not FIMO, reason="MEME's fimo is not installed (set EXACTPWM_FIMO)")
def test_against_fimo(files, tmp_path):
    """Both tools on defaults over a random genome with N runs and soft-masking: >= 99.5% of FIMO's
    hits identical (the rest at the threshold, FIMO's score rounding), q-values within 5%."""
    for mode in (["--oc", "fimo_out"], ["--text"]):
        ref = subprocess.run([FIMO, "--verbosity", "1", *mode, str(files["motifs"]), str(files["fasta"])],
                             capture_output=True, text=True, cwd=tmp_path, check=True)
        ours = run_cli("fimo", "--verbosity", "1", *mode[:1], *(["ours_out"] if mode[0] == "--oc" else []),
                       files["motifs"], files["fasta"], cwd=tmp_path)
        assert ours.returncode == 0, ours.stderr
        if mode[0] == "--oc":
            f, o = (read_fimo_tsv(tmp_path / d / "fimo.tsv") for d in ("fimo_out", "ours_out"))
        else:
            f, o = read_fimo_tsv(ref.stdout), read_fimo_tsv(ours.stdout)
        j = f.merge(o, on=KEY, how="outer", suffixes=("_f", "_o"), indicator=True)
        both = j[j._merge == "both"]
        assert len(both) >= 0.995 * len(f) and len(both) >= 0.995 * len(o)
        assert (both.matched_sequence_f == both.matched_sequence_o).all()
        odd = j[j._merge != "both"]
        assert (odd["p-value_f"].fillna(odd["p-value_o"]) > 0.5e-4).all()  # only at the threshold
        if mode[0] == "--oc":
            q = both["q-value_o"].astype(float) / both["q-value_f"].astype(float)
            assert ((q - 1).abs() <= 0.05).mean() >= 0.99
