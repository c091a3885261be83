"""Motif files: every format round-trips, real JASPAR motifs load, Biopython reads what we write,
and malformed files fail with file, line and what was expected."""

from __future__ import annotations

import gzip
import io

import exactpwm
import numpy as np
import pytest
from exactpwm import Motif, MotifFormatError, MotifSet, read_motifs, write_motifs
from exactpwm.io.formats import FORMATS, detect_format
from motifs import jaspar_pwm

EXT = {"meme": ".meme", "jaspar": ".jaspar", "pfm": ".pfm", "transfac": ".transfac", "homer": ".motif"}


@pytest.fixture(scope="module")
def real_motifs() -> MotifSet:
    """20 JASPAR CORE vertebrate count matrices (pyjaspar), else seeded random counts."""
    try:
        ms = exactpwm.load_jaspar()
        return MotifSet(ms.motifs[::40][:20], None, None)
    except ImportError:
        rng = np.random.default_rng(0)
        return MotifSet([Motif.from_counts(f"M{i}", rng.integers(0, 30, size=(4, rng.integers(5, 21))) + 1,
                                           alt_name=f"TF{i}") for i in range(20)])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_round_trip_keeps_names_and_matrices(real_motifs, fmt, tmp_path):
    path = tmp_path / f"motifs{EXT[fmt]}"
    write_motifs(real_motifs, path)
    back = read_motifs(path)
    assert back.names == real_motifs.names
    for a, b in zip(real_motifs, back):
        np.testing.assert_allclose(b.pwm, a.pwm, atol=1e-6)
        if fmt in ("jaspar", "pfm", "transfac"):  # formats that carry counts keep them exactly
            np.testing.assert_array_equal(b.counts, a.counts)
        if fmt in ("meme", "jaspar", "pfm", "transfac"):
            assert b.alt_name == a.alt_name
    # the same after a second trip, and the content is recognised without the extension
    text = path.read_text()
    assert detect_format(text) == fmt
    again = read_motifs(io.StringIO(text), fmt)
    for a, b in zip(back, again):
        np.testing.assert_allclose(b.pwm, a.pwm, atol=1e-6)


def test_meme_keeps_background_nsites_evalue_url(tmp_path):
    text = """MEME version 5

ALPHABET= ACGT

strands: + -

Background letter frequencies (from a file)
A 0.30 C 0.20
G 0.20 T 0.30

MOTIF crp CRP_ECOLI
letter-probability matrix: alength= 4 w= 3 nsites= 17 E= 4.1e-009
 0.000000  0.176471  0.000000  0.823529
 0.5 0.5 0 0
 0.25 0.25 0.25 0.25
log-odds matrix: alength= 4 w= 3
 1 2 3 4
 1 2 3 4
 1 2 3 4
URL http://example.org/crp

MOTIF lexA
letter-probability matrix: alength= 4 w= 2
 1 0 0 0
 0 1 0 0
"""
    ms = read_motifs(io.StringIO(text))
    np.testing.assert_allclose(ms.background, [0.3, 0.2, 0.2, 0.3])
    crp = ms["crp"]
    assert (crp.alt_name, crp.nsites, crp.meta["evalue"], crp.meta["url"]) == \
        ("CRP_ECOLI", 17.0, "4.1e-009", "http://example.org/crp")
    assert ms["lexA"].width == 2 and ms["lexA"].nsites is None
    out = tmp_path / "x.meme"
    write_motifs(ms, out)
    back = read_motifs(out)
    np.testing.assert_allclose(back.background, ms.background)
    assert back["crp"].meta == crp.meta and back["crp"].nsites == 17


def test_meme_alphabet_block_and_rna():
    block = ('MEME version 5\nALPHABET "DNA" DNA-LIKE\nA "Adenine" CC0000 ~ T "Thymine" 008000\n'
             'C "Cytosine" 0000CC ~ G "Guanine" FFB300\nN "Any base" = ACGT\nEND ALPHABET\n\n'
             'MOTIF m\nletter-probability matrix: alength= 4 w= 1\n0.1 0.2 0.3 0.4\n')
    assert read_motifs(io.StringIO(block))["m"].width == 1
    rna = "MEME version 4\nALPHABET= ACGU\nMOTIF r\nletter-probability matrix: alength= 4 w= 1\n1 0 0 0\n"
    assert read_motifs(io.StringIO(rna)).names == ["r"]


def test_transfac_accepts_P0_and_PO_and_probabilities():
    rows = "01 1 2 3 4 T\n02 10 0 0 0 A\n"
    for key in ("P0", "PO"):
        text = f"AC  MA0001.1\nXX\nID  AGL3\nXX\nDE  MA0001.1 AGL3 ; From JASPAR\n{key}  A C G T\n{rows}XX\n//\n"
        m = read_motifs(io.StringIO(text), "transfac")[0]
        assert m.name == "AGL3" and m.meta["accession"] == "MA0001.1"
        np.testing.assert_array_equal(m.counts, [[1, 10], [2, 0], [3, 0], [4, 0]])
    probs = "ID  x\nP0 A C G T\n01 0.1 0.2 0.3 0.4 N\n//\n"
    m = read_motifs(io.StringIO(probs), "transfac")[0]
    assert m.counts is None
    np.testing.assert_allclose(m.pwm[:, 0], [0.1, 0.2, 0.3, 0.4])


