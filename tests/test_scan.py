"""scan(): hits equal a brute-force float reference; independent of threads, backends, chunking."""

import exactpwm
import numpy as np
import pytest
from conftest import BACKENDS
from exactpwm.core.pvalues import ScoreDistribution
from motifs import jaspar_pwm
from reference import scan_hits

# motifs that can never reach the threshold are part of these inputs
pytestmark = pytest.mark.filterwarnings("ignore::exactpwm.scanning.plan.ScanWarning")


def as_rows(table):
    r = table.rows
    return [(int(a), int(b), 1 if c == b"+" else -1, int(d), float(e))
            for a, b, c, d, e in zip(r["sequence"], r["start"], r["strand"], r["motif"], r["score"])]


def assert_same_hits(a, b):
    """Field by field (a structured array's NaN q-values never compare equal as records)."""
    assert a.dtype == b.dtype and a.shape == b.shape
    for field in a.dtype.names:
        np.testing.assert_array_equal(a[field], b[field])


def random_pwms(rng, widths):
    return [rng.dirichlet(np.full(4, 0.5), size=w).T + 0.0 for w in widths]


@pytest.fixture
def data():
    rng = np.random.default_rng(42)
    pwms = random_pwms(rng, [1, 3, 8, 8, 12, 40]) + [jaspar_pwm()]
    pwms = [(p + 0.01) / (p + 0.01).sum(axis=0) for p in pwms]
    seqs = [rng.integers(0, 4, size=n).astype(np.uint8) for n in (0, 2, 39, 41, 500, 3000)]
    seqs[4][100:130] = 4          # an N run
    seqs.append(np.full(60, 4, np.uint8))  # all N
    return pwms, seqs


@pytest.mark.parametrize("strand", ["both", "+", "-"])
def test_score_threshold_hits_equal_reference(data, strand):
    pwms, seqs = data
    mats = exactpwm.score_matrices(pwms, step=None)  # score thresholds: float64 scores by default
    thr = [m.max(axis=0).sum() * 0.6 for m in mats]
    table = exactpwm.scan(pwms, seqs, score=thr, strand=strand)
    expected = scan_hits(mats, seqs, thr, strand)
    assert len(expected) > 50
    got = as_rows(table)
    assert [r[:4] for r in got] == [r[:4] for r in expected]  # the same windows; scores to float64 rounding
    np.testing.assert_allclose([r[4] for r in got], [r[4] for r in expected], rtol=1e-12)
    # the grid, on request, as before: hits of the quantized matrices
    grid = exactpwm.score_matrices(pwms)
    gthr = [m.max(axis=0).sum() * 0.6 for m in grid]
    assert as_rows(exactpwm.scan(pwms, seqs, score=gthr, strand=strand, step=2.0 ** -10)) == \
        scan_hits(grid, seqs, gthr, strand)


@pytest.mark.slow
@pytest.mark.parametrize("strand", ["both", "+"])
def test_unquantized_float_matrices_equal_reference(data, strand):
    """step=None (a MOODS user's own float matrices and thresholds): float64 scores, the pre-filter
    kept, hits equal to a brute-force float64 reference; with eighths every sum is exact, so
    thresholds set to achieved scores test ties."""
    _, seqs = data
    rng = np.random.default_rng(8)
    eighths = [np.round(rng.normal(size=(4, w)) * 8) / 8 for w in (1, 5, 8, 12, 21)]
    for mats in (eighths, [rng.normal(size=(4, w)) for w in (6, 9, 15)]):
        every = [sorted(r[4] for r in scan_hits([m], seqs, [-np.inf], strand)) for m in mats]
        # eighths: achieved scores (ties); other floats: between two achieved scores (no last-bit ties)
        thr = [e[-40] if mats is eighths else (e[-40] + e[-41]) / 2 for e in every]
        table = exactpwm.scan(mats, seqs, mode="matrix", score=thr, step=None, strand=strand)
        got = as_rows(table)
        expected = scan_hits(mats, seqs, thr, strand)
        assert len(expected) >= 40 * len(mats)
        if mats is eighths:
            assert got == expected
        else:  # arbitrary floats: the same windows; scores to float64 rounding of the sum order
            assert [r[:4] for r in got] == [r[:4] for r in expected]
            np.testing.assert_allclose([r[4] for r in got], [r[4] for r in expected], rtol=1e-12)
        for backend in ("numba", "cpp-scalar"):
            other = exactpwm.scan(mats, seqs, mode="matrix", score=thr, step=None, strand=strand, backend=backend)
            assert as_rows(other) == got
        # the default with score thresholds is this exact path
        assert as_rows(exactpwm.scan(mats, seqs, mode="matrix", score=thr, strand=strand)) == got


