"""Scans at a p-value threshold decide and report for the real-valued matrix (issue 31): hits and
p-values equal a brute force that scores every window in float64 and takes each one's p-value by
enumerating every word (w <= 12) or by meet in the middle (wider), with ties at the threshold;
the three kinds of certificate (whole tail, band, grid) each checked; the FIMO window that the
2^-10 grid drops is found."""

from __future__ import annotations

import exactpwm
import numpy as np
import pytest
from exactpwm.core.exact_pvalues import TailTable, exact_pvalues
from exactpwm.scanning import certified
from exactpwm.scanning.plan import plan_scan, score_matrices, symmetric_background
from exactpwm.scanning.scan import collect_hits

pytestmark = pytest.mark.filterwarnings("ignore::exactpwm.scanning.plan.ScanWarning")

BG = np.array([0.3, 0.2, 0.2, 0.3])


def every_word(M, bg):
    """(scores, probabilities) of all 4^w words, summed left to right."""
    s, p = np.zeros(1), np.ones(1)
    for j in range(M.shape[1]):
        s = (s[:, None] + M[:, j]).reshape(-1)
        p = (p[:, None] * bg).reshape(-1)
    return s, p


def window_pvalues(mats, seq, bg):
    """Per motif, per strand: (clean (n,) bool, scores, exact p-values) of every window."""
    out = []
    for M in mats:
        w = M.shape[1]
        tol = 1e-9 * (1 + np.abs(M).max(axis=0).sum())
        win = np.lib.stride_tricks.sliding_window_view(seq, w)
        clean = (win < 4).all(axis=1)
        safe = np.where(win < 4, win, 0)
        if w <= 12:
            s, p = every_word(M, bg)
            order = np.argsort(s)
            s, tail = s[order], np.concatenate([np.cumsum(p[order][::-1])[::-1], [0.0]])
        strands = []
        for words in (safe, 3 - safe[:, ::-1]):
            scores = M[words, np.arange(w)].sum(axis=1)
            if w <= 12:
                pv = tail[np.searchsorted(s, scores - tol)]
            else:
                pv = np.ones(scores.size)
                best = scores >= np.quantile(scores, 0.97)  # the rest are far from any hit
                distinct, inverse = np.unique(scores[best], return_inverse=True)
                pv[best] = exact_pvalues(M, distinct, bg)[inverse]
            strands.append((clean, scores, pv))
        out.append(strands)
    return out


def brute_force(windows, p_threshold):
    """{(motif, start, strand): (score, p)} of every window whose exact p-value is <= p_threshold."""
    out = {}
    for k, strands in enumerate(windows):
        for strand, (clean, scores, pv) in zip("+-", strands):
            for i in np.flatnonzero(clean & (pv <= p_threshold)):
                out[(k, int(i), strand)] = (scores[i], pv[i])
    return out


def as_dict(table):
    r = table.rows
    return {(int(m), int(s), st.decode()): (sc, p) for m, s, st, sc, p in
            zip(r["motif"], r["start"], r["strand"], r["score"], r["pvalue"])}


def assert_equal_to_brute_force(table, expected, plan):
    """The same hits and scores; p-values exact where the certificate says so (every hit of a
    motif whose tail is tabulated, hits in the band of the others), else the grid's."""
    got = as_dict(table)
    assert got.keys() == expected.keys()
    kinds, ceiling = plan.certified.kinds(), plan.certified.ceiling
    for key, (score, p) in expected.items():
        assert got[key][0] == pytest.approx(score, rel=1e-12, abs=1e-12)
        exact = kinds[key[0]] == "full" or (kinds[key[0]] == "band" and score < ceiling[key[0]])
        assert got[key][1] == pytest.approx(p, rel=1e-9 if exact else 0.2)
    return kinds


@pytest.fixture(scope="module")
def motifs_and_sequence():
    rng = np.random.default_rng(7)
    pwms = [rng.dirichlet(np.full(4, 0.4), size=w).T for w in (4, 6, 8, 9, 11, 12, 15)]
    pwms = [(p + 0.02) / (p + 0.02).sum(axis=0) for p in pwms]
    # ties: two columns of equal entries and a repeated column make many words score alike
    pwms[2][:, 3] = pwms[2][:, 4] = pwms[2][:, 5]
    seq = rng.choice(5, 30_000, p=[0.29, 0.2, 0.2, 0.29, 0.02]).astype(np.uint8)
    return pwms, seq


