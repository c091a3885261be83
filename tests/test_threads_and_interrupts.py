"""Threads and signals: the same results for any threads= and under concurrent Python
threads; the OpenMP runtime beside PyTorch's in either import order, with no more threads
than asked; Ctrl-C stops a long call promptly and leaves no output file behind."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import exactpwm
import numpy as np
import pytest
from conftest import BACKENDS, random_codes

COMPILED = [b for b in BACKENDS if b.startswith("cpp")]


def test_scan_identical_for_thread_counts_and_concurrent_python_threads(rng):
    pwms = [rng.dirichlet(np.ones(4) * 0.5, size=w).T for w in (6, 11, 11, 19)]
    seqs = {f"s{i}": random_codes(rng, int(n), n_frac=0.01) for i, n in enumerate(rng.integers(10, 300_000, 12))}
    ref = exactpwm.scan(pwms, seqs, pvalue=1e-3, threads=1)
    assert len(ref) > 100

    def run(threads):
        return exactpwm.scan(pwms, seqs, pvalue=1e-3, threads=threads)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(run, [1, 2, 3, 4, 8, 0] * 2))
    for got in results:
        for col in ref.rows.dtype.names:
            np.testing.assert_array_equal(got.rows[col], ref.rows[col])


def test_max_scores_identical_under_concurrent_threads(rng):
    W = rng.normal(size=(8, 4, 15)).astype(np.float32)
    seqs = [random_codes(rng, int(n), n_frac=0.02) for n in rng.integers(1, 200_000, 20)]
    ref = exactpwm.max_scores(seqs, W, strand="both", threads=1)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda t: exactpwm.max_scores(seqs, W, strand="both", threads=t), [1, 2, 5, 0] * 3))
    for got in results:
        np.testing.assert_array_equal(got.score, ref.score)
        np.testing.assert_array_equal(got.start, ref.start)


_COEXIST = textwrap.dedent("""
    import re, sys
    import numpy as np
    first, second = sys.argv[1], sys.argv[2]
    __import__(first); __import__(second)
    import exactpwm, torch

    def n_threads():
        return int(re.search(r"Threads:\\s+(\\d+)", open("/proc/self/status").read()).group(1))

    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, size=(2, 200_000)).astype(np.uint8)
    W = rng.normal(size=(8, 4, 12)).astype(np.float32)
    onehot = torch.from_numpy(np.stack([exactpwm.one_hot(s) for s in x]))
    torch.set_num_threads(1)
    before = n_threads()
    ours = exactpwm.conv1d(x, W, threads=1)
    assert n_threads() == before, ("threads=1 started threads", before, n_threads())
    theirs = torch.nn.functional.conv1d(onehot, torch.from_numpy(W)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-4)
    before = n_threads()
    for _ in range(3):
        again = exactpwm.conv1d(x, W, threads=2)
        torch.nn.functional.conv1d(onehot, torch.from_numpy(W))
    assert n_threads() <= before + 1, ("threads=2 started more than one thread", before, n_threads())
    assert torch.get_num_threads() == 1, "exactpwm changed torch's thread setting"
    np.testing.assert_array_equal(again, ours)
    torch.set_num_threads(2)
    np.testing.assert_allclose(torch.nn.functional.conv1d(onehot, torch.from_numpy(W)).numpy(), ours,
                               rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(exactpwm.conv1d(x, W, threads=2), ours)
    print("ok", first, second)
""")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads through /proc")
@pytest.mark.parametrize("order", [("torch", "exactpwm"), ("exactpwm", "torch")])
def test_openmp_beside_pytorch_either_import_order(order):
    pytest.importorskip("torch")
    run = subprocess.run([sys.executable, "-c", _COEXIST, *order], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == f"ok {order[0]} {order[1]}"


@pytest.fixture(autouse=True)
def _sigint_as_at_a_terminal():
    """Ctrl-C raises KeyboardInterrupt here even when pytest runs as a background job (`pytest &`
    starts with SIGINT ignored, and children would inherit that)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _default_sigint():  # for subprocesses: Python installs its handler only where SIGINT is not ignored
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def _interrupt_after(delay: float, signum=signal.SIGINT) -> Iterator[list[float]]:
    """Send signum to this process after delay seconds (from a helper thread), unless the block has
    ended by then; yields [time sent]. The helper is gone when the block ends: a test that ends
    early cannot interrupt the next one."""
    sent: list[float] = []
    cancel = threading.Event()

    def fire():
        if not cancel.wait(delay):
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signum)

    helper = threading.Thread(target=fire, daemon=True)
    helper.start()
    try:
        yield sent
    finally:
        cancel.set()
        helper.join()


