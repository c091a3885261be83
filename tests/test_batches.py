"""Packed batches of records: hits, maxima and tracks equal those of one record at a time.

Many short records are packed into one engine call (one N between them); long records are
cut into overlapping pieces. Whatever the batch size (``chunk_size``) and input form (dict of
codes, dict of letters, FASTA file), every result must equal scanning each record on its own.
"""

from __future__ import annotations

import exactpwm
import numpy as np
import pytest

# motifs that can never reach the threshold are part of these inputs
pytestmark = pytest.mark.filterwarnings("ignore::exactpwm.scanning.plan.ScanWarning")

WIDTHS = [1, 4, 9, 12]
L = max(WIDTHS)


def _records(seed=0):
    rng = np.random.default_rng(seed)
    lengths = [0, 1, L - 1, L, L + 1, 30, 500, 2000, 7, L + 3]
    recs = {}
    for i, n in enumerate(lengths):
        codes = rng.integers(0, 4, n).astype(np.uint8)
        if n > 100:
            codes[n // 3:n // 3 + 20] = 4  # an N run inside
        recs[f"r{i}"] = codes
    recs["allN"] = np.full(40, 4, np.uint8)
    recs["last"] = rng.integers(0, 4, L + 1).astype(np.uint8)
    return recs


def _pwms(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.ones(4) * 0.5, size=w).T * 0.96 + 0.01 for w in WIDTHS]


def _as_input(recs, form, tmp_path):
    if form == "codes":
        return recs
    letters = {k: exactpwm.decode(v) for k, v in recs.items()}
    if form == "letters":
        return letters
    path = tmp_path / "recs.fa"
    path.write_text("".join(f">{k}\n{v}\n" for k, v in letters.items()))
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["codes", "letters", "fasta"])
@pytest.mark.parametrize("chunk_size", [1, 5, 64, 700, 1 << 23])
def test_hits_equal_per_record(tmp_path, form, chunk_size):
    recs, pwms = _records(), _pwms()
    got = exactpwm.scan(pwms, _as_input(recs, form, tmp_path), pvalue=0.02, chunk_size=chunk_size)
    assert got.sequence_names == list(recs)
    expected = []
    for s, (name, codes) in enumerate(recs.items()):
        table = exactpwm.scan(pwms, {name: codes}, pvalue=0.02)
        rows = table.rows.copy()
        rows["sequence"] = s
        expected.append(rows)
    expected = np.concatenate(expected)
    assert len(expected) > 100
    for field in got.rows.dtype.names:
        np.testing.assert_array_equal(got.rows[field], expected[field], err_msg=field)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["codes", "fasta"])
@pytest.mark.parametrize("chunk_size", [1, 5, 64, 1 << 23])
def test_maxima_equal_per_record(tmp_path, form, chunk_size):
    recs, pwms = _records(2), _pwms(3)
    got = exactpwm.sequence_maxima(pwms, _as_input(recs, form, tmp_path), chunk_size=chunk_size)
    for s, (name, codes) in enumerate(recs.items()):
        one = exactpwm.sequence_maxima(pwms, {name: codes})
        for field in ("score", "start", "strand", "pvalue"):
            np.testing.assert_array_equal(getattr(got, field)[s], getattr(one, field)[0], err_msg=f"{name} {field}")
    assert (got.start[list(recs).index("allN")] == -1).all()
    assert np.isfinite(got.score[list(recs).index("last")]).all()


def _tracks(pwms, seqs, **kw):
    """(name, motif) -> the concatenated track."""
    out: dict = {}
    for name, start, idx, scores in exactpwm.score_tracks(pwms, seqs, strand="both", **kw):
        for row, k in enumerate(idx.tolist()):
            prev = out.get((name, k))
            assert prev is None or prev[0] == start, "pieces of a motif's track come in order"
            cat = scores[:, row] if prev is None else np.concatenate([prev[1], scores[:, row]], axis=1)
            out[(name, k)] = (start + scores.shape[-1], cat)
    return {k: v[1] for k, v in out.items()}


