"""The engine against the numpy reference, for every backend, dtype, strand and thread count."""

import exactpwm
import numpy as np
import pytest
from conftest import BACKENDS, random_codes
from reference import cross_correlation, max_pool, revcomp


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-4) if dtype == np.float32 else dict(rtol=0, atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("L", [1, 7, 19, 40])
def test_conv1d_matches_reference(rng, backend, dtype, L):
    W = rng.normal(size=(5, 4, L)).astype(dtype)
    bias = rng.normal(size=5)
    x = random_codes(rng, 2100, n_frac=0.05)  # crosses the engine's 1024-window blocks
    got = exactpwm.conv1d(x, W, bias, backend=backend)
    assert got.dtype == dtype and got.shape == (5, 2100 - L + 1)
    np.testing.assert_allclose(got, cross_correlation(x, W, bias), **tol(dtype))


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv1d_strands(rng, backend):
    W = rng.normal(size=(3, 4, 6))
    x = random_codes(rng, 300, n_frac=0.02)
    plus = exactpwm.conv1d(x, W, backend=backend)
    minus = exactpwm.conv1d(x, W, strand="-", backend=backend)
    both = exactpwm.conv1d(x, W, strand="both", backend=backend)
    np.testing.assert_allclose(minus, cross_correlation(revcomp(x), W)[:, ::-1], atol=1e-9)
    np.testing.assert_array_equal(both[0], plus)
    np.testing.assert_array_equal(both[1], minus)


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv1d_batch_and_out(rng, backend):
    W = rng.normal(size=(4, 4, 8)).astype(np.float32)
    X = rng.integers(0, 5, size=(3, 50)).astype(np.uint8)
    out = np.full((3, 2, 4, 43), np.nan, dtype=np.float32)
    res = exactpwm.conv1d(X, W, strand="both", out=out, backend=backend)
    assert res is out
    for b in range(3):
        np.testing.assert_array_equal(out[b], exactpwm.conv1d(X[b], W, strand="both", backend=backend))
    with pytest.raises(ValueError, match="out must be"):
        exactpwm.conv1d(X, W, out=np.empty((3, 4, 43), dtype=np.float64), backend=backend)


def test_conv1d_list_of_strings(rng):
    W = rng.normal(size=(2, 4, 3))
    got = exactpwm.conv1d(["ACGTA", "TTTTT"], W)
    assert got.shape == (2, 2, 3)
    np.testing.assert_allclose(got[1], cross_correlation(exactpwm.encode("TTTTT"), W))
    with pytest.raises(ValueError, match="equal length"):
        exactpwm.conv1d(["ACGT", "ACG"], W)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sequences_shorter_than_kernel_give_empty_result(rng, backend):
    W = rng.normal(size=(2, 4, 10))
    assert exactpwm.conv1d("ACGT", W, backend=backend).shape == (2, 0)
    assert exactpwm.conv1d("", W, strand="both", backend=backend).shape == (2, 2, 0)


def test_n_is_a_zero_column(rng):
    W = rng.normal(size=(1, 4, 3))
    got = exactpwm.conv1d("NNN", W)
    np.testing.assert_array_equal(got, [[0.0]])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("strand", ["+", "-", "both"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_scores_matches_reference(rng, backend, strand, dtype):
    W = rng.normal(size=(4, 4, 9)).astype(dtype)
    bias = rng.normal(size=4)
    lengths = [0, 3, 8, 9, 10, 57, 1500, 3000]
    seqs = [random_codes(rng, n, n_frac=0.03) for n in lengths]
    got = exactpwm.max_scores(seqs, W, bias, strand=strand, backend=backend)
    for s, x in enumerate(seqs):
        score, pos, sgn = max_pool(x, W, bias, strand)
        np.testing.assert_allclose(got.score[s], score, **tol(dtype))
        if dtype == np.float64:  # float32 near-ties may resolve differently from the float64 reference
            np.testing.assert_array_equal(got.start[s], pos)
            np.testing.assert_array_equal(got.strand[s], sgn)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("skip_n", [False, True])
def test_max_scores_of_many_short_records(rng, backend, skip_n):
    """A peak set, or one record per variant: thousands of short records, some shorter than the
    kernel, some all N, scored together (one block-kernel call spans many of them)."""
    W = rng.normal(size=(5, 4, 9))
    lengths = rng.integers(0, 60, size=600)
    seqs = [random_codes(rng, int(n), n_frac=0.05) for n in lengths]
    seqs[7] = np.full(20, 4, np.uint8)
    got = exactpwm.max_scores(seqs, W, strand="both", skip_n=skip_n, backend=backend, dtype=np.float64)
    for s, x in enumerate(seqs):
        if skip_n:  # the reference over the windows without N only
            score = np.full(5, -np.inf)
            for j in range(x.size - 8):
                if (x[j:j + 9] < 4).all():
                    score = np.maximum(score, max_pool(x[j:j + 9], W, None, "both")[0])
        else:
            score = max_pool(x, W, None, "both")[0]
        np.testing.assert_allclose(got.score[s], score, rtol=1e-12, atol=1e-12)
        assert ((got.start[s] >= 0) == np.isfinite(score)).all()
    one = exactpwm.max_scores(seqs, W, strand="both", skip_n=skip_n, backend=backend, dtype=np.float64, threads=1)
    for a, b in zip(one, got):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("strand", ["+", "-", "both"])
@pytest.mark.parametrize("skip_n", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_scores_of_chosen_pairs_equal_the_dense_ones(rng, backend, strand, skip_n, dtype):
    """Sparse max pooling (pairs=): records shorter than a block, longer than one, without a
    window; pairs in any order and repeated, on any thread count."""
    lengths = np.concatenate([rng.integers(0, 60, 200), [3000, 2500, 5]])
    seqs = [random_codes(rng, int(n), n_frac=0.05) for n in lengths]
    W = rng.normal(size=(6, 4, 9))
    dense = exactpwm.max_scores(seqs, W, strand=strand, skip_n=skip_n, dtype=dtype, backend=backend)
    si, ki = rng.integers(0, len(seqs), 3000), rng.integers(0, 6, 3000)
    for threads in (1, 3):
        got = exactpwm.max_scores(seqs, W, strand=strand, skip_n=skip_n, dtype=dtype, pairs=(si, ki),
                                  threads=threads, backend=backend)
        assert got.score.shape == (3000,) and got.score.dtype == dtype
        for a, b in zip(got, dense):
            np.testing.assert_array_equal(a, b[si, ki])
    none = exactpwm.max_scores(seqs, W, pairs=(np.zeros(0, int), np.zeros(0, int)), backend=backend)
    assert none.score.shape == (0,)
    with pytest.raises(ValueError, match="pairs must name"):
        exactpwm.max_scores(seqs, W, pairs=([0], [6]), backend=backend)
    with pytest.raises(ValueError, match="one length"):
        exactpwm.max_scores(seqs, W, pairs=([0, 1], [0]), backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_scores_ties_keep_first_window_and_plus_strand(backend):
    W = np.zeros((1, 4, 2))  # every window scores 0
    got = exactpwm.max_scores(["ACGTACGT"], W, strand="both", backend=backend)
    assert got.score[0, 0] == 0 and got.start[0, 0] == 0 and got.strand[0, 0] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_scores_long_sequence_split_across_threads(rng, backend):
    W = rng.normal(size=(3, 4, 12))
    x = random_codes(rng, 300_000, n_frac=0.01)
    r1 = exactpwm.max_scores([x], W, strand="both", threads=1, backend=backend)
    r2 = exactpwm.max_scores([x], W, strand="both", threads=2, backend=backend)
    r7 = exactpwm.max_scores([x], W, strand="both", threads=7, backend=backend)
    dense = exactpwm.conv1d(x, W, strand="both", backend=backend)
    for r in (r1, r2, r7):
        np.testing.assert_array_equal(r.score[0], dense.max(axis=(0, 2)))
        np.testing.assert_array_equal(r.score, r1.score)
        np.testing.assert_array_equal(r.start, r1.start)
        np.testing.assert_array_equal(r.strand, r1.strand)


def test_max_scores_accepts_packed_and_2d(rng):
    W = rng.normal(size=(2, 4, 4))
    X = rng.integers(0, 4, size=(5, 30)).astype(np.uint8)
    a = exactpwm.max_scores(X, W)
    b = exactpwm.max_scores(exactpwm.pack(X), W)
    c = exactpwm.max_scores(list(X), W)
    np.testing.assert_array_equal(a.score, b.score)
    np.testing.assert_array_equal(a.score, c.score)
    np.testing.assert_array_equal(a.score, exactpwm.conv1d(X, W).max(axis=2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backends_and_thread_counts_agree(rng, dtype):
    W = rng.normal(size=(6, 4, 15)).astype(dtype)
    x = random_codes(rng, 9000, n_frac=0.02)
    seqs = [x, x[:4000], x[:10]]
    dense = exactpwm.conv1d(x, W, strand="both", backend=BACKENDS[0], threads=1)
    pooled = exactpwm.max_scores(seqs, W, strand="both", backend=BACKENDS[0], threads=1)
    for backend in BACKENDS:
        for threads in (1, 2, 0):
            np.testing.assert_allclose(
                exactpwm.conv1d(x, W, strand="both", backend=backend, threads=threads), dense, **tol(dtype))
            got = exactpwm.max_scores(seqs, W, strand="both", backend=backend, threads=threads)
            np.testing.assert_allclose(got.score, pooled.score, **tol(dtype))
            np.testing.assert_array_equal(got.start, pooled.start)
            np.testing.assert_array_equal(got.strand, pooled.strand)


def test_backends_report():
    info = exactpwm.backends()
    assert info["auto"] in ("cpp", "numba")
    assert "scalar" in info["cpp"].get("isa_compiled", ["scalar"])
    with pytest.raises(ValueError, match="unknown backend"):
        exactpwm.conv1d("ACGT", np.zeros((4, 2)), backend="gpu")


def test_matches_torch_conv1d(rng):
    torch = pytest.importorskip("torch")
    W = rng.normal(size=(16, 4, 19)).astype(np.float32)
    bias = rng.normal(size=16).astype(np.float32)
    X = rng.integers(0, 5, size=(3, 500)).astype(np.uint8)
    onehot = torch.from_numpy(np.stack([exactpwm.one_hot(x) for x in X]))
    expected = torch.nn.functional.conv1d(onehot, torch.from_numpy(W), torch.from_numpy(bias)).numpy()
    for backend in BACKENDS:
        np.testing.assert_allclose(exactpwm.conv1d(X, W, bias, backend=backend), expected, rtol=1e-5, atol=1e-4)
    # float64 too, and torch tensors accepted as kernels
    W64 = torch.from_numpy(W.astype(np.float64))
    expected64 = torch.nn.functional.conv1d(onehot.double(), W64).numpy()
    np.testing.assert_allclose(exactpwm.conv1d(X, W64), expected64, atol=1e-9)


def test_theorem1_against_torch(rng):
    torch = pytest.importorskip("torch")
    W = rng.normal(size=(8, 4, 12))
    pwm, offset = exactpwm.kernel_to_pwm(W, 2.0)
    x = rng.integers(0, 4, size=400).astype(np.uint8)
    conv = torch.nn.functional.conv1d(torch.from_numpy(exactpwm.one_hot(x, np.float64))[None], torch.from_numpy(W))[0]
    logp = exactpwm.conv1d(x, exactpwm.pwm_to_kernel(pwm, 2.0)[0])
    np.testing.assert_allclose(conv.numpy(), logp + offset[:, None], atol=1e-9)


def test_concurrent_calls_from_python_threads(rng):
    """The GIL is released inside the engine; concurrent calls give the same answers."""
    from concurrent.futures import ThreadPoolExecutor

    W = rng.normal(size=(4, 4, 12)).astype(np.float32)
    x = random_codes(rng, 50_000, n_frac=0.01)
    expected = exactpwm.conv1d(x, W, strand="both", threads=1)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda t: exactpwm.conv1d(x, W, strand="both", threads=t), [1, 2, 0, 3] * 2))
    for r in results:
        np.testing.assert_array_equal(r, expected)


def reference_hits(seqs, W, thr, bias, strand, skip_n):
    """Hits from the numpy reference, in (sequence, start, strand, kernel) order."""
    K, _, L = W.shape
    rows = []
    for s, x in enumerate(seqs):
        if x.size < L:
            continue
        plus = cross_correlation(x, W, bias)
        minus = cross_correlation(revcomp(x), W, bias)[:, ::-1]
        has_n = np.convolve(x == 4, np.ones(L), mode="valid") > 0
        for j in range(plus.shape[1]):
            if skip_n and has_n[j]:
                continue
            for sign, sc in ((1, plus), (-1, minus)):
                if (strand == "+" and sign < 0) or (strand == "-" and sign > 0):
                    continue
                for k in range(K):
                    if sc[k, j] >= thr[k]:
                        rows.append((s, j, sign, k, sc[k, j]))
    return rows


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("strand", ["+", "-", "both"])
@pytest.mark.parametrize("skip_n", [False, True])
def test_threshold_hits_match_reference(rng, backend, strand, skip_n):
    W = rng.normal(size=(3, 4, 6))
    bias = rng.normal(size=3)
    seqs = [random_codes(rng, n, n_frac=0.05) for n in (0, 5, 6, 40, 2500)]
    thr = np.array([2.0, 3.0, 4.0])
    got = exactpwm.threshold_hits(seqs, W, thr, bias, strand=strand, skip_n=skip_n, backend=backend)
    expected = reference_hits(seqs, W, thr, bias, strand, skip_n)
    assert len(got.start) == len(expected) > 0
    np.testing.assert_array_equal(got.sequence, [r[0] for r in expected])
    np.testing.assert_array_equal(got.start, [r[1] for r in expected])
    np.testing.assert_array_equal(got.strand, [r[2] for r in expected])
    np.testing.assert_array_equal(got.motif, [r[3] for r in expected])
    np.testing.assert_allclose(got.score, [r[4] for r in expected], atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_threshold_hits_ties_and_float32_rounding(backend):
    W = np.zeros((1, 4, 3), dtype=np.float32)
    W[0, 0, :] = 0.1  # 'AAA' scores 0.1f + 0.1f + 0.1f in float32
    score = np.float32(0.1) + np.float32(0.1) + np.float32(0.1)
    at = exactpwm.threshold_hits(["AAAC"], W, float(score), backend=backend)
    assert at.start.tolist() == [0]  # a window exactly at the threshold is a hit
    above = exactpwm.threshold_hits(["AAAC"], W, np.nextafter(float(score), np.inf), backend=backend)
    assert above.start.size == 0  # float64 threshold just above the float32 score: not a hit


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threshold_hits_same_for_threads_and_backends(rng, dtype):
    W = rng.normal(size=(5, 4, 10)).astype(dtype)
    seqs = [random_codes(rng, 200_000, n_frac=0.01), random_codes(rng, 300, n_frac=0.01)] * 3
    ref = exactpwm.threshold_hits(seqs, W, 5.0, strand="both", backend=BACKENDS[0], threads=1)
    assert ref.start.size > 100
    for backend in BACKENDS:
        for threads in (1, 2, 5):
            got = exactpwm.threshold_hits(seqs, W, 5.0, strand="both", backend=backend, threads=threads)
            for a, b in zip(got, ref):
                np.testing.assert_array_equal(a, b)


def _same_hits_on_every_backend(seqs, W, thr, skip_n):
    """Both-strand hits of every backend equal the (full-scoring) numba path's; returns those."""
    ref = exactpwm.threshold_hits(seqs, W, thr, strand="both", skip_n=skip_n, backend="numba")
    for backend in BACKENDS:
        got = exactpwm.threshold_hits(seqs, W, thr, strand="both", skip_n=skip_n, backend=backend)
        for a, b in zip(got, ref):
            np.testing.assert_array_equal(a, b, err_msg=backend)
    return ref


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(6))
def test_threshold_filters_never_drop_hits(seed, dtype):
    """The AVX2 path skips windows with its deficit pre-filter; it must find exactly
    the hits of the full-scoring scalar and numba paths: raw (unquantized) float32 kernels,
    columns whose every base scores below N's 0, thresholds near the maximum, N-rich sequences."""
    rng = np.random.default_rng(seed)
    L = int(rng.integers(1, 41))
    W = rng.normal(scale=rng.choice([0.1, 1.0, 30.0]), size=(6, 4, L)).astype(dtype)
    W[0, :, : max(1, L // 3)] -= 5.0  # N (0) beats every base in these columns
    seqs = [random_codes(rng, n, n_frac=0.1) for n in (L - 1, L, 3000, 20000)]
    dense = exactpwm.conv1d(seqs[3], W, strand="both", backend="numba")  # (2, 6, m)
    quantiles = np.array([0.9, 0.99, 0.999, 0.9999, 0.99, 0.999])
    thr = np.array([np.quantile(dense[:, k], q, method="higher") for k, q in enumerate(quantiles)])  # achieved: ties
    for skip_n in (False, True):
        assert _same_hits_on_every_backend(seqs, W, thr, skip_n).start.size >= 10


@pytest.mark.parametrize("L", [1, 2, 5, 12, 30])
def test_windows_over_an_n_are_skipped_though_the_filter_reads_n_as_a(L):
    """The filters read N as A in their tuple codes and drop windows over an N before rescoring
    them: on A-runs cut by N (as packed short records are), a kernel that wants only A must hit
    exactly the all-A windows, on every backend, with N at block edges and every offset."""
    rng = np.random.default_rng(L)
    seqs = []
    for n in (L, 3 * L + 1, 5000, 70_000):
        s = np.zeros(n, np.uint8)
        s[rng.random(n) < 0.01] = 4
        s[rng.random(n) < 0.002] = 2
        seqs.append(s)
    W = np.full((1, 4, L), -1.0, np.float32)
    W[0, 0] = 1.0
    thr = np.array([L - 0.5])
    got = _same_hits_on_every_backend(seqs, W, thr, True)
    want = [(i, j) for i, s in enumerate(seqs) for j in range(s.size - L + 1) if not s[j:j + L].any()]
    fwd = got.strand > 0
    assert sorted(zip(got.sequence[fwd].tolist(), got.start[fwd].tolist())) == want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("L", [1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 24, 33, 40])
def test_pair_filter_exact_for_every_width(L, dtype):
    """The AVX2 deficit filter works on column pairs (an odd width ends with a half pair) and
    checks after 4 pairs, then every 2: every width from 1 to 40 must give the reference's hits,
    including windows scoring exactly the threshold (quantized scores make ties common)."""
    rng = np.random.default_rng(L)
    W = np.round(rng.normal(scale=2.0, size=(5, 4, L)) * 8) / 8  # multiples of 1/8: exact sums, many ties
    W = W.astype(dtype)
    seqs = [random_codes(rng, 30_000, n_frac=0.001), random_codes(rng, L + 40)]
    dense = exactpwm.conv1d(seqs[0], W, strand="both", backend="numba")
    thr = np.array([np.quantile(dense[:, k], q, method="higher") for k, q in enumerate([0.5, 0.9, 0.99, 0.999, 1.0])])
    for skip_n in (False, True):
        ref = _same_hits_on_every_backend(seqs, W, thr, skip_n)
        assert (ref.score == thr[ref.motif]).any(), "some hit should sit exactly on its threshold"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_filter_modes_nothing_everything_and_flat_kernels(dtype):
    """Thresholds above every score (no window can pass), below every score (every window
    passes), and flat kernels (no window can be told apart) keep the reference's hits."""
    rng = np.random.default_rng(7)
    seqs = [random_codes(rng, 5000, n_frac=0.01)]
    W = rng.normal(size=(3, 4, 9)).astype(dtype)
    flat = np.ones((2, 4, 9), dtype=dtype)
    cases = [(W, 1e6), (W, -1e6), (flat, 9.0), (flat, np.nextafter(dtype(9.0), dtype(10.0)))]
    for kernels, thr in cases:
        for skip_n in (False, True):
            _same_hits_on_every_backend(seqs, kernels, thr, skip_n)


@pytest.mark.parametrize("backend", ["auto", "numba"])
def test_window_letters(backend):
    """Hit tables' `matched` column: windows as read on their strand, NUL-padded."""
    from exactpwm.core.sequence import window_letters

    codes = exactpwm.encode("ACGTNACCGT")
    out = window_letters(codes, [0, 3, 6, 0], [4, 3, 4, 0], [False, True, True, False], 5, backend=backend)
    assert [bytes(r).rstrip(b"\0") for r in out] == [b"ACGT", b"TNA", b"ACGG", b""]  # TNA, CCGT reverse complemented
    rng = np.random.default_rng(1)
    codes = random_codes(rng, 2000, n_frac=0.05)
    starts = rng.integers(0, 1980, 300)
    widths = rng.integers(1, 21, 300)
    minus = rng.random(300) < 0.5
    got = window_letters(codes, starts, widths, minus, 20, backend=backend)
    for i in range(300):
        w = codes[starts[i]:starts[i] + widths[i]]
        w = revcomp(w) if minus[i] else w
        assert bytes(got[i]).rstrip(b"\0") == exactpwm.decode(w).encode()
    with pytest.raises(ValueError, match="inside"):
        window_letters(codes, [1995], [10], [False], 20, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_window_sums_equal_numpys_sum_bit_for_bit(backend):
    """The real scores of certified p-value scans: each window's terms added as np.sum adds them
    (pairwise), so every backend gives numpy's float64 to the bit; NaN for windows holding an N."""
    from exactpwm._engine import engine

    rng = np.random.default_rng(5)
    widths = [*range(1, 34), 127, 128, 129, 300]
    tabs = [rng.normal(size=(w, 4)) * 10.0 ** rng.uniform(-4, 4, size=(w, 4)) for w in widths]
    tables = np.concatenate([t.ravel() for t in tabs])
    start = np.concatenate([[0], np.cumsum([t.size for t in tabs])]).astype(np.int64)
    codes = random_codes(rng, 4000, n_frac=0.002)
    which = rng.integers(0, len(tabs), 5000).astype(np.int64)
    starts = rng.integers(0, 4000 - 300, 5000).astype(np.int64)
    out = np.empty(5000)
    engine(backend).window_sums(codes, starts, which, tables, start, out, 2)
    for i in range(5000):
        t = tabs[which[i]]
        win = codes[starts[i]:starts[i] + t.shape[0]].astype(np.intp)
        want = np.nan if (win > 3).any() else t[np.arange(t.shape[0]), win].sum()
        np.testing.assert_array_equal(out[i], want)
    with pytest.raises(ValueError, match="inside"):
        engine(backend).window_sums(codes, np.array([3990]), np.array([len(tabs) - 1]), tables, start,
                                    np.empty(1), 1)


@pytest.mark.parametrize("rna", [False, True])
def test_hit_rows_equal_on_every_backend(rna):
    """A scan's hit table from the engine's hits: sorted by (position, '+' first, motif), records and
    coordinates from the batch's pieces, letters as read on the strand; every backend, the same bytes,
    whatever the rows held before (padding 0)."""
    from exactpwm._engine import engine
    from exactpwm.scanning.hits import hit_dtype

    rng = np.random.default_rng(8)
    widths = np.array([3, 7, 12, 5], np.int64)
    codes = random_codes(rng, 30_000, n_frac=0.01)
    offsets = np.array([0, 9_000, 9_001, 20_000, 30_000], np.int64)  # a one-base piece, as a separator leaves
    records, starts = np.array([0, 3, 1, 2], np.int64), np.array([0, 50, 7, 1_000_000], np.int64)
    n = 20_000
    motif = rng.integers(0, 4, n).astype(np.int32)
    pos = rng.integers(0, 30_000 - 12, n).astype(np.int64)
    pos[:50] = pos[50:100]  # the same window for other motifs and strands
    minus = rng.random(n) < 0.5
    score, pvalue = rng.normal(size=n), rng.random(n)
    first = None
    for backend in BACKENDS:
        rows = np.full(n * hit_dtype(12).itemsize, 0xAB, np.uint8).view(hit_dtype(12))  # every byte is written
        engine(backend).hit_rows(motif, pos, minus, score, pvalue, offsets, records, starts, widths, codes, rna,
                                 rows, 2)
        first = rows if first is None else first
        assert rows.tobytes() == first.tobytes(), backend
    order = np.lexsort((motif, minus, pos))
    np.testing.assert_array_equal(first["score"], score[order])
    piece = np.searchsorted(offsets, pos[order], side="right") - 1
    np.testing.assert_array_equal(first["start"], starts[piece] + pos[order] - offsets[piece])
    np.testing.assert_array_equal(first["sequence"], records[piece])
    with pytest.raises(ValueError, match="outside"):
        engine(BACKENDS[0]).hit_rows(motif[:1], np.array([29_995]), minus[:1], score[:1], pvalue[:1], offsets,
                                     records, starts, widths[[2, 2, 2, 2]], codes, rna, np.zeros(1, hit_dtype(12)), 1)


def test_the_expected_build_is_under_test():
    """.ci/sanitize sets EXACTPWM_EXPECT_SANITIZERS: the suite must run against that build."""
    import os

    want = os.environ.get("EXACTPWM_EXPECT_SANITIZERS")
    if want is None:
        pytest.skip("no particular build expected")
    assert exactpwm.backends()["cpp"].get("sanitizers") == want


@pytest.mark.parametrize("offset", range(0, 16, 3))
def test_conv1d_into_misaligned_out_every_width(offset):
    """Kernels that store whole cache lines handle any start address of `out` and any number of
    windows (masked heads and tails): same values as the scalar path, nothing written outside."""
    rng = np.random.default_rng(offset)
    for m in (1, 15, 16, 17, 127, 128, 129, 1000, 1100):
        L = int(rng.integers(1, 12))
        codes = random_codes(rng, m + L - 1, n_frac=0.05)
        W = rng.normal(size=(3, 4, L)).astype(np.float32)
        ref = exactpwm.conv1d(codes, W, backend="cpp-scalar" if "cpp-scalar" in BACKENDS else "numba")
        for backend in BACKENDS:
            buf = np.full(3 * m + 40, 7.0, dtype=np.float32)
            out = buf[offset:offset + 3 * m].reshape(3, m)
            exactpwm.conv1d(codes, W, out=out, backend=backend)
            np.testing.assert_array_equal(out, ref)
            assert (buf[:offset] == 7).all() and (buf[offset + 3 * m:] == 7).all(), backend


def test_conv1d_big_output_is_exact():
    """Outputs far larger than the caches (64 MB and up) are written around them by some kernels."""
    rng = np.random.default_rng(5)
    codes = random_codes(rng, 2_000_000, n_frac=0.001)
    W = rng.normal(size=(9, 4, 13)).astype(np.float32)
    ref = None
    for backend in BACKENDS:
        if backend == "numba":
            continue
        got = exactpwm.conv1d(codes, W, backend=backend)  # 9 x 2M float32 = 72 MB
        if ref is None:
            ref = got
        else:
            np.testing.assert_array_equal(got, ref)


def test_max_scores_start_is_the_name_and_position_is_deprecated():
    r = exactpwm.max_scores(["ACGTACGT"], np.ones((4, 3)), strand="both")
    assert r.start.shape == (1, 1)
    with pytest.warns(DeprecationWarning, match="MaxScores.start"):
        np.testing.assert_array_equal(r.position, r.start)


@pytest.mark.parametrize("op", ["count_fragments", "threshold_counts"])
def test_per_thread_counts_that_cannot_be_allocated_raise_memory_error_not_abort(op):
    """Fragment counting and threshold stacking keep K x 4 x L counts per thread: they are made
    before the parallel region (detail::PerThread), so an allocation that fails is a MemoryError in
    the caller, not an exception inside the region (which ended the process)."""
    from conftest import assert_memory_error_under_limit

    setup = ("import numpy as np\nfrom exactpwm import _core\n"
             "K, L = 2000, 20000\n"
             "codes = np.zeros(L + 16, np.uint8)\n"
             "counts = np.zeros((K, 4, L), np.int64)\n")  # 1.3 GB of address space, untouched
    if op == "count_fragments":
        call = ("_core.count_fragments(codes, np.zeros(1, np.int64), np.zeros(1, np.int32), np.zeros(1, np.int8), "
                "counts, 2)")
    else:
        setup += ("table = np.zeros((1, L, 8), np.float32)\n"  # one kernel, stacked into K targets' counts
                  "args = (codes, np.array([0, codes.size], np.int64), table, np.zeros(1, np.float32), "
                  "np.full(1, 1.0, np.float32), np.zeros(1, np.int32), np.zeros(1, np.int8), counts, "
                  "np.zeros(K, np.int64), 2, 'auto')\n")
        call = "_core.threshold_counts(*args)"
    assert_memory_error_under_limit(setup, call, 200)