def test_bare_pfm_without_header(tmp_path):
    path = tmp_path / "MA0004.1.pfm"
    path.write_text("4 19 0 0 0 0\n16 0 20 0 0 0\n0 1 0 20 0 20\n0 0 0 0 20 0\n")
    ms = read_motifs(path)
    assert ms.names == ["MA0004.1"]
    assert ms[0].consensus() == "CACGTG"


def test_gzipped_motif_file(real_motifs, tmp_path):
    buf = io.StringIO()
    write_motifs(real_motifs, buf, "meme")
    path = tmp_path / "m.meme.gz"
    path.write_bytes(gzip.compress(buf.getvalue().encode()))
    assert read_motifs(path).names == real_motifs.names


@pytest.mark.slow
def test_pyjaspar_collection_and_ids():
    pytest.importorskip("pyjaspar")
    ms = exactpwm.load_jaspar(["MA0139.1"])
    assert ms[0].alt_name == "CTCF" and ms[0].width == 19
    np.testing.assert_allclose(ms[0].probabilities(0.04 * ms[0].counts[:, 0].sum() / 1), ms[0].probabilities(
        0.04 * ms[0].counts[:, 0].sum()))
    wide = exactpwm.load_jaspar(min_width=15)
    assert len(wide) > 50 and min(wide.widths) >= 15
    with pytest.raises(ValueError, match="unknown JASPAR release"):
        exactpwm.load_jaspar(release="JASPAR1999")


def test_pseudocount_step_follows_the_meme_suite():
    m = Motif.from_counts("m", [[8, 0], [0, 0], [0, 10], [2, 0]])
    np.testing.assert_allclose(m.pwm[:, 0], [0.8, 0, 0, 0.2])
    # (n + a * bg) / (N + a)
    np.testing.assert_allclose(m.probabilities(1.0)[:, 0], [8.25 / 11, 0.25 / 11, 0.25 / 11, 2.25 / 11])
    p = Motif("p", [[1.0], [0], [0], [0]])  # probabilities only: counts = pwm * 20 sites
    np.testing.assert_allclose(p.probabilities(0.1)[:, 0], [(20 + 0.025) / 20.1] + [0.025 / 20.1] * 3)


def test_scan_accepts_a_motif_set():
    pwm = jaspar_pwm()
    ms = MotifSet([Motif("CTCF", pwm)])
    seq = "ACGT" * 100 + "TGGCCACCAGGGGGCGCTA" + "ACGT" * 100
    by_set = exactpwm.scan(ms, [("chr", seq)], pvalue=1e-4)
    by_array = exactpwm.scan([pwm], [("chr", seq)], pvalue=1e-4, names=["CTCF"])
    fields = [f for f in by_set.rows.dtype.names if f != "qvalue"]  # q-values are NaN unless asked for
    assert len(by_set) == 1
    np.testing.assert_array_equal(by_set.rows[fields], by_array.rows[fields])
    assert by_set.motif_names == ["CTCF"]


def test_writing_never_overwrites_the_source(real_motifs, tmp_path):
    path = tmp_path / "m.meme"
    write_motifs(real_motifs, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="refusing to overwrite"):
        write_motifs(read_motifs(path), path)
    assert path.read_bytes() == before


MALFORMED = [
    ("meme", "MEME version 4\n\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 0.25\n",
     r":6: expected 2 rows of 4 numbers .*found the end of the file"),
    ("meme", "MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 1\n0.25 0.25 x 0.25\n",
     r":4: expected numbers .* found 'x'"),
    ("meme", "MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 1\n0.5 0.5 0.5 0.5\n",
     r":3: .*sums to 2"),
    ("meme", "MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n", r":2: expected the DNA alphabet"),
    ("meme", "not a meme file\n", r":1: expected 'MEME version 4'"),
    ("meme", "MEME version 4\n\n", r"expected at least one 'MOTIF'"),
    ("jaspar", ">MA1 x\nA [1 2]\nC [1 2]\nG [1 2]\n", r":5: expected the T row"),
    ("jaspar", ">MA1 x\nA [1 2]\nC [1 2 3]\nG [1 2]\nT [1 2]\n", r":2: expected four rows of equal length"),
    ("jaspar", ">MA1 x\nA [1 2]\nC [1 -2]\nG [1 2]\nT [1 2]\n", r":3: .*non-negative"),
    ("jaspar", ">MA1 x\nA 1 2\n", r":2: expected 'A \[ counts \]'"),
    ("transfac", "ID x\nP0 A C G T\n01 1 2 3\n//\n", r":3: expected a position and 4 numbers"),
    ("transfac", "ID x\nXX\n//\n", r":1: expected a P0 matrix"),
    ("transfac", "ID x\nP0 A C G X\n", r":2: expected columns A C G T"),
    ("homer", ">ACG\tname\tabc\n0.25 0.25 0.25 0.25\n", r":1: expected a number"),
    ("homer", ">ACG\tname\t5\n0.25 0.25 0.25\n", r":2: expected 4 numbers"),
    ("homer", "0.25 0.25 0.25 0.25\n", r":1: expected a '>consensus"),
]


