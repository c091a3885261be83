"""A scan cut into parts (``exactpwm scan --part K/N``) and merged (``exactpwm merge``) writes what
one scan of the whole input writes: the same hits, order and numbers, q-values included; only the
command line in the file's comment differs. Merge refuses parts that are not one run's."""

from __future__ import annotations

import subprocess
import sys

import exactpwm
import numpy as np
import pytest
from exactpwm import Motif, MotifSet
from exactpwm.app.cli import main
from exactpwm.scanning.parts import split_records
from exactpwm.scanning.scan import PvalueSample


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A FASTA of 160 records (empty ones, short ones, one of 60 kbp; N runs, lower case) and six
    motifs of widths 5 to 14."""
    d = tmp_path_factory.mktemp("parts")
    rng = np.random.default_rng(11)
    lengths = [int(x) for x in rng.integers(0, 2500, 150)] + [0, 60_000, 3, 0, 700, 0, 1200, 9, 0, 4000]
    rng.shuffle(lengths)
    with open(d / "seqs.fa", "w") as f:
        for i, n in enumerate(lengths):
            s = list("".join(rng.choice(list("ACGT"), size=n)))
            if n > 500:
                s[100:160] = "N" * 60
                s[300:400] = [c.lower() for c in s[300:400]]
            f.write(f">r{i % 150} rec {i}\n" + "\n".join("".join(s[j:j + 70]) for j in range(0, n, 70)) + "\n")
    motifs = MotifSet([Motif(f"M{w}", rng.dirichlet(np.ones(4) * 0.4, size=w).T, alt_name=f"alt{w}")
                       for w in (5, 6, 8, 9, 12, 14)])
    exactpwm.write_motifs(motifs, d / "motifs.meme")
    return d, d / "motifs.meme", d / "seqs.fa"


def _text(path) -> list[str]:
    """The file's lines without the one that records the command."""
    return [ln for ln in open(path).read().splitlines() if not ln.startswith(("# command:", "# exactpwm "))]


def _scan_in_parts(files, tmp_path, n: int, options: list[str], order=None) -> list:
    d, motifs, fa = files
    parts = []
    for k in order or range(1, n + 1):
        out = tmp_path / f"part{k}.npz"
        assert main(["scan", str(motifs), str(fa), *options, "--part", f"{k}/{n}", "-o", str(out), "-q"]) == 0
        parts.append(str(out))
    return parts


@pytest.mark.parametrize("fmt,qvalues,n", [("tsv", None, 3), ("tsv", "motif", 1), ("tsv", "motif", 4),
                                            ("tsv", "motif", 400), ("tsv", "pooled", 5), ("bed", None, 7),
                                            ("gff", "motif", 2)])
def test_merged_parts_write_what_the_whole_scan_writes(files, tmp_path, fmt, qvalues, n):
    d, motifs, fa = files
    options = ["--thresh", "1e-3", "--format", fmt, "--chunk-size", "5000"] + ([f"--qvalues={qvalues}"]
                                                                                 if qvalues else [])
    whole = tmp_path / f"whole.{fmt}"
    assert main(["scan", str(motifs), str(fa), *options, "-o", str(whole), "-q"]) == 0
    parts = _scan_in_parts(files, tmp_path, n, options, order=range(n, 0, -1))  # any order
    merged = tmp_path / f"merged.{fmt}"
    assert main(["merge", *parts[::-1], "-o", str(merged)]) == 0
    want = _text(whole)
    assert len(want) > 500
    assert _text(merged) == want


@pytest.mark.parametrize("n,extra", [(3, []), (7, ["--norc"]), (200, [])])
def test_maxima_in_parts_merge_into_the_whole_table(files, tmp_path, n, extra):
    """scan --format maxima --part K/N: each part's rows (one per record and motif, empty records
    and records without an N-free window included); merged, the whole scan's table."""
    d, motifs, fa = files
    options = ["--format", "maxima", "--chunk-size", "5000", *extra]
    whole = tmp_path / "whole.tsv"
    assert main(["scan", str(motifs), str(fa), *options, "-o", str(whole), "-q"]) == 0
    parts = _scan_in_parts(files, tmp_path, n, options, order=range(n, 0, -1))
    assert main(["merge", *parts, "-o", str(tmp_path / "merged.tsv")]) == 0
    want = _text(whole)
    assert len(want) == 1 + 160 * 6 + 1  # the header, a row per record and motif, the blank line
    assert _text(tmp_path / "merged.tsv") == want


