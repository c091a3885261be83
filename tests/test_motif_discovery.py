"""Motif discovery from attribution maps (issue 29): the engine's continuous Jaccard against a plain
numpy reference on every backend, seqlet callers on planted maps, clustering that recovers planted
motifs from synthetic maps (made without a model), the modisco-lite .h5 round trip, bad input, and
``exactpwm modisco`` end to end with its report opened in a real browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from exactpwm.core.sequence import one_hot_rows
from exactpwm.interpret.seqlet_similarity import continuous_jaccard, kmer_embedding, windows

pytest.importorskip("igraph")
pytest.importorskip("scipy")

BACKENDS = ["numba", "cpp-scalar", "cpp-avx2"]
MOTIFS = {"AP1": "TGAGTCA", "GATA": "AGATAAG", "EBOX": "CCACGTGG"}
_RC = str.maketrans("ACGT", "TGCA")


def _reference(x: np.ndarray, y: np.ndarray, pad: int) -> tuple[float, int]:
    """Best (score, offset) of candidate x against row y, as TF-MoDISco defines it, in float64."""
    W = x.shape[0]
    yp = np.zeros((W + 2 * pad, x.shape[1]))
    yp[pad:pad + W] = y
    best, where = -np.inf, 0
    for o in range(-pad, pad + 1):
        yy = yp[pad + o:pad + o + W]
        inter = (np.minimum(abs(x), abs(yy)) * np.sign(x) * np.sign(yy)).sum()
        union = np.maximum(abs(x), abs(yy)).sum()
        s = inter / union if union > 0 else 0.0
        if s > best:
            best, where = s, o
    return best, where


def _rc_tracks(t: np.ndarray) -> np.ndarray:
    return np.concatenate([t[::-1, 3::-1], t[::-1, 7:3:-1]], axis=1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_continuous_jaccard_matches_numpy(backend):
    from exactpwm._engine import core_info

    if backend.startswith("cpp") and not core_info()["available"]:
        pytest.skip("compiled core not built")
    rng = np.random.default_rng(1)
    n, W = 30, 21
    a = rng.laplace(size=(n, W, 8)).astype(np.float32)
    a[rng.random(a.shape) < 0.3] = 0
    b = rng.laplace(size=(n, W, 8)).astype(np.float32)
    b[:5] = a[:5]
    b[5:10] = np.roll(np.stack([_rc_tracks(t) for t in a[5:10]]), 3, axis=1)  # reverse strand, shifted
    nbrs = rng.integers(-1, n, (n, 6)).astype(np.int32)
    nbrs[:10, 0] = np.arange(10)
    best, off, strand = continuous_jaccard(a, b, nbrs, max_shift=6, backend=backend)
    for row in range(n):
        for i in range(6):
            m = nbrs[row, i]
            if m < 0:
                assert np.isnan(best[row, i])
                continue
            f = _reference(a[m].astype(float), b[row].astype(float), 6)
            r = _reference(_rc_tracks(a[m]).astype(float), b[row].astype(float), 6)
            want = r if r[0] > f[0] + 1e-3 else f
            assert best[row, i] == pytest.approx(want[0], abs=2e-3)  # int16 tracks
            if abs(f[0] - r[0]) > 1e-2:
                assert off[row, i] == want[1] and strand[row, i] == (r[0] > f[0])
    assert np.allclose(best[:5, 0], 1.0) and (strand[:5, 0] == 0).all() and (off[:5, 0] == 0).all()
    assert (strand[5:10, 0] == 1).all() and (off[5:10, 0] == 3).all() and (best[5:10, 0] > 0.7).all()


def test_continuous_jaccard_same_on_every_backend_and_thread_count():
    from exactpwm._engine import core_info

    rng = np.random.default_rng(2)
    a = rng.laplace(size=(200, 41, 8)).astype(np.float32)
    nbrs = rng.integers(0, 200, (200, 16)).astype(np.int32)
    ref = continuous_jaccard(a, a, nbrs, max_shift=12, backend="numba", threads=1)
    runs = [("numba", 2)] + ([(b, t) for b in ("cpp-scalar", "cpp-avx2") for t in (1, 2)]
                             if core_info()["available"] else [])
    for backend, threads in runs:
        got = continuous_jaccard(a, a, nbrs, max_shift=12, backend=backend, threads=threads)
        for x, y in zip(ref, got):
            np.testing.assert_array_equal(x, y)


def test_continuous_jaccard_refuses_bad_input():
    a = np.zeros((3, 10, 8), np.float32)
    with pytest.raises(ValueError, match="max_shift"):
        continuous_jaccard(a, max_shift=10)
    with pytest.raises(ValueError, match="rows of a"):
        continuous_jaccard(a, a, np.array([[3]] * 3), max_shift=1)
    bad = a.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        continuous_jaccard(bad, max_shift=1)
    with pytest.raises(ValueError, match="multiple of 4"):
        continuous_jaccard(np.zeros((3, 10, 6), np.float32), max_shift=1)


def test_windows_read_reverse_complement_and_pad_with_zeros():
    x = one_hot_rows(["ACGTTGAA"])
    w = windows(x, np.array([0, 0]), np.array([-2, 4]), 6, np.array([False, True]))
    letters = lambda m: "".join("ACGT"[c] if m[j].any() else "." for j, c in enumerate(m.argmax(1)))  # noqa: E731
    assert letters(w[0]) == "..ACGT"
    assert letters(w[1]) == "..TTCA"  # TGAA.. read on the minus strand


def test_kmer_embedding_is_strand_free():
    fwd = one_hot_rows(["AAAATGAGTCAAAAA"])
    rev = one_hot_rows(["AAAATGAGTCAAAAA"[::-1].translate(_RC)])
    c = np.ones((1, 15, 4), np.float32)
    e1 = kmer_embedding(windows(fwd, [0], [0], 15), windows(fwd, [0], [0], 15) * c)
    e2 = kmer_embedding(windows(rev, [0], [0], 15), windows(rev, [0], [0], 15) * c)
    np.testing.assert_allclose(e1, e2, atol=1e-6)


def planted_maps(n: int = 400, length: int = 200, seed: int = 0, motifs: dict = MOTIFS):
    """Random sequences with one or two planted motif sites each (either strand) and hypothetical
    contributions: +1 on each site's letters (0.2 on the others there), Laplace noise elsewhere."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length))
    hyp = rng.laplace(scale=0.02, size=(n, 4, length)).astype(np.float32)
    sites = []
    names = list(motifs)
    for s in range(n):
        taken = []
        for _ in range(rng.integers(1, 3)):
            name = names[rng.integers(len(names))]
            word = motifs[name] if rng.random() < 0.5 else motifs[name][::-1].translate(_RC)
            for _try in range(20):
                at = int(rng.integers(5, length - len(word) - 5))
                if all(abs(at - t) > 40 for t in taken):
                    break
            else:
                continue
            taken.append(at)
            codes[s, at:at + len(word)] = ["ACGT".index(c) for c in word]
            hyp[s, :, at:at + len(word)] = 0.2
            hyp[s, codes[s, at:at + len(word)], np.arange(at, at + len(word))] = 1.0
            sites.append((s, at, name))
    return hyp, one_hot_rows(codes.astype(np.uint8)), sites