@pytest.fixture(scope="module")
def exact_windows(motifs_and_sequence):
    pwms, seq = motifs_and_sequence
    mats = score_matrices(pwms, background=BG, step=None, pseudocount=0)
    return window_pvalues(mats, seq, symmetric_background(BG))


@pytest.mark.parametrize("threshold", [1e-2, 1e-3, 1e-4])
def test_hits_and_pvalues_equal_the_exact_brute_force(motifs_and_sequence, exact_windows, threshold):
    pwms, seq = motifs_and_sequence
    table = exactpwm.scan(pwms, seq, pvalue=threshold, background=BG, pseudocount=0)
    expected = brute_force(exact_windows, threshold)
    assert len(expected) > 20
    kinds = assert_equal_to_brute_force(table, expected, plan_scan(pwms, pvalue=threshold, background=BG,
                                                                   pseudocount=0))
    assert kinds.count("full") >= 4


def test_the_grid_alone_gets_some_of_them_wrong(motifs_and_sequence, exact_windows):
    """The reason for all this: on the 2^-10 grid some windows are decided or priced wrongly."""
    pwms, seq = motifs_and_sequence
    expected = brute_force(exact_windows, 1e-3)
    grid = as_dict(exactpwm.scan(pwms, seq, pvalue=1e-3, background=BG, pseudocount=0, step=2.0 ** -10))
    off = [k for k in grid.keys() & expected.keys() if abs(grid[k][1] / expected[k][1] - 1) > 1e-6]
    assert grid.keys() != expected.keys() or off


@pytest.mark.parametrize("full, band", [(0, 1 << 20), (0, 0)])
def test_band_and_grid_certificates(motifs_and_sequence, exact_windows, monkeypatch, full, band):
    """Tails too large to tabulate: the band around the threshold decides exactly (p-values above it
    are the grid's); a band too large too: the grid's decisions, as before."""
    pwms, seq = motifs_and_sequence
    monkeypatch.setattr(certified, "FULL_TAIL_WORDS", full)
    monkeypatch.setattr(certified, "BAND_WORDS", band)
    table = exactpwm.scan(pwms, seq, pvalue=1e-3, background=BG, pseudocount=0)
    plan = plan_scan(pwms, pvalue=1e-3, background=BG, pseudocount=0)
    assert plan.certified is not None
    kinds = set(plan.certified.kinds()) - {"none"}
    if band:
        assert kinds == {"band"}
        assert_equal_to_brute_force(table, brute_force(exact_windows, 1e-3), plan)
    else:
        assert kinds == {"grid"}
        got = as_dict(table)
        grid = as_dict(exactpwm.scan(pwms, seq, pvalue=1e-3, background=BG, pseudocount=0, step=2.0 ** -10))
        assert got.keys() == grid.keys()


def test_results_do_not_depend_on_threads_chunks_or_backend(motifs_and_sequence):
    from conftest import BACKENDS

    pwms, seq = motifs_and_sequence
    plan = plan_scan(pwms, pvalue=1e-3, background=BG)
    ref = collect_hits(plan, seq, threads=1).hits
    for backend in BACKENDS:
        for threads, chunk in ((2, 7_001), (1, 1 << 20)):
            other = collect_hits(plan_scan(pwms, pvalue=1e-3, background=BG), seq, threads=threads,
                                 chunk_size=chunk, backend=backend).hits
            for field in ("motif", "start", "strand", "score", "pvalue"):
                np.testing.assert_array_equal(other[field], ref[field])


def test_tail_table_equals_every_word():
    rng = np.random.default_rng(3)
    M = np.round(rng.normal(size=(4, 9)) * 8) / 8  # many ties
    s, p = every_word(M, BG)
    floor = np.quantile(s, 0.9)
    table = TailTable.build(M, floor, BG)
    band = TailTable.build(M, floor, BG, ceiling=floor + 1.0)
    assert table is not None and band is not None and len(band) < len(table)
    tol = 1e-9 * (1 + np.abs(M).max(axis=0).sum())
    for q in np.unique(s[s >= floor + 2 * tol])[::7]:
        want = p[s >= q - tol].sum()
        assert table.pvalue(q) == pytest.approx(want, rel=1e-12)
        if q <= floor + 1.0:
            assert band.pvalue(q) == pytest.approx(want, rel=1e-12)
        else:
            assert np.isnan(band.pvalue(q))
    assert np.isnan(table.pvalue(floor - 1.0))
    assert TailTable.build(M, floor, BG, max_words=3) is None
    assert TailTable.build(np.zeros((4, 23)), 0.0) is None


