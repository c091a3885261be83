"""The alphabet's byte tables, as bytes (numpy-free: the ``exactpwm`` program has its FASTA input
read before numpy loads; :mod:`exactpwm.core.sequence` holds them as arrays).

Codes: A=0, C=1, G=2, T and U=3; N, the IUPAC ambiguity letters (RYSWKMBDHV), X and the gap ``-``
are 4; lowercase as uppercase; every other byte is :data:`INVALID`.
"""

from __future__ import annotations

__all__ = ["ALPHABET", "N_CODE", "INVALID", "FASTA_SKIP", "code_table", "fasta_table"]

ALPHABET = "ACGT"
N_CODE = 4
INVALID = 255
FASTA_SKIP = 254  # whitespace in a FASTA file's sequence lines: skipped


def code_table() -> bytes:
    """(256,) letter byte -> code, :data:`INVALID` for bytes that are not letters."""
    table = bytearray([INVALID]) * 256
    for code, letters in enumerate(("A", "C", "G", "TU")):
        for ch in letters:
            table[ord(ch)] = table[ord(ch.lower())] = code
    for ch in "NRYSWKMBDHVX-":
        table[ord(ch)] = table[ord(ch.lower())] = N_CODE
    return bytes(table)


def fasta_table() -> bytes:
    """:func:`code_table` with ASCII whitespace (space, \\t, \\n, \\r, \\v, \\f) as :data:`FASTA_SKIP`."""
    table = bytearray(code_table())
    for ws in b" \t\r\n\v\f":
        table[ws] = FASTA_SKIP
    return bytes(table)
