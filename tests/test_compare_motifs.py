"""Motif comparison with Tomtom's statistics: against a literal reference, across backends and
threads, against MEME's own tomtom when it is installed, and on what users give it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import exactpwm
import numpy as np
import pytest
from conftest import BACKENDS
from exactpwm import Motif, MotifSet
from exactpwm.interpret.tomtom import compare_motifs, storey_qvalues, tomtom
from tomtom_reference import tomtom_pvalues


def random_motifs(rng, n, widths=(5, 12), prefix="m", sharp=0.3):
    out = []
    for i in range(n):
        w = int(rng.integers(*widths))
        out.append(Motif(f"{prefix}{i}", rng.dirichlet(np.full(4, sharp), size=w).T, nsites=20))
    return MotifSet(out)


@pytest.fixture(scope="module")
def db():
    rng = np.random.default_rng(7)
    return random_motifs(rng, 40, (5, 16), prefix="t")


@pytest.mark.parametrize("dist", ["ed", "pearson", "sandelin"])
def test_pvalues_offsets_and_overlaps_match_the_literal_reference(db, dist):
    rng = np.random.default_rng(1)
    queries = MotifSet([random_motifs(rng, 1, (6, 9), "q")[0], db[3]])  # a random query and a database member
    res = tomtom(queries, db, dist=dist, pseudocount=0.0)
    entries = [m for t in db for m in (t.pwm.T, t.pwm[::-1, ::-1].T)]
    for qi, q in enumerate(queries):
        ref = tomtom_pvalues(q.pwm.T, entries, dist)
        rows = res.rows[res.rows["query"] == qi]
        for r in rows:
            e = 2 * int(r["target"]) + (r["strand"] == b"-")
            p, off, ov = ref[e]
            assert r["pvalue"] == pytest.approx(p, rel=1e-5, abs=1e-300)
            assert (r["offset"], r["overlap"]) == (off, ov)
            other = ref[e ^ 1][0]
            assert p <= other  # the better orientation is the one reported


@pytest.mark.parametrize("dist", ["ed", "pearson", "sandelin"])
@pytest.mark.parametrize("alpha", [0.3, 200.0])
def test_scores_in_a_wide_or_a_narrow_range_match_the_literal_reference(dist, alpha):
    """The exact median selects from buckets over each row's range of scores: scores spread wide
    (alpha=0.3) or packed in a narrow range (near-uniform columns, alpha=200) give every backend the
    reference's numbers."""
    rng = np.random.default_rng(13)
    targets = MotifSet([Motif(f"t{i}", rng.dirichlet(np.full(4, alpha), size=int(w)).T, nsites=20)
                        for i, w in enumerate(rng.integers(5, 12, size=12))])
    query = Motif("q", rng.dirichlet(np.full(4, alpha), size=8).T, nsites=20)
    entries = [m for t in targets for m in (t.pwm.T, t.pwm[::-1, ::-1].T)]
    ref = tomtom_pvalues(query.pwm.T, entries, dist)
    for backend in BACKENDS:
        res = tomtom(MotifSet([query]), targets, dist=dist, pseudocount=0.0, backend=backend)
        for r in res.rows:
            p, off, ov = ref[2 * int(r["target"]) + (r["strand"] == b"-")]
            assert r["pvalue"] == pytest.approx(p, rel=1e-5, abs=1e-300), backend
            assert (r["offset"], r["overlap"]) == (off, ov), backend


@pytest.mark.parametrize("min_overlap", [2, 5])
def test_min_overlap_and_mixed_target_widths_match_the_literal_reference(db, min_overlap):
    """The engine orders the targets by width and tries each offset on all targets of a width at
    once: targets whose widths alternate (3 to 15, narrower and wider than the query) give the
    reference's p-value, offset and overlap for each, in their own order."""
    rng = np.random.default_rng(11)
    targets = MotifSet([random_motifs(rng, 1, (w, w + 1), f"w{i}_")[0] for i, w in
                        enumerate([9, 3, 15, 6, 9, 12, 3, 7, 15, 4])])
    query = random_motifs(rng, 1, (8, 9), "q")[0]
    res = tomtom(MotifSet([query]), targets, dist="ed", pseudocount=0.0, min_overlap=min_overlap)
    entries = [m for t in targets for m in (t.pwm.T, t.pwm[::-1, ::-1].T)]
    ref = tomtom_pvalues(query.pwm.T, entries, "ed", min_overlap=min_overlap)
    for r in res.rows:
        p, off, ov = ref[2 * int(r["target"]) + (r["strand"] == b"-")]
        assert r["pvalue"] == pytest.approx(p, rel=1e-5, abs=1e-300)
        assert (r["offset"], r["overlap"]) == (off, ov)


