"""Fuzzing the readers users feed files to: FASTA and the motif formats.

Whatever the bytes, a reader either returns a well-formed result or raises its own
error (FastaError / MotifFormatError, both ValueErrors that name the file and line);
never another exception, a crash or a hang. Valid FASTA generated at random reads back
exactly, and chunking never changes what is read.

A short run is part of the test suite. The longer run:

    EXACTPWM_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py

Any failure hypothesis finds is kept as an ``@example`` below (a regression test).
"""

from __future__ import annotations

import bz2
import gzip
import io
import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
import exactpwm  # noqa: E402
from exactpwm.io.fasta import FastaError, iter_chunks, read_fasta  # noqa: E402
from exactpwm.io.formats import FORMATS as _FORMATS  # noqa: E402
from exactpwm.io.formats import MotifFormatError, read_motifs, write_motifs  # noqa: E402
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FORMATS = sorted(_FORMATS)
EXAMPLES = int(os.environ.get("EXACTPWM_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="EXACTPWM_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FASTA_BYTES = b">ACGTNacgtnRY \n\r\t-*1\x00\xff"
CODE = {**{c: i for i, c in enumerate("ACGT")}, **{c: i for i, c in enumerate("acgt")}, "U": 3, "u": 3}


def reference_records(text: str) -> list[tuple[str, list[int]]]:
    """The obviously-correct reading of a valid FASTA text."""
    out = []
    for line in text.splitlines():
        if line.startswith(">"):
            out.append((line[1:].split()[0], []))
        else:
            out[-1][1].extend(CODE.get(c, 4) for c in line if not c.isspace())
    return out


def fasta_or_error(data: bytes, *, chunks: tuple[int, int] | None = None):
    try:
        if chunks is None:
            return [(n, c.tolist()) for n, c in read_fasta(io.BytesIO(data))]
        return list(iter_chunks(io.BytesIO(data), *chunks))
    except FastaError as exc:
        assert "line" in str(exc) or "compressed" in str(exc), exc
        return exc


@FUZZ
@given(st.binary(max_size=400) | st.lists(st.sampled_from(list(FASTA_BYTES)), max_size=400).map(bytes))
@example(b">\n")
@example(b"\n>a\n")
@example(b">a")
@example(b"\x1f\x8b")
@example(b"BZh")
def test_fasta_any_bytes(data):
    got = fasta_or_error(data)
    if isinstance(got, list):
        for name, codes in got:
            assert name and all(0 <= c <= 4 for c in codes)


@FUZZ
@given(st.binary(max_size=300))
def test_fasta_any_bytes_compressed(data):
    for packed in (gzip.compress(data), bz2.compress(data)):
        expect = fasta_or_error(data)
        got = fasta_or_error(packed)
        if isinstance(expect, list):
            assert got == expect
        for cut in (1, len(packed) // 2, len(packed) - 1):  # truncated archives
            assert isinstance(fasta_or_error(packed[:cut]), (list, FastaError))


records_st = st.lists(
    st.tuples(st.text("abcXYZ019_.|", min_size=1, max_size=8),
              st.text("ACGTNacgtnURYKM", max_size=300),
              st.integers(1, 80),
              st.sampled_from(["\n", "\r\n"])),
    min_size=1, max_size=6)


@FUZZ
@given(records_st, st.integers(1, 64), st.integers(0, 20))
def test_valid_fasta_reads_back_exactly_in_any_chunking(recs, chunk_size, overlap):
    parts = []
    for name, seq, width, eol in recs:
        parts.append(f">{name} some description{eol}")
        parts += [seq[i:i + width] + eol for i in range(0, len(seq), width)]
    text = "".join(parts)
    expected = reference_records(text)
    assert fasta_or_error(text.encode()) == expected
    pieces = iter_chunks(io.BytesIO(text.encode()), chunk_size, overlap)
    rebuilt: dict[int, list[int]] = {}
    for c in pieces:
        assert c.codes.size <= chunk_size + overlap
        have = rebuilt.setdefault(c.record, [])
        assert c.start == (len(have) if not have else c.start)
        keep = c.codes.tolist() if c.last else c.codes[:chunk_size].tolist()
        have[c.start:] = keep
    assert [rebuilt.get(i, []) for i in range(len(expected))] == [codes for _, codes in expected]


def _written(fmt: str) -> str:
    rng = np.random.default_rng(11)
    ms = exactpwm.MotifSet([exactpwm.Motif(f"m{i}", rng.dirichlet(np.ones(4), size=5 + i).T,
                                           counts=rng.integers(0, 30, size=(4, 5 + i)).astype(float) + 1)
                            for i in range(2)])
    out = io.StringIO()
    write_motifs(ms, out, format=fmt)
    return out.getvalue()


VALID = {fmt: _written(fmt) for fmt in FORMATS}
EDITS = st.lists(st.tuples(st.sampled_from(["delete", "insert", "replace", "dup_line", "drop_line"]),
                           st.integers(0, 10_000), st.sampled_from(list(" \n\t>[]-.0123456789eEnaACGTMOTIF:=/"))),
                 min_size=1, max_size=6)


def mutate(text: str, edits) -> str:
    for op, pos, ch in edits:
        if op in ("dup_line", "drop_line"):
            lines = text.split("\n")
            i = pos % len(lines)
            lines[i:i + 1] = [lines[i]] * 2 if op == "dup_line" else []
            text = "\n".join(lines)
            continue
        i = pos % (len(text) + 1)
        if op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "insert":
            text = text[:i] + ch + text[i:]
        else:
            text = text[:i] + ch + text[i + 1:]
    return text


def motifs_or_error(text: str, fmt: str | None):
    try:
        ms = read_motifs(io.StringIO(text), format=fmt) if fmt else read_motifs(io.BytesIO(text.encode()))
    except MotifFormatError as exc:
        assert ":" in str(exc), exc
        return exc
    for m in ms:
        assert m.pwm.shape[0] == 4 and m.pwm.shape[1] >= 1
        assert np.isfinite(m.pwm).all() and (m.pwm >= 0).all()
        np.testing.assert_allclose(m.pwm.sum(axis=0), 1.0, atol=1e-5)  # kept as read within 1e-5 (MEME's rule)
    return ms


@FUZZ
@given(st.sampled_from(FORMATS), EDITS)
@example("meme", [("delete", 452, " ")])  # 'nsites= 20E= 0': a ValueError without file:line (fixed)
def test_motif_parsers_mutated_files(fmt, edits):
    motifs_or_error(mutate(VALID[fmt], edits), fmt)
    motifs_or_error(mutate(VALID[fmt], edits), None)  # format guessed from the content


@FUZZ
@given(st.sampled_from(FORMATS), st.text(max_size=300))
def test_motif_parsers_any_text(fmt, text):
    motifs_or_error(text, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_motif_parsers_truncated_gzip(tmp_path, fmt):
    packed = gzip.compress(VALID[fmt].encode() * 20)
    path = tmp_path / f"m.{fmt}.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(MotifFormatError, match="truncated"):
        read_motifs(path, fmt)