def test_discovery_recovers_planted_motifs():
    from exactpwm.core.motif import Motif, MotifSet
    from exactpwm.interpret.motif_discovery import discover_motifs
    from exactpwm.interpret.tomtom import tomtom

    hyp, ohe, _ = planted_maps()
    found = discover_motifs(hyp, ohe, seed=0)
    assert 3 <= len(found.patterns) <= 4
    assert all(p.sign == 1 for p in found.patterns)
    planted = MotifSet([Motif(k, one_hot_rows([v])[0].astype(float) * 0.97 + 0.0075) for k, v in MOTIFS.items()])
    res = tomtom(found.to_motifs("pfm"), planted)
    best = {}
    for r in res.rows:
        q = int(r["query"])
        if q not in best:
            best[q] = r
    matched = {planted.names[int(best[q]["target"])] for q in best if best[q]["qvalue"] < 0.05}
    assert matched == set(MOTIFS)
    for p in found.patterns:  # the matrices' conventions
        assert p.cwm.shape == p.hcwm.shape == p.pfm.shape == (4, p.width)
        assert np.allclose(p.pfm.sum(axis=0)[p.pfm.sum(axis=0) > 0], 1)
        assert p.n_seqlets >= 20
    # the same patterns for the same seed, whatever the threads
    again = discover_motifs(hyp, ohe, seed=0, threads=1)
    assert [p.n_seqlets for p in again.patterns] == [p.n_seqlets for p in found.patterns]
    for a, b in zip(again.patterns, found.patterns):
        np.testing.assert_array_equal(a.start, b.start)
        np.testing.assert_allclose(a.cwm, b.cwm)