def test_motifs_prepared_all_at_once_are_each_motifs_probabilities():
    """A database is given its pseudocount in one array operation: each motif's columns are still
    Motif.probabilities (read as counts of its own sites), bit for bit; a motif with counts, or a bad
    one, is prepared alone (and named)."""
    from exactpwm.core.matrices import as_background
    from exactpwm.interpret.tomtom import _prepare

    rng = np.random.default_rng(5)
    ms = MotifSet([Motif(f"m{i}", rng.dirichlet(np.ones(4), size=w).T, nsites=n)
                   for i, (w, n) in enumerate([(6, None), (9, 5.7), (4, 30), (12, 0.5)])])
    bg = as_background([0.3, 0.2, 0.2, 0.3])
    for a in (0.0, 0.1, 1.0):
        got = _prepare(ms, "query", a, bg)
        assert [g.tobytes() for g in got] == [np.ascontiguousarray(m.probabilities(a, bg).T).tobytes() for m in ms]
    with_counts = MotifSet(list(ms) + [Motif("c", np.array([[.75, 0], [.25, 1], [0, 0], [0, 0]]),
                                                     counts=np.array([[3.0, 0], [1, 4], [0, 0], [0, 0]]))])
    got = _prepare(with_counts, "query", 0.1, bg)
    assert got[-1].tobytes() == np.ascontiguousarray(with_counts[4].probabilities(0.1, bg).T).tobytes()
    bad = MotifSet(list(ms) + [Motif("narrow", np.full((4, 1), 0.25))])
    with pytest.raises(ValueError, match="'narrow' has width 1"):
        _prepare(bad, "query", 0.1, bg)


def test_a_database_member_matches_itself_best(db):
    res = tomtom(MotifSet([db[5]]), db)
    best = res.best().rows[0]
    assert res.target_names[best["target"]] == db[5].name and best["offset"] == 0 and best["strand"] == b"+"
    assert best["evalue"] == pytest.approx(best["pvalue"] * len(db))


@pytest.mark.slow
def test_backends_and_threads_give_the_same_table(db):
    rng = np.random.default_rng(2)
    queries = random_motifs(rng, 6, (4, 15), "q")
    first = tomtom(queries, db, backend="numba", threads=1).rows
    for backend in BACKENDS:
        for threads in (1, 2, 0):
            rows = tomtom(queries, db, backend=backend, threads=threads).rows
            np.testing.assert_array_equal(rows[["query", "target", "offset", "overlap", "strand"]],
                                          first[["query", "target", "offset", "overlap", "strand"]])
            np.testing.assert_allclose(rows["pvalue"], first["pvalue"], rtol=1e-6)


@pytest.mark.parametrize("dist", ["ed", "pearson", "sandelin", "allr"])
def test_every_instruction_set_gives_the_same_bits(db, dist):
    """The comparison compiled per instruction set (scalar, AVX2, AVX-512; no contraction into FMA,
    as MEME's build has none): the same table, bit for bit."""
    cpp = [b for b in BACKENDS if b.startswith("cpp-")]
    if len(cpp) < 2:
        pytest.skip("one instruction set on this machine")
    queries = random_motifs(np.random.default_rng(9), 8, (4, 15), "q")
    first = tomtom(queries, db, dist=dist, backend=cpp[0]).rows.tobytes()
    for backend in cpp[1:]:
        assert tomtom(queries, db, dist=dist, backend=backend).rows.tobytes() == first, backend


@pytest.mark.parametrize("alpha", [0.05, 0.3, 200.0])
def test_eds_grid_values_from_estimates_are_the_square_roots_bit_for_bit(alpha):
    """The AVX-512 build puts ed's scores -sqrt(s) on the grid from estimates of the square root,
    made exact where one lies near a grid step (the faster way on CPUs with a slow square root):
    the same matrices, bit for bit, as a square root per value, with targets that hold the queries'
    own columns (s = 0), sharp columns (alpha=0.05: scores spread wide, many near-zero
    probabilities) and near-uniform ones (alpha=200: packed in a narrow range)."""
    if "cpp-avx512" not in BACKENDS:
        pytest.skip("no AVX-512 on this machine")
    from exactpwm import _core

    rng = np.random.default_rng(21)
    targets = MotifSet([Motif(f"t{i}", rng.dirichlet(np.full(4, alpha), size=int(w)).T, nsites=20)
                        for i, w in enumerate(rng.integers(4, 16, size=500))])  # rows of about 9,500
    queries = MotifSet([*random_motifs(rng, 6, (3, 14), "q", sharp=alpha), targets[0], targets[7]])
    got = {}
    try:
        for mode in (1, 2):
            _core.tomtom_ed_grid(mode)
            m = tomtom(queries, targets, dist="ed", backend="cpp-avx512", matrices=True)
            got[mode] = m.pvalue.tobytes() + m.offset.tobytes() + m.overlap.tobytes() + m.strand.tobytes()
    finally:
        _core.tomtom_ed_grid(0)
    assert got[1] == got[2]