@pytest.mark.slow
@pytest.mark.parametrize("chunk_size", [1, 5, 64, 1 << 23])
def test_tracks_equal_per_record(chunk_size):
    recs, pwms = _records(4), _pwms(5)
    got = _tracks(pwms, recs, chunk_size=chunk_size)
    expected = {}
    for name, codes in recs.items():
        expected.update(_tracks(pwms, {name: codes}))
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=str(key))


def test_bad_codes_name_their_record():
    recs = _records()
    recs["r3"] = recs["r3"].copy()
    recs["r3"][2] = 9
    with pytest.raises(ValueError, match="sequence r3: encoded sequences must hold codes 0..4"):
        exactpwm.scan(_pwms(), recs)


@pytest.mark.parametrize("chunk_size, overlap, letters, max_records", [
    (1 << 23, 30, False, 1 << 16), (5000, 20, False, 1 << 16), (997, 7, True, 1 << 16), (1 << 16, 0, False, 37)])
@pytest.mark.parametrize("spacing", ["lf", "crlf and spaces"])
def test_a_fasta_file_packs_as_its_records_one_by_one(tmp_path, monkeypatch, chunk_size, overlap, letters,
                                                      max_records, spacing):
    """A FASTA file's whole records come block by block (no Python per record); the batches are
    the ones that packing its records one at a time gives, whatever the sizes, line ends and
    whitespace, with long records cut into pieces among them."""
    from exactpwm.scanning import batches

    monkeypatch.setattr(batches, "_MAX_BATCH_RECORDS", max_records)
    monkeypatch.setattr(exactpwm.io.fasta, "_BLOCK", 1 << 14)  # many read blocks, records across them
    rng = np.random.default_rng(3)
    records, text = [], []
    for i in range(600):
        seq = "".join(rng.choice(list("ACGTNacgtRY"), int(rng.choice([0, 5, 50, 400, 3000, 9000]))))
        records.append((f"r{i}", seq))
        lines = [seq[k:k + 60] for k in range(0, len(seq), 60)]
        if spacing == "lf":
            text.append(f">r{i} description\n" + "".join(line + "\n" for line in lines))
        else:
            text.append(f">r{i}\r\n" + "".join(line[:30] + " " + line[30:] + "\r\n" for line in lines))
    path = tmp_path / "many.fa"
    path.write_bytes("".join(text).encode())

    def batches_of(source):
        names: list[str] = []
        out = [(b.codes.tobytes(), b.offsets.tolist(), b.records.tolist(), b.starts.tolist(), b.limits.tolist(),
                list(b.names), None if b.letters is None else b.letters.tobytes())
               for b in batches.sequence_batches(source, chunk_size, overlap, names, letters)]
        return out, names

    file_batches, file_names = batches_of(path)
    one_by_one, names = batches_of(records)
    assert file_names == names == [name for name, _ in records]
    assert file_batches == one_by_one


def test_every_backend_packs_records_alike():
    """Records packed with one separator after each (runs of whole records of a peak set): the same
    bytes on every backend, empty records and runs included; inconsistent lengths are refused."""
    from conftest import BACKENDS
    from exactpwm._core import pack_records
    from exactpwm._engine import engine

    rng = np.random.default_rng(4)
    lengths = [rng.integers(0, 9, size=n).astype(np.int64) for n in (5, 0, 1, 30)]
    codes = [rng.integers(0, 5, size=int(n.sum())).astype(np.uint8) for n in lengths]
    packed = [engine(b).pack_records(codes, lengths, 4) for b in BACKENDS]
    for p in packed:
        np.testing.assert_array_equal(p, packed[0])
    expected = np.concatenate([np.append(c[s - n:s], 4) for cs, ns in zip(codes, lengths)
                               for c, n, s in zip([cs] * len(ns), ns, np.cumsum(ns))])
    np.testing.assert_array_equal(packed[0], expected)
    with pytest.raises(ValueError, match="add up"):
        pack_records([codes[0]], [lengths[0] + 1], 4, np.empty(100, np.uint8))
