"""The compiled hit writer: byte for byte the lines of the Python reference writer."""

from __future__ import annotations

import io

import exactpwm
import numpy as np
import pytest
from exactpwm.core.backends import resolve_backend
from exactpwm.scanning.hits import HitWriter, hit_dtype

pytestmark = pytest.mark.skipif(resolve_backend("auto")[0] != "cpp", reason="needs the compiled core")


def random_rows(n: int, seed: int = 0, width: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = np.zeros(n, hit_dtype(width))
    rows["motif"] = rng.integers(0, 3, n)
    rows["sequence"] = rng.integers(0, 4, n)
    rows["start"] = rng.integers(0, 1 << 40, n)
    rows["end"] = rows["start"] + rng.integers(1, width + 1, n)
    rows["strand"] = np.where(rng.random(n) < 0.5, b"+", b"-")
    scores = np.round(rng.normal(0, 20, n) * 1024) / 1024  # on the scan grid
    scores[: n // 4] = rng.normal(0, 1, n // 4) * 10.0 ** rng.integers(-20, 20, n // 4)  # any float
    rows["score"] = scores
    rows["pvalue"] = 10.0 ** rng.uniform(-320, 0, n)
    rows["qvalue"] = np.where(rng.random(n) < 0.3, np.nan, 10.0 ** rng.uniform(-30, 0, n))
    letters = np.frombuffer(b"ACGTN", np.uint8)
    for i in range(n):
        w = int(rows["end"][i] - rows["start"][i])
        rows["matched"][i] = letters[rng.integers(0, 5, w)].tobytes()
    return rows


MOTIFS = ["MA0139.1", "odd name;=%", "ünïcode"]
ALTS = ["CTCF", "", "a b"]
SEQS = ["chr1", "chr 2", "peak:100-200", "ß"]


@pytest.mark.parametrize("fmt", ["tsv", "fimo", "bed", "gff"])
@pytest.mark.parametrize("names", ["lists", "dicts"])
def test_engine_lines_equal_python_lines(fmt, names):
    rows = random_rows(3000, seed=len(fmt))
    motifs = dict(enumerate(MOTIFS)) if names == "dicts" else MOTIFS
    alts = dict(enumerate(ALTS)) if names == "dicts" else ALTS
    out = {}
    for backend in ("auto", "python"):
        f = io.StringIO()
        w = HitWriter(f, fmt, motifs, SEQS, alts, "exactpwm scan x", backend=backend)
        for part in np.array_split(rows, 7):  # streamed in chunks: GFF ids keep counting
            w.write(part)
        w.close()
        out[backend] = f.getvalue()
    assert out["auto"] == out["python"]


def test_binary_file_gets_the_same_bytes(tmp_path):
    rows = random_rows(500, seed=3)
    for backend in ("auto", "python"):
        with open(tmp_path / f"{backend}.tsv", "w") as f:
            w = HitWriter(f, "tsv", MOTIFS, SEQS, ALTS, "cmd", backend=backend)
            w.write(rows)
            w.close()
    assert (tmp_path / "auto.tsv").read_bytes() == (tmp_path / "python.tsv").read_bytes()


def test_numbers_as_python_writes_them():
    from exactpwm import _core

    rng = np.random.default_rng(9)
    values = [0.0, -0.0, 1e16, 1e-5, 1e-4, 5e-324, 1.7976931348623157e308, np.inf, -np.inf, np.nan]
    values += list(rng.normal(size=5000) * 10.0 ** rng.integers(-40, 40, 5000))
    assert [_core.format_repr(float(v)) for v in values] == [repr(float(v)) for v in values]
    assert [_core.format_g3(float(v)) for v in values] == [format(float(v), ".3g") for v in values]


def test_bad_rows_are_refused():
    from exactpwm import _core

    rows = random_rows(3)
    with pytest.raises(ValueError, match="out of range"):
        _core.format_hits(rows, np.array([0, 1, 9]), "bed", MOTIFS, ALTS, SEQS, [], [], [], 1)
    with pytest.raises(ValueError, match="structured"):
        _core.format_hits(np.zeros(3), np.zeros(3, np.int64), "bed", MOTIFS, ALTS, SEQS, [], [], [], 1)


def test_scan_table_writes_identically(tmp_path):
    rng = np.random.default_rng(2)
    seqs = {f"s{i}": "".join(rng.choice(list("ACGTN"), 300)) for i in range(20)}
    pwm = exactpwm.one_hot("GATTACA", np.float64) * 0.9 + 0.025
    hits = exactpwm.scan([pwm, pwm[:, ::-1]], seqs, pvalue=0.05, qvalues=True)
    assert len(hits) > 10
    texts = []
    for backend in ("auto", "python"):
        f = io.StringIO()
        w = HitWriter(f, "gff", hits.motif_names, hits.sequence_names, None, "c", backend=backend)
        w.write(hits.rows)
        w.close()
        texts.append(f.getvalue())
    assert texts[0] == texts[1]


@pytest.mark.slow
def test_threads_do_not_change_the_bytes():
    rows = random_rows(40_000, seed=11)  # several parts of 16384 rows
    texts = set()
    for backend, threads in (("auto", 1), ("auto", 2), ("python", 1)):
        f = io.StringIO()
        w = HitWriter(f, "gff", MOTIFS, SEQS, ALTS, "c", backend=backend, threads=threads)
        w.write(rows)
        w.close()
        texts.add(f.getvalue())
    assert len(texts) == 1


def test_rows_in_sequence_order_are_coded_as_np_unique_codes_them():
    """The writers code each row's sequence as np.unique(return_inverse=True) does: in one pass when
    the rows are in sequence order (a scan's are), by a sort otherwise."""
    from exactpwm.scanning.hits import _sequence_codes

    rng = np.random.default_rng(4)
    for seq in (np.zeros(0, np.int64), np.array([3]), np.sort(rng.integers(0, 40, 500)), rng.integers(0, 40, 500),
                np.array([5, 5, 7, 7, 7, 9])):
        ids, local = _sequence_codes(seq)
        want_ids, want_local = np.unique(seq, return_inverse=True)
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_array_equal(local, want_local.ravel())