@pytest.mark.parametrize("dist", ["ed", "pearson"])
@pytest.mark.parametrize("kind", ["random", "sample unlike the rest"])
def test_medians_from_a_samples_window_are_the_bucket_counts_bit_for_bit(dist, kind):
    """The AVX-512 build takes each row's median from a window that every 16th score bounds (the
    rows of 8,192 scores or more), and counts every score in buckets where the window misses the
    median's ranks. Targets of width 16 whose first and last columns are alike and unlike the rest
    put every sampled score far from the median, so that most windows miss; random targets, so
    that they hold it. Both give the AVX2 build's matrices, bit for bit."""
    if not {"cpp-avx512", "cpp-avx2"} <= set(BACKENDS):
        pytest.skip("no AVX-512 on this machine")
    rng = np.random.default_rng(5)
    motifs = []
    for i in range(600):
        p = rng.dirichlet(np.full(4, 5.0 if kind != "random" else 0.5), size=16 if kind != "random" else 12)
        if kind != "random":
            p[0] = p[-1] = [0.97, 0.01, 0.01, 0.01]
        motifs.append(Motif(f"t{i}", p.T, nsites=20))
    targets = MotifSet(motifs)
    queries = random_motifs(rng, 3, (6, 10), "q", sharp=1.0)
    got = [tomtom(queries, targets, dist=dist, backend=b, matrices=True) for b in ("cpp-avx512", "cpp-avx2")]
    assert got[0].pvalue.tobytes() == got[1].pvalue.tobytes()
    np.testing.assert_array_equal(got[0].offset, got[1].offset)
    np.testing.assert_array_equal(got[0].overlap, got[1].overlap)