def test_ties_at_the_threshold_are_hits(data):
    pwms, seqs = data
    mats = exactpwm.score_matrices(pwms)
    all_scores = scan_hits(mats[4:5], seqs[5:6], [-np.inf])
    tie = sorted(r[4] for r in all_scores)[-20]  # an achieved score, used as the threshold
    table = exactpwm.scan(pwms[4:5], seqs[5:6], score=tie, step=2.0 ** -10)  # the grid's ties (float ties: below)
    assert len(table) == sum(r[4] >= tie for r in all_scores) >= 20
    assert (table.rows["score"] >= tie).all() and (table.rows["score"] == tie).any()


@pytest.mark.slow
@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 20])
def test_chunking_changes_nothing(data, chunk_size):
    pwms, seqs = data
    whole = exactpwm.scan(pwms, seqs, pvalue=1e-2)
    chunked = exactpwm.scan(pwms, seqs, pvalue=1e-2, chunk_size=chunk_size)
    assert_same_hits(chunked.rows, whole.rows)


def test_same_hits_for_threads_backends_and_fasta(data, tmp_path):
    pwms, seqs = data
    ref = exactpwm.scan(pwms, seqs, pvalue=1e-2, threads=1, backend=BACKENDS[0])
    assert len(ref) > 100
    for backend in BACKENDS:
        for threads in (1, 2, 0):
            got = exactpwm.scan(pwms, seqs, pvalue=1e-2, threads=threads, backend=backend)
            assert_same_hits(got.rows, ref.rows)
    path = tmp_path / "s.fa"
    path.write_text("".join(f">seq{i}\n{exactpwm.decode(s)}\n" for i, s in enumerate(seqs)))
    from_file = exactpwm.scan(pwms, path, pvalue=1e-2, chunk_size=100)
    assert_same_hits(from_file.rows, ref.rows)
    assert from_file.sequence_names == [f"seq{i}" for i in range(len(seqs))]


@pytest.mark.slow
def test_pvalue_threshold_is_exact_on_the_grid_on_request(data):
    """step=2**-10: hits and p-values of the quantized matrices (the real-valued ones by default,
    see test_certified_pvalues.py)."""
    pwms, seqs = data
    mats = exactpwm.score_matrices(pwms)
    table = exactpwm.scan(pwms, seqs, pvalue=1e-3, step=2.0 ** -10)
    assert (table.rows["pvalue"] <= 1e-3).all()
    everything = scan_hits(mats, seqs, [-np.inf] * len(mats))
    dists = [ScoreDistribution(m) for m in mats]
    expected = [r for r in everything if dists[r[3]].pvalue(r[4]) <= 1e-3]
    assert as_rows(table) == expected


def test_matched_sequence_and_coordinates():
    pwm = np.full((4, 3), 0.01)
    pwm[0] = 0.97  # AAA
    table = exactpwm.scan([pwm], {"chr": "CCAAACCTTTCC"}, score=5.0)
    r = table.rows
    assert r["start"].tolist() == [2, 7] and r["end"].tolist() == [5, 10]
    assert r["strand"].tolist() == [b"+", b"-"]
    assert r["matched"].tolist() == [b"AAA", b"AAA"]  # the minus hit reads AAA on its strand


def test_qvalues(data):
    pwms, seqs = data
    t = exactpwm.scan(pwms, seqs, pvalue=1e-2, qvalues=True)
    assert ((t.rows["qvalue"] >= t.rows["pvalue"]) & (t.rows["qvalue"] <= 1)).all()