def test_the_sample_for_q_values_does_not_depend_on_batches_or_parts(files):
    """Every window has a number fixed by its record and position; the sample is the windows
    numbered by multiples of one stride, whatever the chunk size, and a part's samples merge into
    the whole input's."""
    from exactpwm.io.fasta import record_lengths
    from exactpwm.scanning.parts import record_positions
    from exactpwm.scanning.plan import plan_scan
    from exactpwm.scanning.scan import collect_hits

    d, motifs, fa = files
    plan = plan_scan(exactpwm.read_motifs(motifs), pvalue=1e-3)
    samples = [collect_hits(plan, str(fa), tests=True, chunk_size=c).indexed for c in (1 << 23, 4000, 777)]
    for other in samples[1:]:
        for (i0, p0), (i1, p1) in zip(samples[0], other):
            np.testing.assert_array_equal(i0, i1)
            np.testing.assert_array_equal(p0, p1)
    lengths = record_lengths(str(fa))
    positions = record_positions(lengths)
    assert PvalueSample.stride_for(int(positions[-1])) > 1  # the sample is thinned
    bounds = split_records(lengths, 6)
    parts = [collect_hits(plan, str(fa), tests=True, chunk_size=3000, records=(int(a), int(b)),
                          first_position=int(positions[a])).indexed for a, b in zip(bounds[:-1], bounds[1:])]
    merged = PvalueSample.merge(parts, int(positions[-1]))
    for (_, want), got in zip(samples[0], merged):
        np.testing.assert_array_equal(got, want)


def test_split_records():
    np.testing.assert_array_equal(split_records(np.array([9, 9, 9, 9]), 2), [0, 2, 4])
    np.testing.assert_array_equal(split_records(np.array([100, 1, 1, 1]), 3), [0, 1, 1, 4])  # whole records
    np.testing.assert_array_equal(split_records(np.array([5, 5]), 4), [0, 1, 1, 2, 2])  # empty parts
    np.testing.assert_array_equal(split_records(np.zeros(0, np.int64), 2), [0, 0, 0])
    with pytest.raises(ValueError, match="parts"):
        split_records(np.array([1]), 0)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "exactpwm", *map(str, args)], capture_output=True, text=True)


def test_merge_refuses_parts_that_are_not_one_runs(files, tmp_path):
    d, motifs, fa = files
    parts = _scan_in_parts(files, tmp_path, 3, ["--thresh", "1e-3", "--qvalues"])
    other = tmp_path / "other.npz"
    assert main(["scan", str(motifs), str(fa), "--thresh", "1e-4", "--qvalues", "--part", "2/3", "-o", str(other),
                 "-q"]) == 0
    out = tmp_path / "out.tsv"
    cases = [([parts[0], str(other), parts[2]], 2, "different runs"),
             ([parts[0], parts[1]], 2, "part 3 of 3 missing"),
             ([parts[0], parts[1], parts[1], parts[2]], 2, "both part 2 of 3"),
             ([parts[0], str(fa), parts[2]], 1, "not a part file"),
             ([parts[0], str(tmp_path / "gone.npz")], 1, "gone.npz")]
    for given, code, message in cases:
        r = _cli("merge", *given, "-o", out)
        assert r.returncode == code, (given, r.stderr)
        assert message in r.stderr and "Traceback" not in r.stderr
        assert not out.exists()  # nothing half-written
    r = _cli("merge", *parts, "-o", parts[0])  # never overwrites an input
    assert r.returncode == 2 and "input" in r.stderr


@pytest.mark.parametrize("args,message", [(["--part", "0/3"], "K/N"), (["--part", "4/3"], "K/N"),
                                          (["--part", "x"], "K/N"), (["--part", "1/2"], "-o"),
                                          (["--part", "1/2", "--format", "maxima", "--regions", "r.bed", "-o",
                                            "p.npz"], "maxima")])