@pytest.mark.parametrize("dist", ["ed", "sandelin", "pearson"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_database_column_that_is_not_finite_gives_nan_pvalues_on_every_backend(dist, bad):
    """The engine's own check (the API refuses such motifs before): a NaN or infinite database
    column makes the query's column scores not finite, so every p-value is NaN, on every backend
    (the AVX-512 ed loop leaves out its finiteness sum where every column is finite)."""
    from exactpwm._engine import engine
    from exactpwm.interpret.tomtom import DISTANCES

    rng = np.random.default_rng(2)
    db_cols = rng.dirichlet(np.ones(4), size=40)
    db_cols[17, 2] = bad
    q = rng.dirichlet(np.ones(4), size=6)
    for backend in BACKENDS:  # four width-10 entries, one orientation
        pv = np.zeros((1, 4))
        off, ov = np.zeros((1, 4), np.int64), np.zeros((1, 4), np.int64)
        engine(backend).tomtom_compare(q, np.array([0, 6], np.int64), np.array([20.0]), db_cols, np.full(40, 20.0),
                                       np.array([0, 10, 20, 30, 40], np.int64), np.zeros(4, np.int64),
                                       np.array([10], np.int64), DISTANCES.index(dist), np.full(4, 0.25), 1, 1,
                                       pv, off, ov, 1)
        assert np.isnan(pv).all(), backend


def test_scores_spread_over_a_wide_grid_give_every_backend_the_same_table():
    """The engine counts grid values in pairs when a column's values span at most 128 grid values,
    and one at a time beyond (here: allr scores of near-zero probabilities spread over hundreds of
    grid values, as Tomtom's scale is then 1): the same table as the numba backend's either way."""
    rng = np.random.default_rng(4)

    def sparse(n, prefix):
        out = []
        for i in range(n):
            p = rng.dirichlet(np.full(4, 0.3), size=int(rng.integers(5, 12)))
            p[p < 1e-3] = 1e-200
            out.append(Motif(f"{prefix}{i}", (p / p.sum(1, keepdims=True)).T, nsites=20))
        return MotifSet(out)

    queries, targets = sparse(4, "q"), sparse(30, "t")
    first = tomtom(queries, targets, dist="allr", pseudocount=0.0, backend="numba").rows
    for backend in BACKENDS:
        rows = tomtom(queries, targets, dist="allr", pseudocount=0.0, backend=backend).rows
        np.testing.assert_array_equal(rows[["query", "target", "offset", "overlap", "strand"]],
                                      first[["query", "target", "offset", "overlap", "strand"]])
        np.testing.assert_allclose(rows["pvalue"], first["pvalue"], rtol=1e-6)
        assert np.isfinite(rows["pvalue"]).all()


def test_a_database_of_over_a_quarter_million_columns_gives_every_backend_the_same_table():
    """Counts per bucket and per grid value over 286,000 database columns (11,000 width-13 motifs in
    both orientations), most of them one column: one bucket holds more than 16-bit counters could
    count in any of the engine's partial counts."""
    rng = np.random.default_rng(8)
    probs = rng.dirichlet(np.full(4, 0.5), size=(11_000, 13))
    probs[100:] = [0.1, 0.4, 0.4, 0.1]  # (its own reverse complement)
    targets = MotifSet([Motif(f"t{i}", p.T, nsites=20) for i, p in enumerate(probs)])
    queries = random_motifs(rng, 2, (6, 10), "q")
    first = tomtom(queries, targets, dist="ed", backend="numba", matrices=True)
    for backend in BACKENDS:
        got = tomtom(queries, targets, dist="ed", backend=backend, matrices=True)
        np.testing.assert_array_equal(got.offset, first.offset)
        np.testing.assert_array_equal(got.strand, first.strand)
        np.testing.assert_allclose(got.pvalue, first.pvalue, rtol=1e-6)


def test_rows_are_sorted_per_query_and_q_values_are_monotone(db):
    rng = np.random.default_rng(3)
    res = tomtom(random_motifs(rng, 3, (6, 10), "q"), db)
    for q in range(3):
        rows = res.rows[res.rows["query"] == q]
        assert rows.size == len(db) and np.unique(rows["target"]).size == len(db)
        assert (np.diff(rows["pvalue"]) >= 0).all() and (np.diff(rows["qvalue"]) >= -1e-15).all()
        assert (rows["qvalue"] >= 0).all() and (rows["qvalue"] <= 1).all()


def test_storey_q_values():
    p = np.sort(np.random.default_rng(0).random(500))
    q = storey_qvalues(p)
    assert (np.diff(q) >= -1e-15).all() and (q >= p).all() is not None
    # uniform p-values: pi0 near 1, so q ~ Benjamini-Hochberg
    bh = np.minimum.accumulate((p * 500 / np.arange(1, 501))[::-1])[::-1]
    np.testing.assert_allclose(q, np.minimum(bh, 1), rtol=0.15)
    np.testing.assert_array_equal(storey_qvalues(p[:50]), np.minimum(np.minimum.accumulate(
        (p[:50] * np.float32(50) / np.arange(1, 51))[::-1])[::-1], 1.0))


def test_inputs_users_give(tmp_path, db):
    path = tmp_path / "db.meme"
    exactpwm.write_motifs(db, path)
    frame = compare_motifs(db[0].pwm, path, as_frame=False)  # an array query, a file of targets
    assert frame.target_names[frame.best().rows[0]["target"]] == db[0].name
    np.save(tmp_path / "k.npy", exactpwm.pwm_to_kernel(db[0].pwm, 2.0)[0][None])
    res = compare_motifs(tmp_path / "k.npy", path, base=2.0, as_frame=False)
    assert res.target_names[res.best().rows[0]["target"]] == db[0].name
    pd = pytest.importorskip("pandas")
    df = compare_motifs(db[0].pwm, path, threshold=0.5)
    assert isinstance(df, pd.DataFrame) and list(df.columns)[:3] == ["Query_ID", "Target_ID", "Optimal_offset"]


@pytest.mark.parametrize("make, message", [
    (lambda db: (db, MotifSet([])), "no target motifs"),
    (lambda db: (MotifSet([Motif("one", np.full((4, 1), 0.25))]), db), "width 1"),
    (lambda db: (np.full((4, 3), np.nan), db), "non-finite"),
    (lambda db: (np.zeros((4, 3)), db), "sums to 0"),
])
def test_bad_input_is_named(db, make, message):
    q, t = make(db)
    with pytest.raises(ValueError, match=message):
        compare_motifs(q, t)


def test_a_kernel_file_needs_a_base(tmp_path, db):
    np.save(tmp_path / "k.npy", np.zeros((1, 4, 5)))
    with pytest.raises(ValueError, match="give base="):
        compare_motifs(tmp_path / "k.npy", db)


def test_a_query_wider_than_every_target_warns(db):
    wide = MotifSet([Motif("wide", np.random.default_rng(0).dirichlet(np.ones(4), size=30).T)])
    with pytest.warns(UserWarning, match="wider than every target"):
        tomtom(wide, db)


@pytest.mark.slow
def test_the_cli_writes_tomtoms_tsv(tmp_path, db):
    path = tmp_path / "db.meme"
    exactpwm.write_motifs(db, path)
    exactpwm.write_motifs(MotifSet([db[2], db[9]]), tmp_path / "q.meme")
    out = tmp_path / "m.tsv"
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "compare", str(tmp_path / "q.meme"), str(path),
                          "-o", str(out), "--evalue", "--thresh", "10"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = out.read_text().splitlines()
    assert lines[0].split("\t") == ["Query_ID", "Target_ID", "Optimal_offset", "p-value", "E-value", "q-value",
                                    "Overlap", "Query_consensus", "Target_consensus", "Orientation"]
    first = lines[1].split("\t")
    assert first[0] == first[1] == db[2].name and first[9] == "+"
    bad = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "compare", str(tmp_path / "q.meme"),
                          str(tmp_path / "missing.meme")], capture_output=True, text=True)
    assert bad.returncode in (1, 2) and "Traceback" not in bad.stderr and "missing.meme" in bad.stderr