def test_writers(tmp_path):
    pwm = np.full((4, 3), 0.01)
    pwm[0] = 0.97
    t = exactpwm.scan([pwm], {"chr": "CCAAACC"}, score=5.0, names=["polyA"], strand="+")
    t.write_bed(tmp_path / "h.bed")
    t.write_tsv(tmp_path / "h.tsv", command="exactpwm scan")
    score = repr(float(t.rows['score'][0]))  # exact: scores lie on the 2^-10 grid
    assert (tmp_path / "h.bed").read_text().split("\n")[0].split("\t") == ["chr", "2", "5", "polyA", score, "+"]
    fields = (tmp_path / "h.tsv").read_text().split("\n")[1].split("\t")
    assert fields[:6] == ["polyA", "", "chr", "3", "5", "+"] and fields[-1] == "AAA"


def test_bad_arguments(data):
    pwms, seqs = data
    with pytest.raises(ValueError, match="not both"):
        exactpwm.scan(pwms, seqs, pvalue=1e-4, score=3.0)
    with pytest.raises(ValueError, match="motif 0: .*zero probability"):
        exactpwm.scan([np.eye(4)], seqs, pseudocount=0)
    with pytest.raises(ValueError, match="motif 0 must have shape"):
        exactpwm.scan([np.ones((3, 4))], seqs)
    with pytest.raises(FileNotFoundError, match="no such file"):
        exactpwm.scan(pwms, "missing/genome.fa")
    with pytest.raises(ValueError, match="sequence seq0: .*unknown letter"):
        exactpwm.scan(pwms, ["ACGZ"])


@pytest.mark.slow
@pytest.mark.parametrize("chunk_size", [5, 1 << 20])
def test_sequence_maxima_equal_reference(data, chunk_size):
    pwms, seqs = data
    for step in (None, 2.0 ** -10):  # the motifs' float64 scores on request; the grid (the default)
        mats = exactpwm.score_matrices(pwms, step=step)
        got = exactpwm.sequence_maxima(pwms, seqs, chunk_size=chunk_size, step=step)
        assert got.score.shape == (len(seqs), len(pwms))
        every = scan_hits(mats, seqs, [-np.inf] * len(mats))
        for s in range(len(seqs)):
            for k in range(len(mats)):
                rows = [r for r in every if r[0] == s and r[3] == k]
                if not rows:
                    assert got.score[s, k] == -np.inf and got.start[s, k] == -1 and got.pvalue[s, k] == 1.0
                    continue
                best = max(r[4] for r in rows)
                first = min((r for r in rows if r[4] >= best - 1e-12 * abs(best)), key=lambda r: (-r[2], r[1]))
                assert got.score[s, k] == pytest.approx(best, rel=1e-12, abs=1e-12)
                assert (got.start[s, k], got.strand[s, k]) == (first[1], first[2])
    default = exactpwm.sequence_maxima(pwms, seqs, chunk_size=chunk_size)
    assert np.array_equal(default.score, exactpwm.sequence_maxima(pwms, seqs, chunk_size=chunk_size,
                                                                  step=2.0 ** -10).score)