def test_discovery_single_motif_and_short_windows():
    """A single motif in 60-bp windows is still found (modisco-lite reports none in either case)."""
    from exactpwm.interpret.motif_discovery import discover_motifs

    hyp, ohe, _ = planted_maps(n=300, length=60, motifs={"AP1": "TGAGTCA"}, seed=3)
    found = discover_motifs(hyp, ohe)
    assert len(found.patterns) == 1
    assert "TGAGTCA" in (found.patterns[0].motif("pfm").consensus(), found.patterns[0].motif("pfm").consensus()
                         [::-1].translate(_RC))


def test_discovery_bad_input_is_named():
    from exactpwm.interpret.motif_discovery import discover_motifs

    hyp, ohe, _ = planted_maps(n=50, length=100)
    with pytest.raises(ValueError, match="differ in shape"):
        discover_motifs(hyp[:, :, :90], ohe)
    bad = hyp.copy()
    bad[3, 1, 7] = np.nan
    with pytest.raises(ValueError, match="sequence 3, position 7"):
        discover_motifs(bad, ohe)
    with pytest.raises(ValueError, match="nothing to cluster"):
        discover_motifs(np.zeros_like(hyp), ohe)
    with pytest.raises(ValueError, match="one_hot"):
        discover_motifs(hyp, ohe * 2)
    few = discover_motifs(hyp[:3], ohe[:3])  # too few seqlets: no patterns, and the notes say why
    assert few.patterns == [] and any("min_seqlets" in n for n in few.notes)


def test_recursive_seqlets_find_planted_spans():
    from exactpwm.interpret.seqlets import recursive_seqlets

    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.05, (50, 300))
    for s in range(50):
        x[s, 100:110] += 1.0
        x[s, 200:206] -= 1.0
    sl = recursive_seqlets(x, threshold=0.01)
    pos = sl.sign > 0
    near = lambda a, b: (np.abs(a - b) <= 1).all() and (a == b).mean() > 0.9  # noqa: E731 (noise may add a base)
    assert pos.sum() == 50 and near(sl.window_start[pos], 100) and near(sl.core_end[pos], 110)
    neg = sl.sign < 0
    assert neg.sum() == 50 and near(sl.window_start[neg], 200) and near(sl.core_end[neg], 206)
    again = recursive_seqlets(x, threshold=0.01)
    np.testing.assert_array_equal(sl.start, again.start)