TOMTOM = os.environ.get("EXACTPWM_TOMTOM") or shutil.which("tomtom")


@pytest.mark.skipif(not TOMTOM, reason="MEME's tomtom is not installed (set EXACTPWM_TOMTOM)")
def test_agrees_with_memes_tomtom(tmp_path, db):
    import pandas as pd

    rng = np.random.default_rng(11)
    queries = random_motifs(rng, 8, (5, 14), "q")
    exactpwm.write_motifs(queries, tmp_path / "q.meme")
    exactpwm.write_motifs(db, tmp_path / "db.meme")
    from io import StringIO

    for dist in ("pearson", "ed"):
        run = subprocess.run([TOMTOM, "-no-ssc", "-text", "-thresh", "1", "-verbosity", "1", "-dist", dist,
                              str(tmp_path / "q.meme"), str(tmp_path / "db.meme")], capture_output=True, text=True,
                             check=True)
        meme = pd.read_csv(StringIO(run.stdout), sep="\t", comment="#")
        ours = compare_motifs(tmp_path / "q.meme", tmp_path / "db.meme", dist=dist)
        j = meme.merge(ours, on=["Query_ID", "Target_ID"], suffixes=("_meme", "_ours"))
        assert len(j) == len(meme) == 8 * len(db)
        # MEME prints p with 6 significant digits: agreement to its rounding
        np.testing.assert_allclose(j["p-value_ours"], j["p-value_meme"], rtol=6e-6)
        assert (j["Optimal_offset_ours"] == j["Optimal_offset_meme"]).all()
        assert (j["Orientation_ours"] == j["Orientation_meme"]).all()


def test_jaspar_pairs_at_a_rounding_edge_match_memes_printed_p_values(tmp_path):
    """All of JASPAR 2024 CORE written to a MEME file and read back, as Tomtom reads it: probabilities
    kept as printed (a column summing to 1 within 1e-5 is not divided by its sum) and the pseudocount
    on the whole site count. Before, dividing every column by its float sum moved one column score of
    MA1412.2 x MA1359.3 across a rounding edge of the 100-bin grid: 1.0583e-4 against MEME's 1.24383e-4.
    The expected values are MEME 5.4.1's output (tomtom -dist ed -no-ssc -thresh 1)."""
    pytest.importorskip("pyjaspar")
    exactpwm.write_motifs(exactpwm.load_jaspar(tax_group=None), tmp_path / "all.meme")
    db = exactpwm.read_motifs(tmp_path / "all.meme")
    rows = tomtom(db.select(["MA1412.2", "MA1661.2"]), db, dist="ed").rows
    got = {(q, db.names[t]): p for q, t, p in zip(rows["query"], rows["target"], rows["pvalue"])}
    for (q, t), meme in {(0, "MA1359.3"): 1.24383e-4, (0, "MA2240.1"): 1.05822e-4,
                         (1, "MA1661.2"): 6.02087e-29}.items():
        assert got[q, t] == pytest.approx(meme, rel=6e-6), (q, t)


@pytest.mark.slow
def test_a_planted_ctcf_kernel_is_named_ctcf_against_all_of_jaspar(tmp_path):
    """A 25-column kernel holding CTCF's log-odds between noise columns, converted exactly: its
    best JASPAR match is a CTCF matrix with E <= 1e-3; a pure-noise kernel matches nothing."""
    pytest.importorskip("pyjaspar")
    jaspar = exactpwm.load_jaspar()
    ctcf = exactpwm.load_jaspar(["MA0139.1"])[0].probabilities(0.5)
    rng = np.random.default_rng(5)
    core, _ = exactpwm.pwm_to_kernel(ctcf, 2.0)
    kernel = rng.normal(0, 0.15, size=(2, 4, 25))
    kernel[0, :, 3:3 + core.shape[1]] += core
    np.save(tmp_path / "k.npy", kernel)
    best = compare_motifs(tmp_path / "k.npy", jaspar, base=2.0, as_frame=False).best()
    ctcf_row = best.rows[best.rows["query"] == 0][0]
    assert "CTCF" in jaspar[int(ctcf_row["target"])].alt_name.upper() and ctcf_row["evalue"] <= 1e-3
    noise_row = best.rows[best.rows["query"] == 1][0]
    assert noise_row["evalue"] > 0.1