def test_score_tracks_and_bedgraph(data, tmp_path):
    pwms, seqs = data
    x = seqs[4]
    for step in (2.0 ** -10, None):  # the grid on request (exact sums); the default: float64 scores
        mats = exactpwm.score_matrices(pwms, step=step)
        pieces = [t for t in exactpwm.score_tracks(pwms, {"s": x}, chunk_size=97, strand="+", step=step)
                  if 1 in t[2]]
        track = np.concatenate([scores[list(idx).index(1)] for _, _, idx, scores in pieces])
        L = mats[1].shape[1]
        expected = np.array([mats[1][x[j:j + L], np.arange(L)].sum() if (x[j:j + L] < 4).all() else np.nan
                             for j in range(x.size - L + 1)])
        if step is None:
            np.testing.assert_allclose(track, expected, rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_array_equal(track, expected)
    with open(tmp_path / "t.bedGraph", "w") as f:
        exactpwm.write_bedgraph(f, "s", 0, track)
    lines = (tmp_path / "t.bedGraph").read_text().splitlines()
    assert lines[0].split("\t")[:2] == ["s", "0"]
    assert sum(int(l.split("\t")[2]) - int(l.split("\t")[1]) for l in lines) == int(np.isfinite(track).sum())


def test_to_pandas(data):
    pd = pytest.importorskip("pandas")
    pwms, seqs = data
    t = exactpwm.scan(pwms, seqs, pvalue=1e-2, names=[f"m{i}" for i in range(len(pwms))])
    df = t.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == len(t)
    assert df["motif"].iloc[0] == f"m{t.rows['motif'][0]}" and set(df["strand"]) <= {"+", "-"}


def test_row_buffer_equals_concatenation():
    from exactpwm.scanning.hits import RowBuffer, hit_dtype

    rng = np.random.default_rng(2)
    dt = hit_dtype(12)
    parts = []
    for n in (0, 5, 3000, 0, 1, 700):
        p = np.zeros(n, dt)
        p["start"] = rng.integers(0, 10**9, n)
        p["score"] = rng.normal(size=n)
        p["matched"] = b"ACGTACGTACGT"
        parts.append(p)
    buf = RowBuffer(dt)
    for p in parts:
        buf.append(p)
    got = buf.result()
    want = np.concatenate(parts)
    assert got.dtype == dt and got.shape == want.shape
    for name in dt.names:  # field by field: padding bytes between aligned fields hold anything
        np.testing.assert_array_equal(got[name], want[name])


def test_minus_strand_p_values_are_right_under_an_asymmetric_background():
    """The background is made strand-symmetric: a sequence and its reverse complement give the
    same hits, mirrored, with the same p-values, whatever the background."""
    rng = np.random.default_rng(4)
    seq = "".join(rng.choice(list("ACGT"), 3000, p=[0.4, 0.1, 0.2, 0.3]))
    rc = exactpwm.reverse_complement(seq)
    pwm = rng.dirichlet(np.full(4, 0.5), size=8).T
    bg = [0.4, 0.1, 0.2, 0.3]
    a = exactpwm.scan([pwm], [seq], pvalue=1e-2, background=bg).rows
    b = exactpwm.scan([pwm], [rc], pvalue=1e-2, background=bg).rows
    n = len(seq)
    fwd = sorted((int(r["start"]), r["strand"], round(float(r["pvalue"]), 15)) for r in a)
    mirrored = sorted((n - int(r["end"]), b"+" if r["strand"] == b"-" else b"-", round(float(r["pvalue"]), 15))
                      for r in b)
    assert fwd == mirrored and len(fwd) > 10


def test_q_values_are_per_motif_unless_pooled():
    rng = np.random.default_rng(6)
    seqs = ["".join(rng.choice(list("ACGT"), 2000)) for _ in range(5)]
    m1, m2 = rng.dirichlet(np.full(4, 0.4), size=(2, 8)).transpose(0, 2, 1)
    one = exactpwm.scan([m1], seqs, pvalue=1e-2, qvalues=True).rows
    two = exactpwm.scan([m1, m2], seqs, pvalue=1e-2, qvalues=True).rows
    np.testing.assert_allclose(np.sort(two["qvalue"][two["motif"] == 0]), np.sort(one["qvalue"]))
    tests = 5 * (2000 - 8 + 1) * 2
    p = np.sort(one["pvalue"])
    bh = np.minimum.accumulate((p * tests / np.arange(1, p.size + 1))[::-1])[::-1]
    np.testing.assert_allclose(np.sort(one["qvalue"]), np.minimum(bh, 1), rtol=1e-12)
    pooled = exactpwm.scan([m1, m2], seqs, pvalue=1e-2, qvalues="pooled").rows
    p2 = np.sort(pooled["pvalue"])
    bh2 = np.minimum.accumulate((p2 * 2 * tests / np.arange(1, p2.size + 1))[::-1])[::-1]
    np.testing.assert_allclose(np.sort(pooled["qvalue"]), np.minimum(bh2, 1), rtol=1e-12)
    with pytest.raises(ValueError, match="qvalues must be"):
        exactpwm.scan([m1], seqs, qvalues="fdr")


def test_the_default_step_is_exact_for_the_users_matrices():
    """step="auto": score thresholds on float matrices scan in float64 (exact); matrices already on
    the 2**-10 grid (integers, eighths) keep the grid, where it is as exact; p-value thresholds use
    the grid; a step that is not a number, None or "auto" is refused."""
    from exactpwm.scanning.plan import plan_scan

    rng = np.random.default_rng(3)
    floats = [rng.normal(size=(4, 8))]
    on_grid = [np.round(rng.normal(size=(4, 8)) * 8) / 8]
    assert plan_scan(floats, mode="matrix", score=1.0).groups[0].dtype == np.float64
    assert np.array_equal(plan_scan(floats, mode="matrix", score=1.0).matrices[0], floats[0])
    assert plan_scan(on_grid, mode="matrix", score=1.0).groups[0].dtype == np.float32
    assert plan_scan(floats, mode="matrix", score=1.0, step=2.0 ** -10).groups[0].dtype == np.float32
    grid_plan = plan_scan(floats, mode="matrix", pvalue=1e-3)
    assert np.array_equal(grid_plan.matrices[0], exactpwm.score_matrices(floats, mode="matrix")[0])
    with pytest.raises(ValueError, match="step must be"):
        plan_scan(floats, mode="matrix", score=1.0, step="exact")


def test_hit_rows_hold_the_same_bytes_every_run():
    """The padding between the aligned fields of a hit row is zero, not what memory held: rows
    saved as raw bytes (np.save, parts) are the same file on every run."""
    rng = np.random.default_rng(3)
    W = rng.normal(size=(3, 4, 9))
    seqs = {f"s{i}": rng.integers(0, 4, 50_000).astype(np.uint8) for i in range(4)}
    rows = exactpwm.scan(W, seqs, mode="matrix", score=1.0, chunk_size=7_000).rows
    assert len(rows) > 10_000
    used = np.zeros(rows.dtype.itemsize, bool)
    for name in rows.dtype.names:
        dt, at = rows.dtype.fields[name][:2]
        used[at:at + dt.itemsize] = True
    assert not used.all()  # the row has padding
    raw = rows.view(np.uint8).reshape(len(rows), -1)
    assert not raw[:, ~used].any()


def test_row_buffer_claims_appends_and_grows_without_losing_rows():
    """A scan writes each chunk's rows straight into the result (RowBuffer.claim), growing to the
    size the input announces; appended and claimed chunks come out in order, whatever the growth."""
    from exactpwm.scanning.batches import known_bases
    from exactpwm.scanning.hits import RowBuffer

    dt = np.dtype([("a", np.int64), ("b", "S3")], align=True)
    want = np.zeros(5_000, dt)
    want["a"] = np.arange(5_000)
    buf = RowBuffer(dt)
    first = want[:700].copy()
    buf.append(first, owned=True)  # becomes the buffer
    buf.expect(4_000)
    at = 700
    for k in (1, 0, 2_000, 1_299, 1_000):
        if k % 2:
            buf.claim(k)[:] = want[at:at + k]
        else:
            buf.append(want[at:at + k])
        at += k
    assert buf.size == 5_000
    out = buf.result()
    np.testing.assert_array_equal(out["a"], want["a"])
    huge = RowBuffer(dt)  # an estimate beyond any memory: it grows as little as needed instead
    huge.expect(10 ** 15)
    huge.claim(3)[:] = want[:3]
    huge.claim(2_000)[:] = want[3:2_003]
    np.testing.assert_array_equal(huge.result()["a"], want["a"][:2_003])
    assert known_bases({"x": "ACGT", "y": np.zeros(6, np.uint8)}) == 10
    assert known_bases([("x", "ACG"), ("y", "A")]) == 4 and known_bases("ACGTN") == 5
    assert known_bases(iter(["ACGT"])) is None


def test_a_scan_in_chunks_gives_the_rows_of_one_chunk():
    """Rows written chunk by chunk into the growing result equal one chunk's scan, byte for byte."""
    rng = np.random.default_rng(4)
    W = rng.normal(size=(4, 4, 8))
    seqs = {f"s{i}": rng.integers(0, 4, 40_000).astype(np.uint8) for i in range(3)}
    one = exactpwm.scan(W, seqs, mode="matrix", score=2.0, chunk_size=1 << 22).rows
    for chunk in (997, 5_000):
        many = exactpwm.scan(W, seqs, mode="matrix", score=2.0, chunk_size=chunk).rows
        assert many.tobytes() == one.tobytes()
