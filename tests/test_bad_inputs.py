"""The bad- and edge-input corpus: every case states the behaviour users get.

Each case is ``(id, call, expected)``: ``call(tmp_path)`` runs one public entry point
on one odd input; ``expected`` is either ``(ExceptionType, regex)`` — a clear error
naming the problem — or a function that checks the documented result.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import exactpwm
import numpy as np
import pytest
from exactpwm.io.fasta import FastaError, read_fasta
from exactpwm.io.formats import MotifFormatError, read_motifs

SITE_PWM = exactpwm.one_hot("GATTACA", np.float64) * 0.97 + 0.0075
W3 = np.random.default_rng(0).normal(size=(2, 4, 3))


def fasta(tmp_path, data: bytes, name: str = "x.fa") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def motif_file(tmp_path, text: str, name: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def records(path) -> list[tuple[str, list[int]]]:
    return [(n, c.tolist()) for n, c in read_fasta(path)]


def meme(rows: str, head: str = "MEME version 4\n\n", alength: int = 4, w: int = 1) -> str:
    return f"{head}MOTIF m\nletter-probability matrix: alength= {alength} w= {w}\n{rows}"


def jaspar(last_row: str = "T [ 1 2 ]", a_row: str = "A [ 1 2 ]") -> str:
    return f">m x\n{a_row}\nC [ 1 2 ]\nG [ 1 2 ]\n{last_row}\n"


def cli(tmp_path, *argv) -> tuple[int, str]:
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", *argv], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    return run.returncode, run.stderr


def equals(expected):
    return lambda got: got == expected


def no_hits(table):
    return len(table) == 0


def scan_text(text: str, **kw):
    return exactpwm.scan([SITE_PWM], {"s": text}, pvalue=1e-3, **kw)


def conv_equal(kernels, codes="ACGTAC"):
    """The result equals the float64 C-contiguous, native-endian call."""
    ref = exactpwm.conv1d(codes, np.ascontiguousarray(kernels, dtype=np.float64))
    return lambda got: np.array_equal(np.asarray(got, dtype=np.float64), ref)


def has_file(name):
    return lambda tmp: os.path.exists(os.path.join(tmp, name))


BIG_ENDIAN = np.arange(12.0).reshape(4, 3).astype(">f8")
FORTRAN = np.asfortranarray(np.arange(12.0).reshape(4, 3))
STRIDED = np.arange(24.0).reshape(4, 6)[:, ::2]
_RNG = np.random.default_rng(7)
_GZ = gzip.compress(b">a\n" + bytes(np.frombuffer(b"ACGT", np.uint8)[_RNG.integers(0, 4, 100_000)]))
TRUNCATED_GZ = _GZ[: len(_GZ) // 2]
SITE34, SITE64 = ("".join("ACGT"[i] for i in _RNG.integers(0, 4, w)) for w in (34, 64))
FLANK = "".join("ACGT"[i] for i in _RNG.integers(0, 4, 50))

CASES = [
    # ---- FASTA files --------------------------------------------------------------
    ("fasta-empty", lambda t: records(fasta(t, b"")), equals([])),
    ("fasta-whitespace-only", lambda t: records(fasta(t, b"  \n\n\t\r\n")), equals([])),
    ("fasta-record-without-sequence", lambda t: records(fasta(t, b">a\n>b\nAC\n")), equals([("a", []), ("b", [0, 1])])),
    ("fasta-duplicate-names-kept", lambda t: records(fasta(t, b">a\nA\n>a\nT\n")), equals([("a", [0]), ("a", [3])])),
    ("fasta-windows-line-endings", lambda t: records(fasta(t, b">a x\r\nAC\r\nGT\r\n")), equals([("a", [0, 1, 2, 3])])),
    ("fasta-old-mac-line-endings", lambda t: records(fasta(t, b">a\nAC\rGT\n")), equals([("a", [0, 1, 2, 3])])),
    ("fasta-every-iupac-letter-is-N", lambda t: records(fasta(t, b">a\nRYSWKMBDHVNrySwkmbdhvn-\n")),
     equals([("a", [4] * 23)])),
    ("fasta-lowercase-soft-masked", lambda t: records(fasta(t, b">a\nacgtn\n")), equals([("a", [0, 1, 2, 3, 4])])),
    ("fasta-U-is-T", lambda t: records(fasta(t, b">a\nACGUu\n")), equals([("a", [0, 1, 2, 3, 3])])),
    ("fasta-digit", lambda t: records(fasta(t, b">a\nACGT\nAC1T\n")), (FastaError, r"line 3: unknown letter '1'")),
    ("fasta-stop-codon-star", lambda t: records(fasta(t, b">a\nAC*\n")), (FastaError, r"unknown letter '\*'")),
    ("fasta-nul-byte", lambda t: records(fasta(t, b">a\nAC\x00\n")), (FastaError, r"byte 0x00")),
    ("fasta-high-byte", lambda t: records(fasta(t, b">a\nAC\xff\n")), (FastaError, r"byte 0xff")),
    ("fasta-no-header", lambda t: records(fasta(t, b"ACGT\n")), (FastaError, r"before the first '>' header")),
    ("fasta-header-without-name", lambda t: records(fasta(t, b">\nACGT\n")), (FastaError, r"without a name")),
    ("fasta-truncated-gzip", lambda t: records(fasta(t, TRUNCATED_GZ, "x.fa.gz")), (FastaError, r"truncated")),
    ("fasta-gzip-name-but-plain", lambda t: records(fasta(t, b">a\nAC\n", "x.fa.gz")), equals([("a", [0, 1])])),
    ("fasta-missing-file", lambda t: records(str(t / "nope.fa")), (FileNotFoundError, r"nope.fa: no such file")),
    ("fasta-directory", lambda t: records(str(t)), (IsADirectoryError, r"is a directory")),
    ("scan-missing-file-path", lambda t: exactpwm.scan([SITE_PWM], "no/such.fa"),
     (FileNotFoundError, r"no/such.fa")),
    # ---- sequences in memory ---------------------------------------------------------
    ("seq-shorter-than-motif", lambda t: scan_text("ACG"), no_hits),
    ("seq-empty", lambda t: scan_text(""), no_hits),
    ("seq-all-N", lambda t: scan_text("N" * 100), no_hits),
    ("seq-site-next-to-N-still-found", lambda t: scan_text("NNNGATTACANNN").rows["start"].tolist(), equals([3])),
    ("seq-window-with-N-never-a-hit", lambda t: scan_text("GATNACA"), no_hits),
    ("seq-maxima-short-is-minus-inf", lambda t: exactpwm.sequence_maxima([SITE_PWM], {"s": "AC"}).start.tolist(),
     equals([[-1]])),
    ("seq-unknown-letter", lambda t: exactpwm.encode("ACGZ"), (ValueError, r"unknown letter 'Z' at position 3")),
    ("seq-unknown-letter-as-N-on-request", lambda t: exactpwm.encode("ACGZ", unknown="N").tolist(), equals([0, 1, 2, 4])),
    ("seq-codes-out-of-range", lambda t: exactpwm.conv1d(np.array([0, 9], np.uint8), W3), (ValueError, r"codes 0..4")),
    ("seq-codes-float", lambda t: exactpwm.conv1d(np.zeros(8), W3), (TypeError, r"integer array")),
    ("seq-codes-negative", lambda t: exactpwm.conv1d(np.array([0, -1, 2]), W3), (ValueError, r"codes 0..4")),
    ("seq-codes-big-endian-int", lambda t: exactpwm.conv1d(np.array([0, 1, 2, 3], ">i4"), W3).tolist(),
     equals(exactpwm.conv1d("ACGT", W3).tolist())),
    ("seq-codes-strided", lambda t: exactpwm.conv1d(np.array([0, 9, 1, 9, 2, 9, 3], np.uint8)[::2], W3).tolist(),
     equals(exactpwm.conv1d("ACGT", W3).tolist())),
    ("seq-conv1d-shorter-than-kernel", lambda t: exactpwm.conv1d("AC", W3).shape, equals((2, 0))),
    # ---- kernels -------------------------------------------------------------------------
    ("kernel-nan", lambda t: exactpwm.kernel_to_pwm(np.where(np.eye(4, 3) > 0, np.nan, 0.0)), (ValueError, r"non-finite value \(nan\)")),
    ("kernel-inf", lambda t: exactpwm.conv1d("ACGT", np.full((4, 2), -np.inf)), (ValueError, r"non-finite value \(-inf\)")),
    ("kernel-huge-weights-exact", lambda t: exactpwm.kernel_to_pwm(np.array([[1e300], [-1e300], [0], [0]]))[0][:, 0].tolist(),
     equals([1.0, 0.0, 0.0, 0.0])),
    ("kernel-too-large-to-sum", lambda t: exactpwm.conv1d("ACGT", np.full((4, 2), 1e308)), (ValueError, r"too large to sum")),
    ("kernel-base-times-weights-overflow", lambda t: exactpwm.kernel_to_pwm(np.full((4, 2), 1e306), 1e300),
     (ValueError, r"overflows")),
    ("kernel-20-rows-protein", lambda t: exactpwm.kernel_to_pwm(np.ones((20, 3))), (ValueError, r"shape \(4, L\)")),
    ("kernel-transposed", lambda t: exactpwm.kernel_to_pwm(np.ones((7, 4))), (ValueError, r"looks like \(L, 4\)")),
    ("kernel-width-0", lambda t: exactpwm.conv1d("ACGT", np.ones((4, 0))), (ValueError, r"L >= 1")),
    ("kernel-complex", lambda t: exactpwm.conv1d("ACGT", np.ones((4, 2), complex)), (TypeError, r"real-valued")),
    ("kernel-object", lambda t: exactpwm.conv1d("ACGT", np.array([[1, 2]] * 4, object)), (TypeError, r"real-valued")),
    ("kernel-strings", lambda t: exactpwm.conv1d("ACGT", np.array([["a", "b"]] * 4)), (TypeError, r"numeric")),
    ("kernel-int-as-float64", lambda t: exactpwm.conv1d("ACGTAC", np.arange(12).reshape(4, 3)), conv_equal(np.arange(12).reshape(4, 3))),
    ("kernel-float16-as-float64", lambda t: exactpwm.conv1d("ACGTAC", np.arange(12).reshape(4, 3).astype(np.float16)),
     conv_equal(np.arange(12).reshape(4, 3))),
    ("kernel-big-endian", lambda t: exactpwm.conv1d("ACGTAC", BIG_ENDIAN), conv_equal(BIG_ENDIAN)),
    ("kernel-fortran-order", lambda t: exactpwm.conv1d("ACGTAC", FORTRAN), conv_equal(FORTRAN)),
    ("kernel-strided-view", lambda t: exactpwm.conv1d("ACGTAC", STRIDED), conv_equal(STRIDED)),
    ("kernel-nan-bias", lambda t: exactpwm.conv1d("ACGT", W3, bias=[0.0, np.nan]), (ValueError, r"bias")),
    ("kernel-bias-wrong-length", lambda t: exactpwm.conv1d("ACGT", W3, bias=[0.0]), (ValueError, r"bias")),
    ("threads-negative", lambda t: exactpwm.conv1d("ACGT", W3, threads=-1), (ValueError, r"threads must be >= 0")),
    ("threads-bool", lambda t: exactpwm.conv1d("ACGT", W3, threads=True), (TypeError, r"threads must be an integer")),
    ("dtype-float16-requested", lambda t: exactpwm.conv1d("ACGT", W3, dtype=np.float16), (TypeError, r"float32 or float64")),
    ("backend-unknown", lambda t: exactpwm.conv1d("ACGT", W3, backend="gpu"), (ValueError, r"unknown backend")),
    # ---- bases -------------------------------------------------------------------------------
    ("base-1", lambda t: exactpwm.kernel_to_pwm(W3, 1.0), (ValueError, r"base must be a finite real number > 1")),
    ("base-below-1", lambda t: exactpwm.kernel_to_pwm(W3, 0.5), (ValueError, r"> 1, got 0.5")),
    ("base-inf", lambda t: exactpwm.pwm_to_kernel(np.full((4, 2), 0.25), np.inf), (ValueError, r"> 1, got inf")),
    ("base-nan", lambda t: exactpwm.kernel_to_pwm(W3, np.nan), (ValueError, r"> 1, got nan")),
    ("base-string", lambda t: exactpwm.kernel_to_pwm(W3, "2"), (TypeError, r"base must be a real number")),
    # ---- PWMs ---------------------------------------------------------------------------------
    ("pwm-zero-probability", lambda t: exactpwm.pwm_to_kernel(np.array([[1.0], [0], [0], [0]])),
     (ValueError, r"zero probability \(motif 0, row C, column 0\).*pseudocount")),
    ("pwm-zero-with-pseudocount", lambda t: bool(np.isfinite(exactpwm.pwm_to_kernel(np.array([[1.0], [0], [0], [0]]),
                                                                                  epsilon=0.01)[0]).all()),
     equals(True)),
    ("pwm-all-ones", lambda t: exactpwm.pwm_to_kernel(np.ones((4, 2))), (ValueError, r"column 0 sums to 4")),
    ("pwm-columns-not-summing-to-1", lambda t: exactpwm.pwm_to_kernel(np.full((4, 2), 0.3)), (ValueError, r"sum to 1")),
    ("pwm-negative", lambda t: exactpwm.pwm_to_kernel(np.array([[1.5], [-0.5], [0], [0]])), (ValueError, r"negative")),
    ("pwm-scan-zero-with-pseudocount-0", lambda t: exactpwm.scan([np.array([[1.0], [0], [0], [0]])], {"s": "ACGT"},
                                                                  pseudocount=0),
     (ValueError, r"motif 0: has a zero probability .* pseudocount=0 .* give pseudocount > 0")),
    ("pwm-scan-zero-default-pseudocount", lambda t: exactpwm.scan([np.array([[1.0], [0], [0], [0]])], {"s": "ACGT"},
                                                                   pvalue=0.5).rows["start"].tolist(), equals([0, 3])),
    ("pwm-width-1", lambda t: len(exactpwm.scan([np.array([[0.7], [0.1], [0.1], [0.1]])], {"s": "ACGTAAA"}, pvalue=0.5)),
     equals(4 + 1)),  # A on + (4 positions) and T on - (1)
    ("pwm-width-34", lambda t: exactpwm.scan([exactpwm.one_hot(SITE34) * 0.9 + 0.025],
                                             {"s": FLANK + SITE34 + FLANK}, pvalue=1e-12).rows["start"].tolist(),
     equals([50])),
    ("pwm-width-64", lambda t: exactpwm.scan([exactpwm.one_hot(SITE64) * 0.9 + 0.025],
                                             {"s": FLANK + exactpwm.reverse_complement(SITE64)}, pvalue=1e-20)
     .rows[["start", "strand"]].tolist(), equals([(50, b"-")])),
    ("background-not-summing-to-1", lambda t: exactpwm.scan([SITE_PWM], {"s": "ACGT"}, background=[0.5, 0.5, 0.5, 0.5]),
     (ValueError, r"background")),
    ("background-zero", lambda t: exactpwm.scan([SITE_PWM], {"s": "ACGT"}, background=[0.5, 0.5, 0.0, 0.0]),
     (ValueError, r"background")),
    # ---- motif files ---------------------------------------------------------------------------
    ("motif-file-empty", lambda t: read_motifs(motif_file(t, "", "e.meme")), (MotifFormatError, r"e.meme:1: expected")),
    ("motif-file-binary", lambda t: read_motifs(motif_file(t, "\x00\x01garbage", "b.meme")), (MotifFormatError, r"b.meme:1")),
    ("motif-file-missing", lambda t: read_motifs(str(t / "none.meme")), (FileNotFoundError, r"none.meme")),
    ("meme-protein-alphabet", lambda t: read_motifs(motif_file(t, "MEME version 4\n\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n\n", "p.meme")),
     (MotifFormatError, r"p.meme:3: expected the DNA alphabet")),
    ("meme-rna-alphabet-read-as-dna", lambda t: read_motifs(motif_file(t, meme("0.1 0.2 0.3 0.4\n", "MEME version 4\n\nALPHABET= ACGU\n\n"),
                                                                      "r.meme")).motifs[0].pwm[:, 0].tolist(),
     equals([0.1, 0.2, 0.3, 0.4])),
    ("meme-alength-5", lambda t: read_motifs(motif_file(t, meme("0.2 0.2 0.2 0.2 0.2\n", alength=5), "a.meme")),
     (MotifFormatError, r"alength= 4")),
    ("meme-nan", lambda t: read_motifs(motif_file(t, meme("nan 0.2 0.3 0.5\n"), "n.meme")), (MotifFormatError, r"n.meme:5: .*finite")),
    ("meme-column-sum-2", lambda t: read_motifs(motif_file(t, meme("0.5 0.5 0.5 0.5\n"), "s.meme")), (MotifFormatError, r"sums to 2")),
    ("meme-fewer-rows-than-w", lambda t: read_motifs(motif_file(t, meme("0.1 0.2 0.3 0.4\n", w=3), "w.meme")),
     (MotifFormatError, r"expected 3 rows")),
    ("jaspar-negative-count", lambda t: read_motifs(motif_file(t, jaspar(a_row="A [ -1 2 ]"), "n.jaspar")),
     (MotifFormatError, r"n.jaspar:2: .*non-negative")),
    ("jaspar-unknown-row-letter", lambda t: read_motifs(motif_file(t, jaspar("X [ 1 2 ]"), "x.jaspar")), (MotifFormatError, r"x.jaspar:5")),
    ("jaspar-ragged-rows", lambda t: read_motifs(motif_file(t, jaspar("T [ 1 2 3 ]"), "r.jaspar")), (MotifFormatError, r"r.jaspar")),
    ("transfac-protein-columns", lambda t: read_motifs(motif_file(t, "ID m\nP0 A C D E\n01 1 2 3 4\nXX\n//\n", "p.transfac")),
     (MotifFormatError, r"p.transfac:2: expected columns A C G T")),
    ("homer-five-columns", lambda t: read_motifs(motif_file(t, ">ACG\tm\t5.0\n0.1 0.2 0.3 0.2 0.2\n", "h.motif")),
     (MotifFormatError, r"h.motif:2: expected 4 numbers")),
    ("motif-duplicate-names-kept", lambda t: read_motifs(motif_file(t, jaspar() + jaspar(), "d.jaspar")).names,
     equals(["m", "m"])),
    # ---- outputs: nothing the user gave is overwritten --------------------------------------------
    ("cli-scan-output-is-input", lambda t: cli(t, "scan", motif_file(t, jaspar(), "m.jaspar"), fasta(t, b">a\nACGT\n"),
                                               "-o", str(t / "x.fa"))[0], equals(2)),
    ("cli-convert-output-is-input", lambda t: cli(t, "convert", motif_file(t, jaspar(), "m.jaspar"), "-o",
                                                  str(t / "m.jaspar"))[0], equals(2)),
    ("cli-track-duplicate-sequence-names", lambda t: cli(t, "track", motif_file(t, jaspar(), "m.jaspar"),
                                                         fasta(t, b">a\nACGTA\n>a\nACGTA\n"), "-o", "t.bedGraph"),
     lambda r: r[0] == 1 and "'a' appears twice" in r[1]),
    ("cli-track-duplicate-motif-names-two-files", lambda t: (cli(t, "track", motif_file(t, jaspar() + jaspar(), "d.jaspar"),
                                                                 fasta(t, b">a\nACGTA\n"), "-o", "tracks")[0],
                                                             sorted(os.listdir(t / "tracks"))),
     equals((0, ["m.bedGraph", "m_2.bedGraph"]))),
]

# ---- round 2: outputs that are not plain files, late checks, silent losses, crashes ---------------------


def scan_to(t, out, *extra):
    """(exit code, stderr) of a small scan writing to ``out``."""
    return cli(t, "scan", motif_file(t, jaspar(), "m.jaspar"), fasta(t, b">a\nACGTACGTAC\n"), "-o", str(out), *extra)


def fifo_output(t):
    """scan -o a named pipe: written through (a reader gets the hits), the pipe stays a pipe."""
    import stat
    import threading

    pipe = t / "pipe"
    os.mkfifo(pipe)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(pipe).read()))
    reader.start()
    code, _ = scan_to(t, pipe, "--thresh", "1")
    reader.join(30)
    return code, stat.S_ISFIFO(os.lstat(pipe).st_mode), got[0].startswith("motif_id") if got else False


def symlink_output(t):
    (t / "real.tsv").write_text("old")
    os.symlink("real.tsv", t / "link.tsv")
    code, _ = scan_to(t, t / "link.tsv")
    return code, os.path.islink(t / "link.tsv"), (t / "real.tsv").read_text().startswith("motif_id")


def leftovers(t):
    return sorted(p.name for p in t.rglob(".exactpwm-*"))


def folder_output(t):
    (t / "out").mkdir()
    code, err = scan_to(t, t / "out")
    return code, "is a folder" in err, leftovers(t)


def offsets_is_input(t):
    np.save(t / "k.npy", W3)
    code, err = cli(t, "convert", str(t / "k.npy"), "-o", str(t / "out.meme"), "--offsets", str(t / "k.npy"))
    return code, os.path.exists(t / "out.meme"), "input" in err


def failed_rename_names_the_path(t):
    """A write that fails at the end (disk full at rename): the error names the user's path, no temp file stays."""
    from unittest import mock

    from exactpwm.io.files import atomic_output

    target = t / "hits.tsv"
    target.write_text("old")
    full = OSError(28, "No space left on device")
    with mock.patch("exactpwm.io.files.replace_file", side_effect=full):
        try:
            with atomic_output(target) as f:
                f.write("new")
        except OSError as exc:
            return str(target) in str(exc), ".exactpwm" in str(exc), target.read_text(), leftovers(t)
    return None


