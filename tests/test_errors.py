"""Bad input gets a ValueError/TypeError that names the problem."""

import math

import exactpwm
import numpy as np
import pytest


@pytest.mark.parametrize(
    "kernels, exc, message",
    [
        (np.zeros((3, 5)), ValueError, r"shape \(4, L\)"),
        (np.zeros((5, 4)), ValueError, r"looks like \(L, 4\)"),
        (np.zeros((2, 5, 4)), ValueError, r"\(K, 4, L\)"),
        (np.zeros((2, 4, 0)), ValueError, "L >= 1"),
        (np.zeros((1, 1, 4, 3)), ValueError, "4-D"),
        (np.array([[np.nan, 0], [0, 0], [0, 0], [0, 0]]), ValueError, "non-finite value"),
        (np.full((4, 2), np.inf), ValueError, "non-finite value"),
        (np.array([["a", "b"]] * 4), TypeError, "numeric"),
    ],
)
def test_bad_kernels(kernels, exc, message):
    with pytest.raises(exc, match=message):
        exactpwm.kernel_to_pwm(kernels)
    with pytest.raises(exc, match=message):
        exactpwm.conv1d("ACGTACGT", kernels)


@pytest.mark.parametrize("base", [1.0, 0.5, 0, -2, math.inf, math.nan])
def test_bad_base_values(base):
    with pytest.raises(ValueError, match="base must be a finite real number > 1"):
        exactpwm.kernel_to_pwm(np.zeros((4, 3)), base)
    with pytest.raises(ValueError, match="base must be"):
        exactpwm.pwm_to_kernel(np.full((4, 3), 0.25), base)


@pytest.mark.parametrize("base", ["2", None, True])
def test_bad_base_types(base):
    with pytest.raises(TypeError, match="base must be a real number"):
        exactpwm.kernel_to_pwm(np.zeros((4, 3)), base)


def test_base_times_weights_overflow():
    with pytest.raises(ValueError, match="overflows"):
        exactpwm.kernel_to_pwm(np.full((4, 2), 1e306), 1e300)


@pytest.mark.parametrize(
    "pwm, message",
    [
        (np.full((4, 3), 0.3), "columns must sum to 1"),
        (np.array([[0.5, 0.5], [0.5, 0.5], [0.5, -0.5], [-0.5, 0.5]]), "negative probability"),
        (np.array([[1.0], [0.0], [0.0], [0.0]]), "zero probability .* pseudocount"),
        (np.full((4, 3), np.nan), "non-finite"),
    ],
)
def test_bad_pwms(pwm, message):
    with pytest.raises(ValueError, match=message):
        exactpwm.pwm_to_kernel(pwm)


def test_bad_epsilon():
    with pytest.raises(ValueError, match="epsilon"):
        exactpwm.pwm_to_kernel(np.full((4, 2), 0.25), epsilon=-1)


def test_bad_bias():
    with pytest.raises(ValueError, match="bias must be"):
        exactpwm.kernel_to_pwm(np.zeros((2, 4, 3)), bias=[1, 2, 3])
    with pytest.raises(ValueError, match="bias has a non-finite"):
        exactpwm.conv1d("ACGT", np.zeros((1, 4, 2)), bias=[np.nan])


def test_bad_strand_threads_dtype():
    W = np.zeros((1, 4, 2))
    with pytest.raises(ValueError, match="strand must be"):
        exactpwm.conv1d("ACGT", W, strand="+-")
    with pytest.raises(ValueError, match="threads must be >= 0"):
        exactpwm.conv1d("ACGT", W, threads=-1)
    with pytest.raises(TypeError, match="threads must be an integer"):
        exactpwm.conv1d("ACGT", W, threads=1.5)
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        exactpwm.conv1d("ACGT", W, dtype=np.int32)


def test_unknown_letters_in_scoring():
    with pytest.raises(ValueError, match="unknown letter '!' at position 2"):
        exactpwm.conv1d("AC!T", np.zeros((4, 2)))
    with pytest.raises(ValueError, match="sequence 1: .*unknown letter"):
        exactpwm.max_scores(["ACGT", "AC1T"], np.zeros((4, 2)))


def test_codes_out_of_range():
    with pytest.raises(ValueError, match="codes 0..4"):
        exactpwm.conv1d(np.array([0, 1, 9], dtype=np.uint8), np.zeros((4, 2)))


def test_weights_too_large_to_sum():
    with pytest.raises(ValueError, match="too large"):
        exactpwm.conv1d("ACGTACGT", np.full((4, 3), 3e38, dtype=np.float32))


def test_bad_packed_offsets():
    with pytest.raises(ValueError, match="non-decreasing offsets"):
        exactpwm.max_scores((np.zeros(10, np.uint8), np.array([0, 5, 3])), np.zeros((4, 2)))


def test_a_scan_larger_than_memory_is_a_one_line_error(tmp_path):
    """Every window a hit (a score threshold below every score) on 2 Mbp with 20 motifs, under an
    address-space limit: the engine's allocation fails inside its parallel region, and the command
    says so in one line (exit 1), with no traceback and no abort."""
    import subprocess
    import sys

    from exactpwm.io.formats.meme import write_meme

    if exactpwm.backends()["cpp"].get("sanitizers") or not exactpwm.backends()["cpp"]["available"]:
        pytest.skip("needs the compiled core without the sanitizer runtime (it reserves address space)")
    rng = np.random.default_rng(0)
    motifs = exactpwm.MotifSet([exactpwm.Motif(f"m{i}", rng.dirichlet(np.ones(4), size=10).T) for i in range(20)])
    with open(tmp_path / "m.meme", "w") as f:
        write_meme(motifs, f)
    (tmp_path / "s.fa").write_text(">s\n" + "".join(rng.choice(list("ACGT"), 2_000_000)) + "\n")
    code = ("import resource, sys\n"
            "from exactpwm.app.cli import main\n"
            "import numpy, exactpwm.jobs.scan, exactpwm.scanning.scan\n"
            "size = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
            "resource.setrlimit(resource.RLIMIT_AS, (size + (300 << 20), resource.RLIM_INFINITY))\n"
            f"sys.exit(main(['scan', {str(tmp_path / 'm.meme')!r}, {str(tmp_path / 's.fa')!r}, '--score=-1e9',"
            f" '-o', {str(tmp_path / 'hits.tsv')!r}, '-q']))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "exactpwm scan: error: out of memory" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "hits.tsv").exists()