@pytest.mark.parametrize("fmt,text,message", MALFORMED)
def test_malformed_files_name_file_line_and_expectation(fmt, text, message, tmp_path):
    path = tmp_path / f"bad{EXT[fmt]}"
    path.write_text(text)
    with pytest.raises(MotifFormatError, match=message) as info:
        read_motifs(path)
    assert str(info.value).startswith(str(path) + ":")


def test_unknown_format_and_empty_file(tmp_path):
    path = tmp_path / "what.txt"
    path.write_text("hello world\n")
    with pytest.raises(MotifFormatError, match="cannot tell the motif format"):
        read_motifs(path)
    with pytest.raises(ValueError, match="unknown motif format"):
        read_motifs(path, "fasta")
    with pytest.raises(FileNotFoundError):
        read_motifs(tmp_path / "missing.meme")


BIO_FORMAT = {"meme": "minimal", "jaspar": "jaspar", "transfac": "transfac", "pfm": "pfm-four-rows",
              "homer": "pfm-four-columns"}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_biopython_reads_what_we_write(real_motifs, fmt):
    motifs = pytest.importorskip("Bio.motifs")
    buf = io.StringIO()
    subset = real_motifs if fmt != "pfm" else real_motifs[:1]
    write_motifs(subset, buf, fmt)
    with io.StringIO(buf.getvalue()) as handle:
        if fmt == "pfm":
            parsed = [motifs.read(handle, BIO_FORMAT[fmt])]
        else:
            parsed = list(motifs.parse(handle, BIO_FORMAT[fmt]))
    assert len(parsed) == len(subset)
    for ours, theirs in zip(subset, parsed):
        M = np.array([theirs.counts[b] for b in "ACGT"], dtype=np.float64)
        # Biopython's MEME reader rounds probability x nsites to whole counts
        atol = 1.0 / round(ours.nsites) if fmt == "meme" else 1e-5
        np.testing.assert_allclose(M / M.sum(axis=0), ours.pwm, atol=atol)


def test_transfac_written_by_biopython_is_read(tmp_path):
    """Biopython writes TRANSFAC records without AC/ID/NA lines; they are named motif0, motif1, ..."""
    motifs_mod = pytest.importorskip("Bio.motifs")
    from Bio.Seq import Seq

    m = motifs_mod.create([Seq("ACGTA"), Seq("ACGTT"), Seq("TCGTA")])
    path = tmp_path / "bio.transfac"
    path.write_text(motifs_mod.write([m, m], "transfac"))
    ms = exactpwm.read_motifs(path)
    assert ms.names == ["motif0", "motif1"] and ms[0].width == 5
    np.testing.assert_allclose(ms[0].counts[:, 0], [2, 0, 0, 1])


def test_meme_strands_plus_is_kept(tmp_path):
    text = ("MEME version 4\n\nALPHABET= ACGT\n\nstrands: +\n\nMOTIF m1\n"
            "letter-probability matrix: alength= 4 w= 2 nsites= 10\n1 0 0 0\n0 1 0 0\n")
    path = tmp_path / "single.meme"
    path.write_text(text)
    ms = exactpwm.read_motifs(path)
    assert ms[0].meta["strands"] == "+"
    exactpwm.write_motifs(ms, tmp_path / "again.meme")
    assert "strands: +\n" in (tmp_path / "again.meme").read_text()


def test_probabilities_are_kept_as_printed_and_read_as_counts_of_the_whole_sites():
    """The MEME suite's reading, which FIMO's and Tomtom's numbers rest on: a column summing to 1
    within 1e-5 keeps its values (a printed 0.333333 three times stays), one further off is divided
    by its sum; with a pseudocount a, p' = (p * n + a * bg) / (n + a) for n the whole part of nsites."""
    pwm = np.array([[0.333333, 0.495], [0.333333, 0.495], [0.333333, 0.0], [0.0, 0.0]])
    m = Motif("m", pwm, nsites=10.7)
    assert m.pwm[:, 0].tolist() == pwm[:, 0].tolist()
    np.testing.assert_array_equal(m.pwm[:, 1], pwm[:, 1] / pwm[:, 1].sum())
    expected = (m.pwm * 10.0 + 0.1 * 0.25) / 10.1
    assert m.probabilities(0.1).tolist() == expected.tolist()
    assert Motif("u", pwm).probabilities(0.1).tolist() == ((m.pwm * 20.0 + 0.1 * 0.25) / 20.1).tolist()
