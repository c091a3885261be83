"""Every Python block of README.md and of the documentation pages (docs/*.md) runs as written,
in a folder holding the files it names.

The files are small and made here: ``genome.fa.gz`` (3 records), ``peaks.fa`` (200 peaks),
``motifs.meme``, ``JASPAR2024_CORE.meme`` and ``.jaspar`` (JASPAR motifs through pyjaspar);
with pysam, ``genome.fa`` (indexed), ``peaks.bed`` and ``calls.vcf.gz`` (SNVs and indels).
"""

from __future__ import annotations

import gzip
import os
import re

import exactpwm
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["README.md"] + sorted(os.path.join("docs", f) for f in os.listdir(os.path.join(ROOT, "docs"))
                               if f.endswith(".md"))


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = open(os.path.join(ROOT, page), encoding="utf-8").read()
        found += [(f"{page}:{text.count(chr(10), 0, m.start()) + 1}", m.group(1)) for m in
                  re.finditer(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)]
    return found


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("readme")
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", np.uint8)
    with gzip.open(d / "genome.fa.gz", "wt") as f:
        for i, n in enumerate((60_000, 20_000, 5_000)):
            f.write(f">chr{i + 1}\n{letters[rng.integers(0, 4, n)].tobytes().decode()}\n")
    with open(d / "peaks.fa", "w") as f:
        for i in range(200):
            f.write(f">peak{i}\n{letters[rng.integers(0, 4, 300)].tobytes().decode()}\n")
    try:
        ms = exactpwm.load_jaspar(["MA0139.1", "MA0079.5", "MA0036.3"])
    except ImportError:
        pytest.skip("pyjaspar is not installed")
    exactpwm.write_motifs(ms, d / "JASPAR2024_CORE.meme")
    exactpwm.write_motifs(ms, d / "JASPAR2024_CORE.jaspar")
    exactpwm.write_motifs(ms, d / "motifs.meme")
    try:
        import pysam
    except ImportError:
        return d
    with gzip.open(d / "genome.fa.gz", "rt") as src:
        text = src.read()
    (d / "genome.fa").write_text(text)
    pysam.faidx(str(d / "genome.fa"))
    chr1 = text.split("\n")[1]
    (d / "peaks.bed").write_text("chr1\t100\t600\tp1\nchr2\t1000\t1400\tp2\n")
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=60000>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for pos in range(101, 50_000, 997):
        lines.append(f"chr1\t{pos}\t.\t{chr1[pos - 1]}\t{'A' if chr1[pos - 1] != 'A' else 'G'}\t.\tPASS\t.")
    lines.append(f"chr1\t55001\t.\t{chr1[55000:55004]}\t{chr1[55000]}\t.\tPASS\t.")
    (d / "calls.vcf").write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(d / "calls.vcf"), str(d / "calls.vcf.gz"), force=True)
    return d


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 6


@pytest.mark.slow
@pytest.mark.parametrize("where, code", BLOCKS, ids=[where for where, _ in BLOCKS])
def test_readme_block_runs(folder, monkeypatch, where, code):
    needs = {"torch": "torch", "distributed": "distributed", "pandas": "pandas", "logo": "matplotlib",
             "variant_effects": "pysam", "region_sequences": "pysam"}
    for word, module in needs.items():
        if word in code:
            pytest.importorskip(module)
    monkeypatch.chdir(folder)
    exec(compile(code, where, "exec"), {"__name__": "readme"})