def test_modisco_h5_round_trip(tmp_path):
    pytest.importorskip("h5py")
    from exactpwm.io.modisco_h5 import read_modisco_h5, write_modisco_h5

    rng = np.random.default_rng(0)

    def pattern(n, w):
        return {"sequence": rng.random((w, 4)), "contrib_scores": rng.random((w, 4)),
                "hypothetical_contribs": rng.random((w, 4)),
                "seqlets": {"start": np.arange(n), "end": np.arange(n) + w, "example_idx": np.arange(n),
                            "is_revcomp": np.zeros(n, bool), "sequence": rng.random((n, w, 4)).astype(np.float32),
                            "contrib_scores": rng.random((n, w, 4)).astype(np.float32),
                            "hypothetical_contribs": rng.random((n, w, 4)).astype(np.float32)},
                "subpatterns": []}

    pos = [pattern(5, 10), pattern(3, 12)]
    pos[0]["subpatterns"] = [pattern(2, 10), pattern(3, 10)]
    neg = [pattern(4, 8)]
    path = str(tmp_path / "m.h5")
    write_modisco_h5(path, {"pos_patterns": pos, "neg_patterns": neg}, 400)
    back = read_modisco_h5(path)
    assert [p["name"] for p in back] == ["pos_patterns/pattern_0", "pos_patterns/pattern_1", "neg_patterns/pattern_0"]
    assert [p["sign"] for p in back] == [1, 1, -1]
    for got, want in zip(back, pos + neg):
        for key in ("sequence", "contrib_scores", "hypothetical_contribs"):
            np.testing.assert_array_equal(got[key], want[key])
        assert got["n_seqlets"] == len(want["seqlets"]["start"])
        np.testing.assert_array_equal(got["seqlets"]["start"], want["seqlets"]["start"])
    assert len(back[0]["subpatterns"]) == 2


def _write_npz(path, x):
    np.savez(path, x)


