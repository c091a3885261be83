import gzip
import io

import exactpwm
import numpy as np
import pytest
from exactpwm.io import fasta


def write(tmp_path, name, text, gz=False):
    path = tmp_path / name
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_records_line_endings_and_letters(tmp_path, gz):
    path = write(tmp_path, "x.fa", ">a desc\nACGTN\nacgtu\n>b\n\n>c\r\nAC GT\r\nRY\r\n", gz)
    recs = [(n, exactpwm.decode(c)) for n, c in fasta.read_fasta(path)]
    assert recs == [("a", "ACGTNACGTT"), ("b", ""), ("c", "ACGTNN")]


def test_gzip_detected_by_content_not_name(tmp_path):
    path = write(tmp_path, "plain_name.fa", ">a\nAC\n", gz=True)
    assert [n for n, _ in fasta.read_fasta(path)] == ["a"]


def test_chunks_overlap_and_cover(tmp_path):
    rng = np.random.default_rng(0)
    seq = rng.integers(0, 5, size=1000).astype(np.uint8)
    text = ">r\n" + "\n".join(exactpwm.decode(seq)[i:i + 60] for i in range(0, 1000, 60)) + "\n"
    path = write(tmp_path, "r.fa", text)
    chunks = list(fasta.iter_chunks(path, chunk_size=97, overlap=9))
    assert chunks[-1].last and not any(c.last for c in chunks[:-1])
    for c in chunks:
        np.testing.assert_array_equal(c.codes, seq[c.start:c.start + c.codes.size])
        assert c.codes.size <= 106
    assert [c.start for c in chunks] == list(range(0, 1000, 97))[: len(chunks)]
    assert chunks[-1].length == 1000


def test_stream_input():
    data = io.BytesIO(b">s\nACGT\n")
    assert [n for n, _ in fasta.read_fasta(data)] == ["s"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("ACGT\n>a\nAC\n", "line 1: sequence data before the first"),
        (">a\nAC\nAC1T\n", "line 3: unknown letter '1'"),
        ("> \nACGT\n", "line 1: a header line"),
    ],
)
def test_malformed(tmp_path, text, message):
    path = write(tmp_path, "bad.fa", text)
    with pytest.raises(fasta.FastaError, match=message):
        list(fasta.read_fasta(path))


def test_truncated_gzip(tmp_path):
    path = tmp_path / "t.fa.gz"
    path.write_bytes(gzip.compress(b">a\n" + b"ACGT" * 10000)[:-20])
    with pytest.raises(fasta.FastaError, match="truncated"):
        list(fasta.read_fasta(path))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        list(fasta.read_fasta(tmp_path / "nope.fa"))


def test_empty_and_whitespace_files(tmp_path):
    assert list(fasta.read_fasta(write(tmp_path, "e.fa", ""))) == []
    assert list(fasta.read_fasta(write(tmp_path, "w.fa", "\n  \n"))) == []


def test_sequence_lines_longer_than_a_read_block(tmp_path, monkeypatch):
    """A genome on one line is read block by block (bounded memory), with the same result."""
    monkeypatch.setattr(fasta, "_BLOCK", 7)
    rng = np.random.default_rng(1)
    seqs = [exactpwm.decode(rng.integers(0, 5, size=n).astype(np.uint8)) for n in (50, 3, 41)]
    text = "".join(f">r{i} some description\n{s}\n" for i, s in enumerate(seqs))
    path = write(tmp_path, "long.fa", text)
    assert [(n, exactpwm.decode(c)) for n, c in fasta.read_fasta(path)] == [(f"r{i}", s) for i, s in enumerate(seqs)]
    chunks = list(fasta.iter_chunks(path, chunk_size=10, overlap=3))
    rebuilt = {}
    for c in chunks:
        rebuilt[c.name] = rebuilt.get(c.name, "")[: c.start] + exactpwm.decode(c.codes)
    assert rebuilt == {f"r{i}": s for i, s in enumerate(seqs)}
    bad = write(tmp_path, "bad.fa", ">r\n" + "ACGT" * 5 + ">" + "ACGT" * 5 + "\n")
    with pytest.raises(fasta.FastaError, match="line 2: unknown letter '>'"):
        list(fasta.read_fasta(bad))


def test_sequence_lengths_from_the_fai_index_or_one_pass(tmp_path):
    from exactpwm.io.fasta import sequence_lengths

    fa = tmp_path / "g.fa"
    fa.write_text(">chr1 first\nACGTACGT\nAC\n>chr2\n\n>chr3\nNNNA\n")
    assert sequence_lengths(fa) == {"chr1": 10, "chr2": 0, "chr3": 4}
    fai = tmp_path / "g.fa.fai"
    fai.write_text("chr1\t10\t12\t8\t9\nchr2\t0\t30\t0\t0\nchr3\t4\t37\t4\t5\n")
    assert sequence_lengths(fa) == {"chr1": 10, "chr2": 0, "chr3": 4}
    fai.write_text("not an index\n")  # not a .fai: the FASTA is read
    assert sequence_lengths(fa) == {"chr1": 10, "chr2": 0, "chr3": 4}
    fai.unlink()
    (tmp_path / "d.fa").write_text(">a\nAC\n>a\nA\n")
    with pytest.raises(ValueError, match="appears twice"):
        sequence_lengths(tmp_path / "d.fa")