@pytest.mark.parametrize("w", [1, 2, 7, 12])
def test_every_backend_builds_the_same_tail_table(w):
    """The compiled tail tables (cpp/src/exact_tails.cpp) and the numpy ones are the same numbers,
    bit for bit: ties (a matrix on a coarse grid, -0.0 entries), a floor below every word, a band
    that fits only for the second range, and no range that fits."""
    from conftest import BACKENDS

    rng = np.random.default_rng(w)
    M = np.round(rng.normal(size=(4, w)) * 4) / 4
    M[M == 0] = -0.0
    s, _ = every_word(M, BG)
    cases = [(np.quantile(s, 0.8), [(np.inf, 1 << 16)]), (s.min() - 1.0, [(np.inf, 1 << 20)]),
             (np.quantile(s, 0.5), [(np.inf, 3), (np.quantile(s, 0.6), 1 << 20)]),
             (np.quantile(s, 0.5), [(np.inf, 0)])]
    for floor, ranges in cases:
        ref = TailTable.first_fit(M, float(floor), BG, ranges, backend="numba")
        for backend in BACKENDS:
            i, table = TailTable.first_fit(M, float(floor), BG, ranges, backend=backend)
            assert i == ref[0], backend
            if table is None:
                assert ref[1] is None
                continue
            assert table.scores.tobytes() == ref[1].scores.tobytes(), backend
            assert table.tail.tobytes() == ref[1].tail.tobytes(), backend


@pytest.mark.parametrize("threads", [1, 3])
def test_many_tail_tables_in_one_call_equal_each_alone(threads):
    """TailTable.first_fits (one engine call over the jobs, on threads threads) gives each job's
    first_fit, bit for bit, on every backend: widths 1 to 23 (23: wider than MAX_WIDTH, no table),
    jobs whose first, second or no range fits."""
    from conftest import BACKENDS

    rng = np.random.default_rng(5)
    jobs = []
    for w in (1, 3, 23, 6, 9, 12, 2):
        M = np.round(rng.normal(size=(4, w)) * 8) / 8
        s = np.sort(rng.normal(size=2000) * np.sqrt(w))  # scores' scale only: floors anywhere in range
        floor = float(np.quantile(s, 0.7))
        jobs.append((M, floor, [(np.inf, 1 << 16), (floor + 1.0, 1 << 20)]))
    jobs.append((jobs[3][0], jobs[3][1] - 10.0, [(np.inf, 0)]))  # no range fits
    for backend in BACKENDS:
        many = TailTable.first_fits(jobs, BG, threads=threads, backend=backend)
        assert len(many) == len(jobs)
        for (M, floor, ranges), (i, table) in zip(jobs, many):
            j, ref = TailTable.first_fit(M, floor, BG, ranges, backend="numba")
            assert i == j, backend
            if ref is None:
                assert table is None
                continue
            assert (table.floor, table.ceiling, table.tol) == (ref.floor, ref.ceiling, ref.tol)
            assert table.scores.tobytes() == ref.scores.tobytes(), backend
            assert table.tail.tobytes() == ref.tail.tobytes(), backend
    assert TailTable.first_fits([], BG) == []


def test_tail_tables_refuses_inconsistent_offsets():
    """The engine op's offsets and column indices are checked before any table is built."""
    from exactpwm import _core

    f, i = np.float64, np.int64

    def call(col_start=(0, 2), cols_a=(0,), a_start=(0, 1), range_start=(0, 1)):
        _core.tail_tables(np.zeros(8, f), np.array(col_start, i), np.full(4, 0.25), np.array(cols_a, i),
                          np.zeros(len(cols_a), f), np.array(a_start, i), np.zeros(1, f), np.array([1], i),
                          np.zeros(1, f), np.array([0, 1], i), np.zeros(1, f), np.zeros(1, f), np.zeros(1, f),
                          np.array([np.inf]), np.array([10], i), np.array(range_start, i), 1)

    call()
    with pytest.raises(ValueError, match="column index"):
        call(cols_a=(5,))
    with pytest.raises(ValueError, match="col_start"):
        call(col_start=(0, 3))
    with pytest.raises(ValueError, match="a_start"):
        call(a_start=(0, 2))
    with pytest.raises(ValueError, match="range_start"):
        call(range_start=(1, 1))