def test_modisco_command_end_to_end_and_report_in_a_browser(tmp_path):
    pytest.importorskip("h5py")
    pytest.importorskip("matplotlib")
    hyp, ohe, _ = planted_maps(n=300, length=120, seed=5)
    _write_npz(tmp_path / "attr.npz", hyp)
    _write_npz(tmp_path / "ohe.npz", ohe)
    out = tmp_path / "report"
    motifs = tmp_path / "planted.meme"
    from exactpwm.core.motif import Motif, MotifSet
    from exactpwm.io.formats import write_motifs

    write_motifs(MotifSet([Motif(k, one_hot_rows([v])[0].astype(float) * 0.97 + 0.0075)
                           for k, v in MOTIFS.items()]), str(motifs), "meme")
    run = subprocess.run([sys.executable, "-m", "exactpwm", "modisco", str(tmp_path / "attr.npz"), "-s",
                          str(tmp_path / "ohe.npz"), "-o", str(out), "-w", "0", "-m", str(motifs), "-q",
                          "--pvalue", "1e-3"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for name in ("modisco_results.h5", "patterns.meme", "patterns.tsv", "tomtom.tsv", "hits.tsv", "cooccurrence.tsv",
                 "index.html"):
        assert (out / name).stat().st_size > 0, name
    table = (out / "patterns.tsv").read_text().splitlines()
    assert len(table) - 1 >= 3
    assert {line.split("\t")[6] for line in table[1:]} >= set(MOTIFS)  # each best match a planted motif
    from exactpwm.io.formats import read_motifs
    from exactpwm.io.modisco_h5 import read_modisco_h5

    n = len(table) - 1
    assert len(read_motifs(str(out / "patterns.meme"))) == n == len(read_modisco_h5(str(out / "modisco_results.h5")))
    hits = (out / "hits.tsv").read_text().splitlines()
    assert len(hits) > 100 and hits[0].startswith("sequence\tpattern\tkind")
    _open_in_browser(out / "index.html", len(table) - 1)

    # bad input gets one error line, no traceback, and nothing is replaced
    before = (out / "patterns.tsv").read_bytes()
    _write_npz(tmp_path / "short.npz", ohe[:, :, :100])
    bad = subprocess.run([sys.executable, "-m", "exactpwm", "modisco", str(tmp_path / "attr.npz"), "-s",
                          str(tmp_path / "short.npz"), "-o", str(out), "-w", "0", "-q"], capture_output=True,
                         text=True)
    assert bad.returncode != 0 and "do not match" in bad.stderr and "Traceback" not in bad.stderr
    assert (out / "patterns.tsv").read_bytes() == before


def _open_in_browser(page, n_patterns: int) -> None:
    """Open the report in headless Chromium (Debian's chromium and chromium-driver): no console
    errors, every image loaded."""
    driver_path = shutil.which("chromedriver")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not (driver_path and browser):
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("no chromium / chromedriver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the browser runs without the sanitizer runtime the ASan suite preloads (.ci/sanitize): it is
    # not ours, and chromedriver aborts under it
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    driver = webdriver.Chrome(service=Service(driver_path, env=env), options=opts)
    try:
        driver.get(page.as_uri())
        assert driver.title == "exactpwm modisco report"
        images = driver.find_elements("tag name", "img")
        assert len(images) >= 3 * n_patterns
        broken = driver.execute_script(
            "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        assert broken == []
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert errors == []
    finally:
        driver.quit()


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_npz_window_read_by_blocks(tmp_path, save):
    from exactpwm.io.npz import npz_shape, read_npz_columns

    x = np.random.default_rng(0).random((300, 4, 50)).astype(np.float32)
    path = str(tmp_path / "a.npz")
    save(path, x, other=np.arange(3))
    assert npz_shape(path) == ((300, 4, 50), np.dtype(np.float32))
    np.testing.assert_array_equal(read_npz_columns(path, start=10, stop=30, rows=7), x[..., 10:30])
    np.testing.assert_array_equal(read_npz_columns(path), x)
    with pytest.raises(ValueError, match="not uint8"):
        read_npz_columns(path, dtype=np.uint8, exact=True)
    with pytest.raises(ValueError, match="no missing in the .npz"):
        read_npz_columns(path, key="missing")
    (tmp_path / "cut.npz").write_bytes(open(path, "rb").read()[:5000])
    with pytest.raises(ValueError, match="not an .npz"):
        read_npz_columns(str(tmp_path / "cut.npz"))


def test_modisco_job_hits_on_a_fasta_and_bad_files(tmp_path):
    pytest.importorskip("h5py")
    from exactpwm.jobs import ModiscoOptions, OptionsError, run_modisco

    hyp, ohe, _ = planted_maps(n=200, length=100, seed=7)
    np.savez(tmp_path / "attr.npz", hyp)
    np.savez(tmp_path / "ohe.npz", ohe)
    genome = tmp_path / "genome.fa"
    genome.write_text(">chrA\n" + "ACGT" * 50 + "TGAGTCA" + "ACGT" * 50 + "\n>chrB\n" + "TTTT" * 30 + "\n")
    opts = ModiscoOptions(str(tmp_path / "attr.npz"), str(tmp_path / "out"), sequences=str(tmp_path / "ohe.npz"),
                          window=0, motifs="none", logos=False, hits_on=str(genome), pvalue=1e-3)
    res = run_modisco(opts, log=lambda s: None)
    assert res.patterns >= 3
    rows = [line.split("\t") for line in (tmp_path / "out" / "hits.tsv").read_text().splitlines()[1:]]
    assert rows and {r[0] for r in rows} <= {"chrA", "chrB"}
    assert any(r[0] == "chrA" and int(r[3]) < 207 and int(r[4]) > 200 for r in rows)  # the AP-1 site at 200
    header = (tmp_path / "out" / "patterns.tsv").read_text().splitlines()[0].split("\t")
    assert header[-3:] == ["pfm_hits", "cwm_hits", "sequences_with_pfm_hit"]
    # bad inputs: each named, nothing written over
    np.savez(tmp_path / "nan.npz", np.where(np.arange(100) == 5, np.nan, hyp))
    np.savez(tmp_path / "half.npz", ohe * 0.5)
    np.savez(tmp_path / "flat.npz", hyp[:, :2])
    cases = [("nan.npz", "ohe.npz", "NaN"), ("attr.npz", "half.npz", "other than 0 and 1"),
             ("flat.npz", "ohe.npz", r"must be \(N, 4, L\)"), ("attr.npz", "attr.npz", "other than 0 and 1")]
    for attr, seqs, message in cases:
        with pytest.raises(OptionsError, match=message):
            run_modisco(ModiscoOptions(str(tmp_path / attr), str(tmp_path / "bad"), sequences=str(tmp_path / seqs),
                                       window=0, motifs="none", logos=False), log=lambda s: None)
    with pytest.raises(OptionsError, match="longer than the maps"):
        run_modisco(ModiscoOptions(str(tmp_path / "attr.npz"), str(tmp_path / "bad"),
                                   sequences=str(tmp_path / "ohe.npz"), window=400, motifs="none"), log=lambda s: None)


@pytest.mark.parametrize("layout", ["modisco", "chrombpnet"])
def test_modisco_reads_attribution_h5(tmp_path, layout):
    h5py = pytest.importorskip("h5py")
    from exactpwm.jobs import ModiscoOptions, OptionsError, run_modisco

    hyp, ohe, _ = planted_maps(n=200, length=100, seed=9)
    path = tmp_path / "shap.h5"
    with h5py.File(path, "w") as f:
        if layout == "modisco":
            f["hyp_scores"] = hyp.transpose(0, 2, 1)
            f["input_seqs"] = ohe.transpose(0, 2, 1)
        else:
            f.create_group("shap")["seq"] = hyp
            f.create_group("raw")["seq"] = ohe
    np.savez(tmp_path / "attr.npz", hyp)
    np.savez(tmp_path / "ohe.npz", ohe)
    a = run_modisco(ModiscoOptions(str(path), str(tmp_path / "a"), window=80, motifs="none", logos=False),
                    log=lambda s: None)
    b = run_modisco(ModiscoOptions(str(tmp_path / "attr.npz"), str(tmp_path / "b"), sequences=str(tmp_path / "ohe.npz"),
                                   window=80, motifs="none", logos=False), log=lambda s: None)
    assert a.patterns == b.patterns >= 3
    assert (tmp_path / "a" / "patterns.tsv").read_text() == (tmp_path / "b" / "patterns.tsv").read_text()
    with pytest.raises(OptionsError, match="leave out --sequences"):
        run_modisco(ModiscoOptions(str(path), str(tmp_path / "c"), sequences=str(tmp_path / "ohe.npz")),
                    log=lambda s: None)
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f["other"] = np.zeros(3)
    with pytest.raises(OptionsError, match="no attributions found"):
        run_modisco(ModiscoOptions(str(tmp_path / "empty.h5"), str(tmp_path / "c")), log=lambda s: None)


def test_modisco_reads_sequences_from_a_fasta(tmp_path):
    pytest.importorskip("h5py")
    from exactpwm.jobs import ModiscoOptions, OptionsError, run_modisco

    hyp, ohe, _ = planted_maps(n=200, length=100, seed=9)
    np.savez(tmp_path / "attr.npz", hyp)
    np.savez(tmp_path / "ohe.npz", ohe)
    letters = np.array(list("ACGT"))[ohe.argmax(axis=1)]
    (tmp_path / "seqs.fa").write_text("".join(f">s{i}\n{''.join(row)}\n" for i, row in enumerate(letters)))
    runs = {}
    for name, seqs in (("npz", "ohe.npz"), ("fasta", "seqs.fa")):
        run_modisco(ModiscoOptions(str(tmp_path / "attr.npz"), str(tmp_path / name), sequences=str(tmp_path / seqs),
                                   window=0, motifs="none", logos=False, pvalue=1e-3), log=lambda s: None)
        runs[name] = (tmp_path / name / "hits.tsv").read_text().splitlines()
    assert (tmp_path / "npz" / "patterns.tsv").read_text() == (tmp_path / "fasta" / "patterns.tsv").read_text()
    assert [r.split("\t", 1)[1] for r in runs["npz"][1:]] == [r.split("\t", 1)[1] for r in runs["fasta"][1:]]
    assert runs["fasta"][1].startswith("s")  # hits name the FASTA's sequences
    (tmp_path / "ragged.fa").write_text(">a\nACGTACGT\n>b\nACG\n")
    with pytest.raises(OptionsError, match="2 lengths"):
        run_modisco(ModiscoOptions(str(tmp_path / "attr.npz"), str(tmp_path / "r"),
                                   sequences=str(tmp_path / "ragged.fa"), window=0, motifs="none"), log=lambda s: None)