FASTA_CASES = [
    b">a desc\nACGTN\nacgtu\n>b\n\n>c\r\nAC GT\r\nRY\r\n",
    b">x\tmore words\nAC\tGT \x0bN\x0c\n>y\x1cz\nTT\n>\x1f w\nGG\n",  # whitespace of every kind, in names too
    b">\xc3\x9f\xc2\xa0tail u\xcc\x88ber\nACGT\n>plain\nCC\n",  # UTF-8 names (U+00A0 splits, as str.split does)
    b">bad\xffname\nACGT\n",  # undecodable header bytes: replaced
    b">a\nAC>GT\n",  # '>' inside a sequence line
    b">a\nACGT\n>  \nAC\n",  # a header without a name
    b"ACGT\n>a\nAC\n",  # sequence before the first header
    b"\n\n  \n>a\nAC\n",  # blank lines first
    b">a\nACGTX\n",  # an unknown letter
    b">a\nAC\x00GT\n",  # a control byte
    b">only\n",
    b">a\nNNNN\n>b\nnnRYKMSWBDHV\n",
]


@pytest.mark.parametrize("text", FASTA_CASES)
@pytest.mark.parametrize("letters", [False, True])
def test_every_backend_parses_blocks_alike(text, letters):
    """The compiled block parser and the numpy one give the same names, codes and record starts,
    and the same error, for whitespace of every kind, UTF-8 and undecodable names, nameless
    headers, sequence before the first header, unknown letters and control bytes; in one block and
    across blocks (a record cut by the read block size)."""
    from conftest import BACKENDS

    def parse(backend, block):
        old = fasta._BLOCK
        fasta._BLOCK = block
        try:
            return [(line, names, bytes(codes), cuts)
                    for line, names, codes, cuts in fasta._blocks(io.BytesIO(text), letters, backend)]
        except fasta.FastaError as exc:
            return str(exc)
        finally:
            fasta._BLOCK = old

    for block in (1 << 22, 7, 3):
        ref = parse("numba", block)
        for backend in BACKENDS:
            assert parse(backend, block) == ref, (backend, block)


@pytest.mark.parametrize("text", FASTA_CASES + [b"", b"\n \n", b">a\nACGT", b">a\r\nAC\r\n"])
@pytest.mark.parametrize("letters", [False, True])
def test_a_file_read_ahead_reads_as_the_file_does(tmp_path, monkeypatch, text, letters):
    """A FASTA file read ahead by the compiled core as the program starts (exactpwm._read_ahead)
    gives the same blocks, names, codes and errors as the file read the usual way; a file with
    '\\r' line ends is left to the usual reading (it converts them)."""
    from exactpwm import _read_ahead

    path = tmp_path / "in.fa"
    path.write_bytes(text)

    def blocks():  # the records' names, all their bytes and where each starts (blocks may be cut apart)
        names, codes, starts, total = [], [], [], 0
        try:
            for _, block_names, block_codes, cuts in fasta._blocks(path, letters):
                names += block_names
                starts += [total + c for c in cuts]
                codes.append(bytes(block_codes))
                total += len(block_codes)
        except fasta.FastaError as exc:
            return str(exc)
        return names, b"".join(codes), starts

    usual = blocks()
    assert _read_ahead.start(path, letters) and not _read_ahead.start(path, letters)  # once per file
    opened = []
    open_binary = fasta.open_binary
    monkeypatch.setattr(fasta, "open_binary", lambda source: opened.append(source) or open_binary(source))
    assert blocks() == usual
    assert bool(opened) == (b"\r" in text) and not _read_ahead._pending


def test_a_file_read_ahead_and_changed_since_is_read_again(tmp_path):
    from exactpwm import _read_ahead

    path = tmp_path / "in.fa"
    path.write_bytes(b">old\nACGT\n")
    assert _read_ahead.start(path)
    path.write_bytes(b">new\nGGGGCC\n")  # whether the read had ended or not
    assert [(n, exactpwm.decode(c)) for n, c in fasta.read_fasta(path)] == [("new", "GGGGCC")]


def test_only_plain_files_up_to_the_limit_are_read_ahead(tmp_path, monkeypatch):
    """Compressed files are read ahead but decompressed by the usual reading; folders, FIFOs, stdin,
    missing files and files over the limit are not read ahead at all."""
    import os

    from exactpwm import _read_ahead

    gz = write(tmp_path, "in.fa", ">a\nACGT\n", gz=True)
    assert _read_ahead.start(gz)
    assert [n for n, _ in fasta.read_fasta(gz)] == ["a"] and not _read_ahead._pending
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert not _read_ahead.start(fifo)
    assert not _read_ahead.start(tmp_path) and not _read_ahead.start("-") and not _read_ahead.start(tmp_path / "no")
    monkeypatch.setattr(_read_ahead, "LIMIT", 4)
    assert not _read_ahead.start(write(tmp_path, "big.fa", ">a\nACGT\n"))
    assert not _read_ahead._pending


def test_a_file_whose_name_is_not_utf8_is_read_ahead(tmp_path):
    """Names are the system's bytes: a name that is not UTF-8 (read as surrogates) is read ahead too."""
    import os

    from exactpwm import _read_ahead

    path = os.path.join(os.fsencode(tmp_path), b"x\xff.fa")
    try:
        with open(path, "wb") as f:
            f.write(b">a\nACGT\n")
    except OSError:  # pragma: no cover - a file system that refuses such names
        pytest.skip("this file system refuses names that are not UTF-8")
    name = os.fsdecode(path)
    assert _read_ahead.start(name)
    assert [(n, exactpwm.decode(c)) for n, c in fasta.read_fasta(name)] == [("a", "ACGT")]
    assert not _read_ahead._pending
