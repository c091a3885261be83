"""write_tsv writes the bytes pandas' to_csv writes, with the compiled joiner and without it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import BACKENDS
from exactpwm._engine import engine
from exactpwm.io.tables import write_tsv

pd = pytest.importorskip("pandas")


def frame(rng, n: int):
    return pd.DataFrame({
        "pos": rng.integers(-5, 10**9, n),
        "score": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n) * 10.0 ** rng.integers(-8, 8, n)),
        "text": rng.choice(["x", "y\tz", 'q"u', "", "line\nbreak", "cr\rx", "é", "nul\x00x"], n),
        "maybe": rng.choice(np.array(["A", None], dtype=object), n),
        "flag": rng.random(n) < 0.5,
        "special": np.resize([np.inf, -np.inf, -0.0, 1e-300], n),
        "str": pd.array(rng.choice(["ü", "ACGT", "nan"], n), dtype="str"),
        "tab\tname": 1,
    })


@pytest.mark.parametrize("backend", [*BACKENDS, "python"])
@pytest.mark.parametrize("cols", [None, ["pos", "score", "str"]])
def test_write_tsv_equals_to_csv(rng, backend, cols):
    df = frame(rng, 1000)
    df = df if cols is None else df[cols]
    for part in (df, df.iloc[:0], df.iloc[:1]):
        for fmt in ("%.6g", "%.3f"):
            got, want = io.StringIO(), io.StringIO()
            write_tsv(part, got, float_format=fmt, na_rep="NA", chunk=97, backend=backend)
            part.to_csv(want, sep="\t", index=False, float_format=fmt, na_rep="NA")
            assert got.getvalue() == want.getvalue()


def test_write_tsv_to_binary_and_text_files(rng, tmp_path):
    df = frame(rng, 50)
    want = df.to_csv(sep="\t", index=False, float_format="%.6g")
    with open(tmp_path / "t.tsv", "w") as f:
        f.write("# first\n")
        write_tsv(df, f)
        f.write("# last\n")
    assert (tmp_path / "t.tsv").read_bytes().decode() == "# first\n" + want + "# last\n"
    buf = io.BytesIO()
    write_tsv(df, buf)
    assert buf.getvalue().decode() == want


def test_join_columns_refuses_codes_outside_the_dictionary():
    eng = engine("auto")
    if eng.name != "cpp":
        pytest.skip("no compiled core")
    text, offsets = np.frombuffer(b"ab", np.uint8), np.array([0, 1, 2], np.int64)
    assert eng.join_columns([text, text], [offsets, offsets], [np.array([0, 1]), np.array([1, 0])]) == b"a\tb\nb\ta\n"
    with pytest.raises(ValueError, match="outside its dictionary"):
        eng.join_columns([text], [offsets], [np.array([2])])
    with pytest.raises(ValueError, match="one n for all"):
        eng.join_columns([text, text], [offsets, offsets], [np.array([0]), np.array([0, 1])])