def test_the_fimo_window_the_grid_drops_is_found():
    """Issue 31: MA0119.1 with FIMO's defaults; the window's exact p-value is 9.99717e-05 and FIMO
    reports it; the 2^-10 grid priced it at 1.00045e-4 and dropped it."""
    pytest.importorskip("pyjaspar")
    from exactpwm.io.formats.jaspardb import load_jaspar
    from exactpwm.scanning.fimo import NRDB

    ms = load_jaspar(["MA0119.1"])
    seq = "AAAATCGCCGGAGGCCAGAAAA"
    hits = exactpwm.scan(ms, seq, pvalue=1e-4, background=NRDB).rows
    assert len(hits) == 1 and hits["matched"][0] == b"TCGCCGGAGGCCAG"
    assert hits["pvalue"][0] == pytest.approx(9.99717e-05, rel=1e-5)
    assert len(exactpwm.scan(ms, seq, pvalue=1e-4, background=NRDB, step=2.0 ** -10)) == 0


def test_the_fimo_command_reports_it(tmp_path, capsys):
    pytest.importorskip("pyjaspar")
    from exactpwm.app.cli import main
    from exactpwm.io.formats.jaspardb import load_jaspar
    from exactpwm.io.formats.meme import write_meme

    with open(tmp_path / "m.meme", "w") as f:
        write_meme(load_jaspar(["MA0119.1"]), f)
    (tmp_path / "s.fa").write_text(">s\nAAAATCGCCGGAGGCCAGAAAA\n")
    assert main(["fimo", "--text", str(tmp_path / "m.meme"), str(tmp_path / "s.fa")]) in (0, None)
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines() if not line.startswith("motif_id")]
    assert len(rows) == 1 and rows[0][9].strip() == "TCGCCGGAGGCCAG"
    assert float(rows[0][7]) == pytest.approx(9.99717e-05, rel=1e-3)


def test_tables_that_cannot_be_allocated_raise_memory_error_not_abort():
    """An allocation that fails inside the engine's parallel loop over tables is a MemoryError in
    Python (no exception may leave an OpenMP region: it would abort the process)."""
    from conftest import assert_memory_error_under_limit

    setup = ("import numpy as np\n"
             "from exactpwm.core.exact_pvalues import TailTable\n"
             "M = np.random.default_rng(0).normal(size=(4, 22))\n"
             "jobs = [(M, -1e9, [(np.inf, 1 << 40)])] * 2")
    assert_memory_error_under_limit(setup, "TailTable.first_fits(jobs, None, threads=2)", 200)


def test_a_large_band_table_is_the_same_on_every_backend():
    """A wide motif's band of about a hundred thousand words (the compiled engine deals them into
    buckets and orders each; ties between words by their place in the enumeration), some columns on
    a coarse grid so that many words tie: the same table, bit for bit, on every backend."""
    from conftest import BACKENDS

    rng = np.random.default_rng(16)
    M = rng.normal(size=(4, 16))
    M[:, ::3] = np.round(M[:, ::3] * 2) / 2
    top = float(M.max(axis=0).sum())
    floor, ceiling = top - 4.0, top - 3.0
    ref = TailTable.first_fit(M, floor, BG, [(np.inf, 1 << 10), (ceiling, 1 << 20)], backend="numba")
    assert ref[0] == 1 and len(ref[1]) > 200_000
    for backend in BACKENDS:
        i, table = TailTable.first_fit(M, floor, BG, [(np.inf, 1 << 10), (ceiling, 1 << 20)], backend=backend)
        assert i == 1
        assert table.scores.tobytes() == ref[1].scores.tobytes(), backend
        assert table.tail.tobytes() == ref[1].tail.tobytes(), backend