def failed_body_leaves_nothing(t):
    from exactpwm.io.files import atomic_output

    try:
        with atomic_output(t / "x.tsv") as f:
            f.write("partial")
            raise RuntimeError("scan failed")
    except RuntimeError:
        pass
    return os.path.exists(t / "x.tsv"), leftovers(t)


def cli_threads(t, j):
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "scan", motif_file(t, jaspar(), "m.jaspar"),
                          fasta(t, b">a\nACGTACGTAC\n"), "--thresh", "0.5", "-j", str(j)],
                         cwd=t, capture_output=True, text=True, timeout=120)
    return run.returncode, [ln for ln in run.stdout.splitlines() if not ln.startswith("#")]


def torch_file(t, what):
    torch = pytest.importorskip("torch")
    conv = torch.nn.Sequential(torch.nn.Conv1d(4, 3, 5), torch.nn.ReLU())
    path = t / f"{what}.pt"
    if what == "whole-module":
        torch.save(conv, path)
    elif what in ("bfloat16", "float16"):
        torch.save({k: v.to(getattr(torch, what)) for k, v in conv.state_dict().items()}, path)
    elif what == "truncated":
        torch.save(conv.state_dict(), path)
        path.write_bytes(path.read_bytes()[:300])
    elif what == "garbage":
        path.write_bytes(bytes(range(256)) * 4)
    elif what == "malicious":
        import pickle

        class Evil:
            def __reduce__(self):
                return (os.system, (f"touch {t / 'PWNED'}",))

        path.write_bytes(pickle.dumps(Evil()))
    code, err = cli(t, "convert", str(path), "-o", str(t / "out.meme"))
    return code, err.count("\n"), "Traceback" in err, os.path.exists(t / "PWNED"), err