def test_part_option_errors(files, tmp_path, args, message):
    d, motifs, fa = files
    (tmp_path / "r.bed").write_text("r1\t0\t10\n")
    r = subprocess.run([sys.executable, "-m", "exactpwm", "scan", str(motifs), str(fa), *args], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_every_command_says_its_version():
    from exactpwm.app.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in ["", *commands]:
        r = _cli(*([name] if name else []), "--version")
        assert r.returncode == 0 and exactpwm.__version__ in r.stdout, (name, r.stdout, r.stderr)


@pytest.mark.parametrize("extra,n", [([], 3), (["--max-stored-scores", "25", "--max-strand"], 4),
                                     (["--no-qvalue", "--norc"], 2)])
def test_merged_fimo_parts_write_the_whole_runs_folder(files, tmp_path, extra, n):
    """FIMO's --oc files: q-values over all parts, and --max-stored-scores applied to the union
    (each part keeps its own most significant hits; the merge cuts again)."""
    d, motifs, fa = files
    options = ["--thresh", "1e-3", "--verbosity", "1", "--chunk-size", "5000", *extra]
    assert main(["fimo", "--oc", str(tmp_path / "whole"), *options, str(motifs), str(fa)]) == 0
    parts = []
    for k in range(1, n + 1):
        parts.append(str(tmp_path / f"fimo{k}.npz"))
        assert main(["fimo", "--part", f"{k}/{n}", parts[-1], *options, str(motifs), str(fa)]) == 0
    if n == 3:
        (tmp_path / "merged").mkdir()  # an existing folder is written into, as fimo's --oc
    assert main(["merge", *parts, "-o", str(tmp_path / "merged")]) == 0
    for name in ("fimo.tsv", "fimo.gff"):
        want = [ln for ln in _text(tmp_path / "whole" / name) if not ln.startswith("# exactpwm ")]
        got = [ln for ln in _text(tmp_path / "merged" / name) if not ln.startswith("# exactpwm ")]
        assert got == want and len(want) > 50


@pytest.mark.parametrize("extra,n", [(["--text"], 3), (["--text", "--max-strand", "--norc"], 4),
                                     (["--skip-matched-sequence"], 2)])
def test_merged_fimo_text_parts_write_the_whole_stream(files, tmp_path, capsys, extra, n):
    """fimo --text --part K/N FILE: every hit of the part (no q-values, no cap); the merge writes the
    stream one run writes (by motif, then scan order), to -o or stdout."""
    d, motifs, fa = files
    options = ["--thresh", "1e-3", "--verbosity", "1", "--chunk-size", "5000", *extra]
    assert main(["fimo", *options, str(motifs), str(fa)]) == 0
    want = capsys.readouterr().out.splitlines()
    parts = [str(tmp_path / f"t{k}.npz") for k in range(1, n + 1)]
    for k, path in enumerate(parts, 1):
        assert main(["fimo", "--part", f"{k}/{n}", path, *options, str(motifs), str(fa)]) == 0
    capsys.readouterr()
    assert main(["merge", *parts[::-1]]) == 0
    assert capsys.readouterr().out.splitlines() == want and len(want) > 100
    assert main(["merge", *parts, "-o", str(tmp_path / "t.tsv")]) == 0
    assert (tmp_path / "t.tsv").read_text().splitlines() == want


@pytest.mark.parametrize("mode", ["regions", "genomic"])
def test_fimo_regions_and_genomic_names_in_parts(tmp_path, mode):
    """fimo --regions / --parse-genomic-coord with --part: the --oc folder of one run."""
    pysam = pytest.importorskip("pysam")
    rng = np.random.default_rng(12)
    motifs = MotifSet([Motif(f"M{w}", rng.dirichlet(np.ones(4) * 0.4, size=w).T) for w in (6, 10)])
    exactpwm.write_motifs(motifs, tmp_path / "m.meme")
    if mode == "regions":
        chroms = {"chr1": 30_000, "chr2": 20_000}
        (tmp_path / "s.fa").write_text("".join(f">{c}\n" + "".join(rng.choice(list("ACGT"), n)) + "\n"
                                               for c, n in chroms.items()))
        pysam.faidx(str(tmp_path / "s.fa"))
        bed = []
        for _ in range(80):
            c = str(rng.choice(list(chroms)))
            st = int(rng.integers(0, chroms[c] - 50))
            bed.append(f"{c}\t{st}\t{min(chroms[c], st + int(rng.integers(20, 900)))}")
        (tmp_path / "r.bed").write_text("\n".join(bed) + "\n")
        extra = ["--regions", str(tmp_path / "r.bed")]
    else:
        with open(tmp_path / "s.fa", "w") as f:
            for i in range(60):
                st = int(rng.integers(0, 10**6))
                f.write(f">chr{1 + i % 3}:{st}-{st + 499}\n" + "".join(rng.choice(list("ACGT"), 500)) + "\n")
        extra = ["--parse-genomic-coord"]
    options = ["--thresh", "1e-3", "--verbosity", "1", *extra]
    args = [str(tmp_path / "m.meme"), str(tmp_path / "s.fa")]
    assert main(["fimo", "--oc", str(tmp_path / "whole"), *options, *args]) == 0
    parts = [str(tmp_path / f"f{k}.npz") for k in range(1, 4)]
    for k, path in enumerate(parts, 1):
        assert main(["fimo", "--part", f"{k}/3", path, *options, *args]) == 0
    assert main(["merge", *parts, "-o", str(tmp_path / "merged")]) == 0
    for name in ("fimo.tsv", "fimo.gff"):
        want = [ln for ln in _text(tmp_path / "whole" / name) if not ln.startswith("# exactpwm ")]
        assert [ln for ln in _text(tmp_path / "merged" / name) if not ln.startswith("# exactpwm ")] == want
        assert len(want) > 10


@pytest.mark.parametrize("args,message", [(["--part", "3/2", "p.npz"], "K/N"),
                                          (["--part", "1/2", "p.npz", "--qv-thresh"], "--qv-thresh")])
def test_fimo_part_option_errors(files, tmp_path, args, message):
    d, motifs, fa = files
    r = subprocess.run([sys.executable, "-m", "exactpwm", "fimo", *args, str(motifs), str(fa)], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "p.npz").exists()


def test_the_cap_on_stored_hits_does_not_depend_on_how_hits_arrive():
    """--max-stored-scores keeps, per motif, the hits with p below its (cap + 1)-th smallest p,
    whatever the pieces the hits come in (ties at the cut included) and in whatever order."""
    from exactpwm.scanning.fimo import cap_stored
    from exactpwm.scanning.hits import hit_dtype

    rng = np.random.default_rng(2)
    rows = np.zeros(3000, hit_dtype(10))
    rows["motif"] = rng.integers(0, 4, rows.size)
    rows["pvalue"] = rng.integers(1, 40, rows.size) * 1e-5  # many ties
    rows["start"] = np.arange(rows.size)
    cap = 60
    want_rows = []
    for k in range(4):
        p = np.sort(rows["pvalue"][rows["motif"] == k])
        want_rows.append(rows[(rows["motif"] == k) & (rows["pvalue"] < p[cap])])
    want = np.sort(np.concatenate(want_rows)["start"])
    for _ in range(20):
        cuts: dict = {}
        kept = rows[:0]
        order = rng.permutation(rows.size)
        for piece in np.array_split(order, rng.integers(1, 30)):
            kept = cap_stored(np.concatenate([kept, rows[np.sort(piece)]]), cap, cuts)
        np.testing.assert_array_equal(np.sort(kept["start"]), want)


@pytest.mark.parametrize("n,one", [(3, False), (5, True)])
def test_merged_track_parts_write_the_whole_runs_bedgraphs(files, tmp_path, n, one):
    d, motifs, source = files
    fa = tmp_path / "unique.fa"  # a track needs unique names: the fixture's repeat
    lines = source.read_text().splitlines()
    heads = iter(range(len(lines)))
    fa.write_text("\n".join(f">seq{next(heads)}" if ln.startswith(">") else ln for ln in lines) + "\n")
    sel = ["--motif", "M9"] if one else []
    out = "whole.bedGraph" if one else "whole"
    assert main(["track", str(motifs), str(fa), *sel, "--chunk-size", "5000", "-o", str(tmp_path / out)]) == 0
    parts = [str(tmp_path / f"t{k}.npz") for k in range(1, n + 1)]
    for k, path in enumerate(parts, 1):
        assert main(["track", str(motifs), str(fa), *sel, "--chunk-size", "5000", "--part", f"{k}/{n}",
                     "-o", path]) == 0
    merged = "merged.bedGraph" if one else "merged"
    assert main(["merge", *parts, "-o", str(tmp_path / merged)]) == 0
    if one:
        assert (tmp_path / merged).read_bytes() == (tmp_path / out).read_bytes()
    else:
        files_whole = sorted(p.name for p in (tmp_path / out).iterdir())
        assert files_whole == sorted(p.name for p in (tmp_path / merged).iterdir()) and len(files_whole) == 6
        for name in files_whole:
            assert (tmp_path / merged / name).read_bytes() == (tmp_path / out / name).read_bytes()


def test_merged_track_parts_write_the_whole_runs_bigwig(files, tmp_path):
    """track --part, then merge -o x.bw: the bigWig one 'track -o x.bw' writes (every record in its
    header, records without a window included), byte for byte."""
    pytest.importorskip("pyBigWig")
    d, motifs, source = files
    fa = tmp_path / "unique.fa"
    lines = source.read_text().splitlines()
    heads = iter(range(len(lines)))
    fa.write_text("\n".join(f">seq{next(heads)}" if ln.startswith(">") else ln for ln in lines) + "\n")
    args = [str(motifs), str(fa), "--motif", "M12", "--chunk-size", "5000"]
    assert main(["track", *args, "-o", str(tmp_path / "whole.bw")]) == 0
    parts = [str(tmp_path / f"b{k}.npz") for k in range(1, 5)]
    for k, path in enumerate(parts, 1):
        assert main(["track", *args, "--part", f"{k}/4", "-o", path]) == 0
    assert main(["merge", *parts, "-o", str(tmp_path / "merged.bw")]) == 0
    assert (tmp_path / "merged.bw").read_bytes() == (tmp_path / "whole.bw").read_bytes()
    several = [str(tmp_path / f"s{k}.npz") for k in range(1, 3)]
    for k, path in enumerate(several, 1):
        assert main(["track", str(motifs), str(fa), "--part", f"{k}/2", "-o", path]) == 0
    r = _cli("merge", *several, "-o", tmp_path / "x.bw")
    assert r.returncode == 2 and "one track" in r.stderr and not (tmp_path / "x.bw").exists()


def test_part_and_dask_do_not_go_together(files, tmp_path):
    d, motifs, fa = files
    for command in (["scan", str(motifs), str(fa)], ["track", str(motifs), str(fa)]):
        r = _cli(*command, "--part", "1/2", "--dask", "local:1", "-o", tmp_path / "p.npz")
        assert r.returncode == 2 and "--part and --dask" in r.stderr, r.stderr


def test_record_lengths_from_a_fai_only_when_it_fits_the_file(tmp_path):
    """A part finds its records from the samtools index when it describes this very file (its last
    record ends where the file ends), else from the FASTA itself: a stale index never hides records."""
    pysam = pytest.importorskip("pysam")
    from exactpwm.io.fasta import record_lengths

    rng = np.random.default_rng(3)
    fa = tmp_path / "g.fa"
    fa.write_text("".join(f">r{i}\n" + "\n".join("".join(rng.choice(list("ACGT"), 70)) for _ in range(n)) + "\n"
                          for i, n in enumerate((3, 1, 5, 2))))
    want = record_lengths(str(fa))
    np.testing.assert_array_equal(want, [210, 70, 350, 140])
    pysam.faidx(str(fa))
    np.testing.assert_array_equal(record_lengths(str(fa)), want)
    with open(fa, "a") as f:
        f.write(">late\nACGT\n")
    import os

    os.utime(str(fa) + ".fai")  # the index looks newer than the changed file
    np.testing.assert_array_equal(record_lengths(str(fa)), [*want, 4])


@pytest.mark.parametrize("qvalues", [None, "motif"])
def test_scan_regions_in_parts_merge_into_the_whole_scan(tmp_path, qvalues):
    """scan --regions BED --part K/N: the merged regions are cut into parts; hits on the
    chromosomes, q-values included, as one scan of all regions."""
    pysam = pytest.importorskip("pysam")
    rng = np.random.default_rng(6)
    chroms = {"chr1": 40_000, "chr2": 25_000, "chrM": 900}
    (tmp_path / "g.fa").write_text("".join(f">{c}\n" + "".join(rng.choice(list("ACGT"), n)) + "\n"
                                           for c, n in chroms.items()))
    pysam.faidx(str(tmp_path / "g.fa"))
    bed = []
    for _ in range(120):
        c = str(rng.choice(list(chroms)))
        s = int(rng.integers(0, chroms[c] - 50))
        bed.append(f"{c}\t{s}\t{min(chroms[c], s + int(rng.integers(20, 900)))}")
    (tmp_path / "r.bed").write_text("\n".join(bed) + "\n")
    motifs = MotifSet([Motif(f"M{w}", rng.dirichlet(np.ones(4) * 0.4, size=w).T) for w in (6, 10)])
    exactpwm.write_motifs(motifs, tmp_path / "m.meme")
    args = [str(tmp_path / "m.meme"), str(tmp_path / "g.fa"), "--regions", str(tmp_path / "r.bed"),
            "--thresh", "1e-3", *([f"--qvalues={qvalues}"] if qvalues else [])]
    assert main(["scan", *args, "-o", str(tmp_path / "whole.tsv"), "-q"]) == 0
    parts = [str(tmp_path / f"p{k}.npz") for k in range(1, 6)]
    for k, path in enumerate(parts, 1):
        assert main(["scan", *args, "--part", f"{k}/5", "-o", path, "-q"]) == 0
    assert main(["merge", *parts, "-o", str(tmp_path / "merged.tsv")]) == 0
    want = _text(tmp_path / "whole.tsv")
    assert _text(tmp_path / "merged.tsv") == want and len(want) > 30
    assert {ln.split("\t")[2] for ln in want[1:] if "\t" in ln} <= set(chroms)  # on the chromosomes


@pytest.mark.parametrize("style", ["ucsc", "bed"])
def test_genomic_names_in_parts_merge_into_the_whole_scan(tmp_path, style):
    """--parse-genomic-coord with --part: each part maps its hits onto the chromosomes as one scan does."""
    rng = np.random.default_rng(8)
    with open(tmp_path / "peaks.fa", "w") as f:
        for i in range(60):
            start = int(rng.integers(0, 10**6))
            f.write(f">chr{1 + i % 3}:{start}-{start + 500}\n" + "".join(rng.choice(list("ACGT"), 500)) + "\n")
    motifs = MotifSet([Motif("M8", rng.dirichlet(np.ones(4) * 0.4, size=8).T)])
    exactpwm.write_motifs(motifs, tmp_path / "m.meme")
    args = [str(tmp_path / "m.meme"), str(tmp_path / "peaks.fa"), "--thresh", "1e-3", "--qvalues",
            f"--parse-genomic-coord={style}", "--format", "bed"]
    assert main(["scan", *args, "-o", str(tmp_path / "whole.bed"), "-q"]) == 0
    parts = [str(tmp_path / f"g{k}.npz") for k in range(1, 4)]
    for k, path in enumerate(parts, 1):
        assert main(["scan", *args, "--part", f"{k}/3", "-o", path, "-q"]) == 0
    assert main(["merge", *parts, "-o", str(tmp_path / "merged.bed")]) == 0
    want = _text(tmp_path / "whole.bed")
    assert _text(tmp_path / "merged.bed") == want and len(want) > 10
    assert all(ln.split("\t")[0] in ("chr1", "chr2", "chr3") for ln in want if "\t" in ln)
