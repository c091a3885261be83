"""MEME minimal motif format (version 4/5), as read by FIMO, Tomtom and the rest of the MEME suite.

Read: the version line, ``ALPHABET= ACGT`` (or ACGU, or a DNA alphabet
definition block), ``strands:``, ``Background letter frequencies`` (possibly over
several lines), and any number of ``MOTIF id [alt_name]`` blocks, each with a
``letter-probability matrix:`` (keys ``alength= w= nsites= E=``) and optional
``URL``. ``log-odds matrix:`` sections are skipped (scores are recomputed from
probabilities). Write: the same, version 4, probabilities with 6 decimals.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from exactpwm.core.matrices import as_background
from exactpwm.core.motif import Motif, MotifSet
from exactpwm.io.formats._text import Lines, is_number

__all__ = ["read_meme", "write_meme"]

_KEYS = re.compile(r"(\w+)\s*=\s*(\S+)")


def read_meme(text: str, label: str) -> MotifSet:
    lines = Lines(text, label)
    lineno, first = lines.next("the line 'MEME version 4'")
    if not first.startswith("MEME version"):
        raise lines.error(lineno, f"expected 'MEME version 4' as the first line, found {first.strip()[:40]!r}")
    background = None
    strands = "+ -"
    alphabet = "ACGT"
    motifs: list[Motif] = []
    for lineno, line in lines:
        s = line.strip()
        if s.startswith("strands:"):
            strands = " ".join(s.split(":", 1)[1].split())
            if strands not in ("+", "+ -", "- +"):
                raise lines.error(lineno, f"expected 'strands: +' or 'strands: + -', found {s[:40]!r}")
            continue
        if s.startswith("ALPHABET="):
            letters = s.split("=", 1)[1].strip().upper()
            if letters not in ("ACGT", "ACGU"):
                raise lines.error(lineno, f"expected the DNA alphabet ACGT (or RNA ACGU), found {letters!r}")
            alphabet = letters
        elif s.startswith("ALPHABET"):
            _read_alphabet_block(lines, lineno)
        elif s.startswith("Background letter frequencies"):
            background = _read_background(lines, lineno)
        elif s.startswith("MOTIF"):
            motifs.append(_read_motif(lines, lineno, s))
        elif s.startswith("URL") and motifs:
            motifs[-1].meta["url"] = s[3:].strip()
        elif s.startswith("log-odds matrix"):
            _skip_matrix(lines, "log-odds matrix")
    if not motifs:
        raise lines.error(len(lines.lines), "expected at least one 'MOTIF' block, found none")
    for m in motifs:
        if strands == "+":
            m.meta["strands"] = "+"
        if alphabet == "ACGU":  # RNA: scanned as DNA (U read as T), matches echoed with U
            m.meta["alphabet"] = "ACGU"
    return MotifSet(motifs, background, label)


def _read_alphabet_block(lines: Lines, start: int) -> None:
    core: list[str] = []
    for _, line in lines:
        s = line.strip()
        if s.startswith("END ALPHABET"):
            letters = "".join(core).upper().replace("U", "T")
            if sorted(letters) != list("ACGT"):
                found = "".join(core)
                raise lines.error(start, f"expected a DNA alphabet with core letters A, C, G, T, found {found!r}")
            return
        if "=" in s:  # an ambiguity symbol such as 'N = ACGT'
            continue
        for part in s.split("~"):  # 'A "Adenine" CC0000 ~ T "Thymine" 008000': a complementary pair
            tok = part.split()
            if tok and len(tok[0]) == 1 and tok[0].isalpha():
                core.append(tok[0])
    raise lines.error(start, "expected 'END ALPHABET' after the alphabet definition, found the end of the file")


def _read_background(lines: Lines, start: int):
    values: dict[str, float] = {}
    while len(values) < 4:
        lineno, line = lines.next("background frequencies 'A p C p G p T p'")
        tok = line.split()
        if len(tok) % 2:
            raise lines.error(lineno, f"expected letter/frequency pairs, found {line.strip()!r}")
        for letter, value in zip(tok[::2], tok[1::2]):
            letter = letter.upper().replace("U", "T")
            if letter not in "ACGT" or len(letter) != 1:
                raise lines.error(lineno, f"expected a background frequency for A, C, G or T, found {letter!r}")
            values[letter] = float(lines.numbers(lineno, [value], "background frequencies")[0])
    try:
        return as_background([values[b] for b in "ACGT"])
    except ValueError as exc:
        raise lines.error(start, f"bad background: {exc}") from None


def _read_motif(lines: Lines, lineno: int, header: str) -> Motif:
    tok = header.split()
    if len(tok) < 2:
        raise lines.error(lineno, "expected 'MOTIF id [alternate name]', found no id")
    name, alt = tok[1], " ".join(tok[2:])
    while True:
        mline, line = lines.next(f"a 'letter-probability matrix:' line for motif {name}")
        s = line.strip()
        if s.startswith("letter-probability matrix"):
            break
        if s.startswith("log-odds matrix"):
            _skip_matrix(lines, "log-odds matrix")
            continue
        if s.startswith("MOTIF"):
            raise lines.error(mline, f"expected a 'letter-probability matrix:' for motif {name}, found the next MOTIF")
    keys = dict(_KEYS.findall(s))
    rows = _matrix_rows(lines, mline, keys, f"motif {name}")
    meta = {"evalue": keys["E"]} if "E" in keys else {}
    nsites = float(lines.numbers(mline, [keys["nsites"]], "nsites=")[0]) if "nsites" in keys else None
    try:
        return Motif(name, rows.T, alt_name=alt, nsites=nsites, meta=meta)
    except ValueError as exc:
        raise lines.error(mline, str(exc)) from None


def _matrix_rows(lines: Lines, mline: int, keys: dict, what: str) -> np.ndarray:
    if keys.get("alength", "4") != "4":
        raise lines.error(mline, f"expected alength= 4 (DNA), found alength= {keys['alength']}")
    width = int(keys["w"]) if keys.get("w", "").isdigit() else None
    rows: list[list[str]] = []
    linenos: list[int] = []
    while width is None or len(rows) < width:
        nxt = lines.peek()
        if nxt is None or not _is_number_row(nxt):
            if width is None and rows:
                break
            lineno = lines.i + 1
            found = "the end of the file" if nxt is None else repr(nxt.strip()[:40])
            raise lines.error(lineno, f"expected {width or 'a'} rows of 4 numbers for {what} "
                                      f"(found {len(rows)}), found {found}")
        lineno, line = lines.next("a matrix row")
        fields = line.split()
        if len(fields) != 4:
            raise lines.error(lineno, f"expected 4 numbers (A C G T) in a row of {what}, found {len(fields)}")
        rows.append(fields)
        linenos.append(lineno)
    if width is not None and (nxt := lines.peek()) is not None and _is_number_row(nxt):
        first, extra = None, 0
        for i, text in enumerate(itertools.islice(lines.lines, lines.i, None), lines.i + 1):
            if not text.strip():
                continue
            if not _is_number_row(text):
                break
            first, extra = first or i, extra + 1
        assert first is not None
        raise lines.error(first, f"{what} has w= {width} but {width + extra} rows of numbers: "
                                 "fix w= or remove the extra rows")
    return lines.number_rows(linenos, rows, f"a row of {what}")


def _skip_matrix(lines: Lines, what: str) -> None:
    while (nxt := lines.peek()) is not None and _is_number_row(nxt):
        lines.next(what)


def _is_number_row(line: str) -> bool:
    tok = line.split()
    return bool(tok) and is_number(tok[0])


def write_meme(motifs: MotifSet, f) -> None:
    single = len(motifs) > 0 and all(m.meta.get("strands") == "+" for m in motifs)
    rna = len(motifs) > 0 and all(m.meta.get("alphabet") == "ACGU" for m in motifs)
    f.write(f"MEME version 4\n\nALPHABET= {'ACGU' if rna else 'ACGT'}\n\nstrands: {'+' if single else '+ -'}\n\n")
    f.write("Background letter frequencies\n")
    f.write(" ".join(f"{b} {p:.6f}" for b, p in zip("ACGU" if rna else "ACGT", motifs.background)) + "\n")
    for m in motifs:
        alt = f" {m.alt_name}" if m.alt_name else ""
        nsites = max(1, round(m.nsites)) if m.nsites is not None else 20
        ev = m.meta.get("evalue", "0")
        f.write(f"\nMOTIF {m.name}{alt}\n")
        f.write(f"letter-probability matrix: alength= 4 w= {m.width} nsites= {nsites} E= {ev}\n")
        for col in m.pwm.T:
            f.write(" " + "  ".join(f"{p:.6f}" for p in col) + "\n")
        if m.meta.get("url"):
            f.write(f"URL {m.meta['url']}\n")