def torch_ok(code_lines_tb_pwned_err):
    code, lines, tb, pwned, _ = code_lines_tb_pwned_err
    return code == 0 and not tb and not pwned


def torch_refused(fix):
    def check(r):
        code, lines, tb, pwned, err = r
        return code == 1 and lines == 1 and not tb and not pwned and fix in err
    return check


def zstd_without_package(t):
    from unittest import mock

    with mock.patch.dict(sys.modules, {"zstandard": None}):
        return records(fasta(t, b"\x28\xb5\x2f\xfd" + b"\x00" * 20, "x.fa.zst"))


def duplicate_ids_scan(t):
    import warnings

    pwm = exactpwm.one_hot("GATTACA", np.float64) * 0.97 + 0.0075
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hits = exactpwm.scan([pwm, pwm], {"s": "CCGATTACACC"}, names=["m", "m"], pvalue=1e-3)
    return hits.motif_names, sorted({hits.motif_names[i] for i in hits.rows["motif"]}), \
        any("renamed" in str(w.message) for w in caught)


def unreachable_warns(t):
    import warnings

    flat = np.full((4, 5), 0.25)
    flat[0] += 0.01
    flat[1] -= 0.01
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exactpwm.scan([flat, SITE_PWM], {"s": "ACGT" * 5}, names=["flat5", "site"], pvalue=1e-4)
    return [str(w.message) for w in caught if "never reach" in str(w.message)]