def _work(kind, backend, scale: int):
    """The engine call of a kind, doing ``scale`` units of work (work grows linearly with scale)."""
    rng = np.random.default_rng(3)
    if kind == "conv1d":  # much work per output value, a small output: kernels scale, not the sequence
        codes = rng.integers(0, 4, size=4_000_000, dtype=np.uint8)
        wide = rng.normal(size=(8, 4, 60 * scale)).astype(np.float32)
        return lambda: exactpwm.conv1d(codes[None], wide, strand="both", threads=2, backend=backend)
    codes = rng.integers(0, 4, size=300_000 * scale, dtype=np.uint8)
    if kind == "max_scores":
        W = rng.normal(size=(256, 4, 24)).astype(np.float32)
        return lambda: exactpwm.max_scores([codes], W, strand="both", threads=2, backend=backend)
    # every window scores exactly 24, just under the threshold: no pre-filter can drop a window, so
    # each one is scored in full, and none is a hit
    flat = np.ones((256, 4, 24), dtype=np.float32)
    return lambda: exactpwm.threshold_hits([codes], flat, 24.0001, strand="both", threads=2, backend=backend)


def _long_work(kind, backend, seconds: float = 1.5):
    """A call of that kind that takes ``seconds`` or more on this machine, so the signal sent at 0.3 s
    lands inside it: the work is sized from a timed call a tenth of the base size, and is never
    below the base size (seconds on the 2-core AVX-512 machine of 2026; on a much faster machine a
    fixed size ended before the signal)."""
    probe = _work(kind, backend, 10)
    start = time.perf_counter()
    probe()
    took = time.perf_counter() - start
    return _work(kind, backend, min(max(100, int(np.ceil(10 * seconds / max(took, 1e-6)))), 1_000))


@pytest.mark.skipif(not COMPILED, reason="the compiled core is not built")
@pytest.mark.parametrize("kind", ["max_scores", "threshold_hits", "conv1d"])
def test_ctrl_c_stops_a_long_engine_call_promptly(kind):
    work = _long_work(kind, COMPILED[-1])
    with _interrupt_after(0.3) as sent:
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            work()
        ended = time.perf_counter()
    assert sent, f"the call ended {ended - start:.3f} s after it began, before the signal was sent"
    assert ended - sent[0] < 1.0, "the engine did not stop within a second of Ctrl-C"
    assert ended - start < 5.0


@pytest.mark.skipif(not COMPILED, reason="the compiled core is not built")
def test_a_signal_handler_exception_is_what_the_call_raises():
    class Stop(Exception):
        pass

    def handler(signum, frame):
        raise Stop("SIGUSR1")

    W = np.random.default_rng(4).normal(size=(3, 4, 7))
    small = exactpwm.max_scores(["ACGTTGCAAGGCTTAGC", "TTTTGGGGCCCCAAAA"], W)
    old = signal.signal(signal.SIGUSR1, handler)
    try:
        work = _long_work("max_scores", COMPILED[-1])
        with _interrupt_after(0.3, signal.SIGUSR1), pytest.raises(Stop):
            work()
    finally:
        signal.signal(signal.SIGUSR1, old)
    again = exactpwm.max_scores(["ACGTTGCAAGGCTTAGC", "TTTTGGGGCCCCAAAA"], W)  # the engine still works
    np.testing.assert_array_equal(again.score, small.score)
    np.testing.assert_array_equal(again.start, small.start)


def _fasta_feeder(proc, bases: int):
    rng = np.random.default_rng(5)
    proc.stdin.write(b">chr1\n")
    for _ in range(bases // 1_000_000):
        proc.stdin.write(bytes(np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, 1_000_000)]) + b"\n")
    proc.stdin.flush()  # and keep stdin open: the scan waits for more


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_in_the_cli_leaves_no_partial_output(tmp_path, existing):
    motifs = tmp_path / "m.jaspar"
    motifs.write_text(">M1 site\nA [ 9 0 0 9 0 ]\nC [ 0 9 0 0 0 ]\nG [ 0 0 9 0 9 ]\nT [ 0 0 0 0 0 ]\n")
    out = tmp_path / "hits.tsv"
    if existing:
        out.write_text("an earlier result\n")
    proc = subprocess.Popen([sys.executable, "-m", "exactpwm.app.cli", "scan", str(motifs), "-", "-o", str(out),
                             "--thresh", "0.01", "-q"], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_default_sigint)
    _fasta_feeder(proc, 3_000_000)
    time.sleep(2.0)
    assert proc.poll() is None
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=10)
    finally:
        proc.kill()
    assert time.perf_counter() - sent < 5
    assert code == 130, proc.stderr.read().decode()
    assert "interrupted" in proc.stderr.read().decode()
    if existing:
        assert out.read_text() == "an earlier result\n"
    else:
        assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".exactpwm-")] == []