def test_convert_match_names_kernels(tmp_path, db):
    exactpwm.write_motifs(db, tmp_path / "db.meme")
    kernels = np.stack([exactpwm.pwm_to_kernel(db[4].probabilities(0.5), 2.0)[0],
                        np.random.default_rng(0).normal(0, 0.1, size=(4, db[4].width))])
    np.save(tmp_path / "k.npy", kernels)
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "convert", str(tmp_path / "k.npy"), "--base", "2",
                          "--match", str(tmp_path / "db.meme"), "-o", str(tmp_path / "out.meme")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f"= {db[4].name}" in run.stdout and "base b = 2" in run.stderr
    out = exactpwm.read_motifs(tmp_path / "out.meme")
    assert out[0].alt_name == db[4].name and out[1].alt_name == ""


def _literal_rows(pvalue, offset, overlap, norient, names):
    """Tomtom's table the slow way: per query, every entry sorted by (p, larger overlap, '+' first,
    target name), q-values over that order, then each target's first entry."""
    Q, E = pvalue.shape
    rank = {n: i for i, n in enumerate(sorted(names))}
    out = []
    for q in range(Q):
        order = sorted(range(E), key=lambda e: (pvalue[q, e], -overlap[q, e], e % norient, rank[names[e // norient]]))
        qv = storey_qvalues(pvalue[q, order])
        seen = set()
        for e, v in zip(order, qv):
            if e // norient not in seen:
                seen.add(e // norient)
                out.append((q, e // norient, offset[q, e], pvalue[q, e], v, overlap[q, e], "-+"[e % norient == 0]))
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("norient, float32", [(2, True), (1, True), (2, False)])
def test_the_table_orders_ties_as_tomtom_does(norient, float32, backend):
    """Heavy ties of p (and of p and overlap between a target's orientations), names out of order:
    the engine's table (numba backend: numpy's packed-key sort, or its lexsort when p is not a
    float32) equals the literal one, q-values included."""
    from exactpwm.interpret.tomtom import _name_rank, _rows

    rng = np.random.default_rng(4)
    T, Q = 130, 3
    names = [f"t{int(i)}" for i in rng.permutation(T)]
    E = T * norient
    pvalue = rng.choice(np.float32([1e-6, 0.01, 0.2, 0.5, 1.0]), size=(Q, E)).astype(np.float64)
    if not float32:
        pvalue = pvalue * (1 + 1e-12)
    pvalue[0, 0] = -0.0  # a p of exactly 0, as -expm1(0) gives
    overlap = rng.integers(3, 6, size=(Q, E))
    offset = rng.integers(-5, 5, size=(Q, E))
    rows = _rows(pvalue, offset, overlap, norient, _name_rank(names), backend=backend)
    ref = _literal_rows(pvalue + 0.0, offset, overlap, norient, names)
    got = [(r["query"], r["target"], r["offset"], r["pvalue"], r["qvalue"], r["overlap"], r["strand"].decode())
           for r in rows]
    assert [g[:4] + g[5:] for g in got] == [r[:4] + r[5:] for r in ref]
    assert [g[4] for g in got] == [r[4] for r in ref]
    assert (rows["evalue"] == rows["pvalue"] * T).all()
    # a block of queries further down the table: the same rows, numbered from first_query
    later = _rows(pvalue[1:], offset[1:], overlap[1:], norient, _name_rank(names), backend=backend, first_query=1)
    assert later.tobytes() == rows[T:].tobytes()


@pytest.mark.parametrize("backend", BACKENDS)
def test_queries_compared_in_blocks_give_the_one_block_table(db, backend, monkeypatch):
    """tomtom() compares the queries block by block (each block's engine results then its rows):
    blocks of one or three queries give the table of one block, byte for byte."""
    from exactpwm.interpret import tomtom as tt

    queries = db.select(db.names[:7])
    whole = tomtom(queries, db, backend=backend).rows
    for queries_per_block in (1, 3):
        E = 2 * len(db)
        monkeypatch.setattr(tt, "_BLOCK_BYTES", 24 * E * queries_per_block)
        assert tomtom(queries, db, backend=backend, threads=1).rows.tobytes() == whole.tobytes()


@pytest.mark.slow
def test_all_against_all_reads_the_motifs_once_and_equals_two_copies(tmp_path, db):
    path, copy = tmp_path / "db.meme", tmp_path / "copy.meme"
    exactpwm.write_motifs(db, path)
    exactpwm.write_motifs(db, copy)
    outs = []
    for targets in (path, copy):
        out = tmp_path / f"{targets.stem}.tsv"
        run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "compare", str(path), str(targets), "-o",
                              str(out), "--thresh", "1"], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert ("all against all" in run.stderr) == (targets == path)
        outs.append([line for line in out.read_text().splitlines() if not line.startswith("# exactpwm ")])
    assert outs[0] == outs[1] and len(outs[0]) > len(db) ** 2


def test_the_tsv_holds_each_record_as_tomtom_prints_it(tmp_path, db):
    """write_tsv (whole columns at once) prints every record as Tomtom does: %g of the float32
    p-, E- and q-values, the consensus of the reported orientation."""
    res = tomtom(random_motifs(np.random.default_rng(8), 3, (5, 9), "q"), db)
    path = tmp_path / "t.tsv"
    res.write_tsv(path)
    body = path.read_text().split("\n\n#")[0].splitlines()[1:]
    expected = ["\t".join(str(x) if i not in (3, 4, 5) else f"{float(np.float32(x)):g}" for i, x in enumerate(r))
                for r in res.records()]
    assert body == expected and len(body) == 3 * len(db)


@pytest.mark.parametrize("backend", BACKENDS)
def test_blocks_of_queries_give_the_table_of_one_block(db, backend, monkeypatch):
    """The engine keeps its scratch from one block of queries to the next (released at the end):
    queries of every width in blocks of one or two give the same bytes as one block, on every
    backend and thread count."""
    from exactpwm.interpret import tomtom as module

    queries = random_motifs(np.random.default_rng(12), 7, (3, 16), "q")
    whole = tomtom(queries, db, backend=backend).rows.tobytes()
    monkeypatch.setattr(module, "_BLOCK_BYTES", 1)  # one query per block (at least the thread count)
    for threads in (1, 2):
        assert tomtom(queries, db, backend=backend, threads=threads).rows.tobytes() == whole


def test_a_comparison_that_cannot_be_allocated_raises_memory_error_not_abort():
    """Scratch that cannot be allocated inside the engine's parallel region (a wide query against a
    database of a million columns under an address-space limit) is a MemoryError in Python, not an
    abort: no exception may leave an OpenMP region."""
    from conftest import assert_memory_error_under_limit

    setup = ("import numpy as np\n"
             "from exactpwm._engine import engine\n"
             "rng = np.random.default_rng(0)\n"
             "n, w = 50000, 20\n"
             "db = rng.dirichlet(np.ones(4), size=n * w)\n"
             "pv, off, ov = np.empty((1, n)), np.empty((1, n), np.int64), np.empty((1, n), np.int64)\n"
             "args = (rng.dirichlet(np.ones(4), size=30), np.array([0, 30]), np.array([20.0]), db,\n"
             "        np.full(n * w, 20.0), np.arange(0, n * w + 1, w), np.zeros(n, np.int64), np.array([w]), 0,\n"
             "        np.full(4, 0.25), 1, 1, pv, off, ov, 2)")
    assert_memory_error_under_limit(setup, 'engine("cpp").tomtom_compare(*args)', 150)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("strand", ["both", "+"])
def test_matrices_hold_the_tables_numbers_for_every_pair(db, backend, strand, monkeypatch):
    """tomtom(..., matrices=True): (Q, T) arrays of each target's better orientation, the table's
    p-value, offset, overlap and strand for every pair (the table made in blocks of four queries,
    the matrices in one call); E = p x T."""
    from exactpwm.interpret import tomtom as tt

    queries = db.select(db.names[:9])
    monkeypatch.setattr(tt, "_BLOCK_BYTES", 24 * 2 * len(db) * 4)  # blocks of four queries
    table = tomtom(queries, db, dist="ed", strand=strand, backend=backend).rows
    m = tomtom(queries, db, dist="ed", strand=strand, backend=backend, matrices=True)
    assert isinstance(m, tt.TomtomMatrices)
    assert m.pvalue.shape == m.offset.shape == m.overlap.shape == m.strand.shape == (9, len(db))
    q, t = table["query"], table["target"]
    assert (m.pvalue[q, t] == table["pvalue"]).all()
    assert (m.offset[q, t] == table["offset"]).all()
    assert (m.overlap[q, t] == table["overlap"]).all()
    assert (m.strand[q, t] == table["strand"]).all()
    assert (m.evalue == m.pvalue * len(db)).all()
    assert m.query_names == list(queries.names) and m.target_names == list(db.names)
    if strand == "+":
        assert (m.strand == b"+").all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_better_orientation_ties_as_the_table_does(backend):
    """Each backend's tomtom_matrices picks a target's orientation as Tomtom's table does: the
    smaller p, then the larger overlap, then '+' (equal p and overlap)."""
    from exactpwm._engine import engine

    pv = np.array([[0.1, 0.2, 0.3, 0.3, 0.5, 0.5, 0.7, 0.6]])
    ov = np.array([[4, 9, 5, 6, 7, 7, 3, 2]])
    off = np.arange(8).reshape(1, 8) - 3
    out = np.empty((1, 4)), np.empty((1, 4), np.int64), np.empty((1, 4), np.int64), np.empty((1, 4), "S1")
    engine(backend).tomtom_matrices(pv, off, ov, 2, *out, 1)
    assert out[0].tolist() == [[0.1, 0.3, 0.5, 0.6]]
    assert out[1].tolist() == [[-3, 0, 1, 4]]
    assert out[2].tolist() == [[4, 6, 7, 2]]
    assert out[3].tolist() == [[b"+", b"-", b"+", b"-"]]


def test_compare_motifs_gives_matrices_and_refuses_table_options(db):
    m = compare_motifs(db, db, dist="ed", matrices=True)
    assert m.pvalue.shape == (len(db), len(db))
    assert (np.argmin(m.pvalue, axis=1) == np.arange(len(db))).all()  # each motif's best match is itself
    with pytest.raises(ValueError, match="threshold= and as_frame= apply to the table only"):
        compare_motifs(db, db, matrices=True, threshold=0.5)


@pytest.mark.parametrize("by, threshold", [("qvalue", 0.5), ("evalue", 1.0), ("pvalue", 1e-3), ("qvalue", 0.0)])
def test_a_threshold_keeps_the_significant_rows_block_by_block(db, by, threshold, monkeypatch):
    """tomtom(threshold=, by=) keeps, block by block, exactly the rows TomtomResult.significant keeps."""
    from exactpwm.interpret import tomtom as tt

    whole = tomtom(db, db, dist="ed").significant(threshold, by).rows
    monkeypatch.setattr(tt, "_BLOCK_BYTES", 24 * 2 * len(db) * 3)  # blocks of three queries
    kept = tomtom(db, db, dist="ed", threshold=threshold, by=by).rows
    assert kept.tobytes() == whole.tobytes()
    with pytest.raises(ValueError, match="by must be"):
        tomtom(db, db, threshold=0.5, by="score")
    with pytest.raises(ValueError, match="threshold= applies to the table"):
        tomtom(db, db, threshold=0.5, matrices=True)


def test_the_compiled_tsv_writer_prints_what_python_prints(tmp_path, db):
    """TomtomResult.write_tsv: the compiled core's lines equal the Python reference byte for byte,
    with p-values at float32's edges (0, subnormal, tiny, 1) and names with spaces."""
    from exactpwm.interpret.tomtom import TomtomResult

    result = tomtom(db, db, dist="ed")
    rows = result.rows.copy()
    rows["pvalue"][:6] = [0.0, 1e-45, 3e-41, 1.2345678e-30, 0.999999999, 1.0]
    rows["evalue"][:6] = rows["pvalue"][:6] * len(db)
    rows["qvalue"][:3] = [0.0, 5e-324, 0.5]
    names = [f"motif {i}.{'x' * (i % 3)}" for i in range(len(db))]
    edited = TomtomResult(rows, names, names, result.query_consensus, result.target_consensus)
    paths = {}
    for backend in ("cpp", "numba"):
        paths[backend] = tmp_path / f"{backend}.tsv"
        edited.write_tsv(paths[backend], command="compare a b", backend=backend)
    assert paths["cpp"].read_bytes() == paths["numba"].read_bytes()
    lines = paths["cpp"].read_text().splitlines()
    assert lines[1] == edited.format_python().splitlines()[0]
    assert len(lines) == 1 + len(rows) + 3  # a blank line and two comment lines after the rows
    # rows with other field types (made by hand, say) are written by Python, the same lines
    narrow = rows.astype([("query", np.int32), ("target", np.int32), ("offset", np.int32), ("pvalue", np.float64),
                          ("evalue", np.float64), ("qvalue", np.float64), ("overlap", np.int32), ("strand", "S1")])
    other = TomtomResult(narrow, names, names, result.query_consensus, result.target_consensus)
    other.write_tsv(tmp_path / "narrow.tsv", command="compare a b")
    assert (tmp_path / "narrow.tsv").read_bytes() == paths["cpp"].read_bytes()


def test_the_compiled_tsv_writer_refuses_rows_outside_the_names(db):
    from exactpwm._engine import engine

    result = tomtom(db.select(db.names[:2]), db, dist="ed")
    rows = result.rows.copy()
    rows["target"][0] = len(db)
    with pytest.raises(ValueError, match="out of range"):
        engine("cpp").format_tomtom(rows, result.query_names, result.target_names, result.query_consensus,
                                    result.target_consensus, 1)