def missing_input_stdout(t):
    run = subprocess.run([sys.executable, "-m", "exactpwm.app.cli", "scan", motif_file(t, jaspar(), "m.jaspar"),
                          str(t / "missing.fa")], cwd=t, capture_output=True, text=True, timeout=120)
    return run.returncode, run.stdout, "missing.fa" in run.stderr


CASES += [
    ("out-fifo-written-through", fifo_output, equals((0, True, True))),
    ("out-dev-stdout-written-through", lambda t: subprocess.run(
        [sys.executable, "-m", "exactpwm.app.cli", "scan", motif_file(t, jaspar(), "m.jaspar"), fasta(t, b">a\nACGT\n"),
         "-o", "/dev/stdout", "--thresh", "1"], cwd=t, capture_output=True, text=True, timeout=120).stdout
     .startswith("motif_id"), equals(True)),
    ("out-dev-null-is-write-through", lambda t: __import__("exactpwm.io.files", fromlist=["x"])._write_through("/dev/null"),
     equals(True)),
    ("out-symlink-replaces-target-not-link", symlink_output, equals((0, True, True))),
    ("out-folder-refused-before-work", folder_output, equals((2, True, []))),
    ("out-missing-folder-refused", lambda t: scan_to(t, t / "no" / "x.tsv"),
     lambda r: r[0] == 2 and "does not exist" in r[1]),
    ("out-offsets-is-input-checked-first", offsets_is_input, equals((2, False, True))),
    ("out-device-full-names-path", lambda t: scan_to(t, "/dev/full", "--thresh", "1"),
     lambda r: r[0] == 1 and "/dev/full" in r[1] and "No space left" in r[1]),
    ("out-failed-rename-names-path-no-temp", failed_rename_names_the_path, equals((True, False, "old", []))),
    ("out-failed-run-leaves-nothing", failed_body_leaves_nothing, equals((False, []))),
    ("fasta-cr-only-line-endings", lambda t: records(fasta(t, b">a x\rAC\rGT\r>b\rTT\r")),
     equals([("a", [0, 1, 2, 3]), ("b", [3, 3])])),
    ("fasta-cr-only-gzip", lambda t: records(fasta(t, gzip.compress(b">a\rAC\rGT\r\r>b\rTT"), "x.fa.gz")),
     equals([("a", [0, 1, 2, 3]), ("b", [3, 3])])),
    ("fasta-zstd-named", zstd_without_package, (FastaError, r"zstd-compressed; decompress it first")),
    ("fasta-zip-named", lambda t: records(fasta(t, b"PK\x03\x04" + b"\x00" * 30, "x.fa.zip")),
     (FastaError, r"zip-compressed")),
    ("meme-more-rows-than-w", lambda t: read_motifs(motif_file(t, meme("0.1 0.2 0.3 0.4\n" * 3, w=2), "w.meme")),
     (MotifFormatError, r"w.meme:7: motif m has w= 2 but 3 rows")),
    ("threads-absurd-capped", lambda t: cli_threads(t, 100000) == cli_threads(t, 1), equals(True)),
    ("threads-absurd-api", lambda t: exactpwm.conv1d("ACGTAC", W3, threads=100000).tolist(),
     equals(exactpwm.conv1d("ACGTAC", W3, threads=1).tolist())),
    ("torch-whole-pickled-module", lambda t: torch_file(t, "whole-module"), torch_refused("model.state_dict()")),
    ("torch-truncated-zip", lambda t: torch_file(t, "truncated"), torch_refused("truncated or damaged")),
    ("torch-garbage-bytes", lambda t: torch_file(t, "garbage"), torch_refused("not a PyTorch file")),
    ("torch-malicious-pickle-runs-nothing", lambda t: torch_file(t, "malicious"), torch_refused("PyTorch file")),
    ("torch-bfloat16-state-dict", lambda t: torch_file(t, "bfloat16"), torch_ok),
    ("torch-float16-state-dict", lambda t: torch_file(t, "float16"), torch_ok),
    ("matrix-1e308-scan", lambda t: exactpwm.scan([np.full((4, 2), 1e308)], {"s": "ACGT"}, mode="matrix", score=0),
     (ValueError, r"motif 0: a score of magnitude 1e\+308 is too large for the score grid")),
    ("kernel-offset-overflow", lambda t: exactpwm.kernel_to_pwm(np.full((4, 2), 1e308)), (ValueError, r"offset .* overflows")),
    ("kernel-offset-underflow", lambda t: exactpwm.kernel_to_pwm(np.full((4, 2), -1e308)), (ValueError, r"overflows")),
    ("cli-track-file-name-several-motifs", lambda t: cli(t, "track", motif_file(t, jaspar() + jaspar(), "d.jaspar"),
                                                         fasta(t, b">a\nACGTA\n"), "-o", "all.bedGraph"),
     lambda r: r[0] == 2 and "names one file" in r[1]),
    ("scan-duplicate-ids-renamed", duplicate_ids_scan, equals((["m", "m_2"], ["m", "m_2"], True))),
    ("scan-unreachable-motif-warned", unreachable_warns, lambda msgs: len(msgs) == 1 and "flat5" in msgs[0]
     and "site" not in msgs[0].split(":")[-1]),
    ("cli-missing-input-no-header", missing_input_stdout, equals((1, "", True))),
    ("scan-str-neither-file-nor-sequence", lambda t: exactpwm.scan([SITE_PWM], "genome"),
     (FileNotFoundError, r"'genome': no such file, and not a DNA sequence either")),
    ("scan-missing-pathlib-path", lambda t: exactpwm.scan([SITE_PWM], t / "acgt"), (FileNotFoundError, r"acgt: no such file")),
    ("scan-str-of-letters-is-a-sequence", lambda t: scan_text("CCGATTACACC").rows["start"].tolist(), equals([2])),
]


@pytest.mark.slow
@pytest.mark.parametrize("case_id, call, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_and_edge_inputs(tmp_path, case_id, call, expected):
    if isinstance(expected, tuple) and isinstance(expected[0], type) and issubclass(expected[0], BaseException):
        with pytest.raises(expected[0], match=expected[1]):
            call(tmp_path)
    else:
        got = call(tmp_path)
        assert expected(got), f"{case_id}: unexpected result {got!r}"


def test_corpus_size():
    assert len(CASES) >= 50
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path):
    path = fasta(tmp_path, b">a\nACGT\n")
    os.chmod(path, 0)
    with pytest.raises(PermissionError):
        records(path)
    code, err = cli(tmp_path, "scan", motif_file(tmp_path, jaspar(), "m.jaspar"), path)
    assert code == 1 and "Permission denied" in err
