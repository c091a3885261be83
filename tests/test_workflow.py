"""The Snakemake workflow shipped in workflow/ runs for real (snakemake --cores 2) on small
generated data, and its merged output is what one 'exactpwm scan' writes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import exactpwm
import numpy as np
import pytest
from exactpwm import Motif, MotifSet

WORKFLOW = Path(__file__).resolve().parents[1] / "workflow"

needs_snakemake = pytest.mark.skipif(importlib.util.find_spec("snakemake") is None,
                                     reason="snakemake is not installed (pip install snakemake)")


def _data(d: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(4)
    with open(d / "peaks.fa", "w") as f:
        for i, n in enumerate(rng.integers(0, 3000, 120)):
            f.write(f">peak{i}\n" + "".join(rng.choice(list("ACGT"), size=int(n))) + "\n")
    motifs = MotifSet([Motif(f"M{w}", rng.dirichlet(np.ones(4) * 0.4, size=w).T) for w in (6, 9, 13)])
    exactpwm.write_motifs(motifs, d / "motifs.meme")
    return d / "motifs.meme", d / "peaks.fa"


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if not ln.startswith(("# command:", "# exactpwm "))]


@needs_snakemake
@pytest.mark.parametrize("fmt,qvalues", [("tsv", "motif"), ("bed", "")])
def test_snakemake_workflow_equals_one_scan(tmp_path, fmt, qvalues):
    motifs, fasta = _data(tmp_path)
    command = f"{sys.executable} -m exactpwm"
    r = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(WORKFLOW / "Snakefile"),
                        "--configfile", str(WORKFLOW / "config.yaml"), "--cores", "2", "--directory", str(tmp_path),
                        "--config", f"motifs={motifs}", f"fasta={fasta}", "parts=5", f"format={fmt}",
                        "thresh=0.001", f"qvalues={qvalues}", "outdir=out", f"exactpwm={command}"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    merged = tmp_path / "out" / f"hits.{fmt}"
    whole = tmp_path / f"whole.{fmt}"
    r = subprocess.run([sys.executable, "-m", "exactpwm", "scan", str(motifs), str(fasta), "--thresh", "0.001",
                        "--format", fmt, *([f"--qvalues={qvalues}"] if qvalues else []), "-o", str(whole), "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert len(_lines(whole)) > 100
    assert _lines(merged) == _lines(whole)
    assert not list((tmp_path / "out" / "parts").glob("*.npz"))  # the parts are temporary


@needs_snakemake
def test_snakemake_workflow_variants_equal_one_run(tmp_path):
    import pysam

    motifs, _ = _data(tmp_path)
    rng = np.random.default_rng(9)
    seq = "".join(rng.choice(list("ACGT"), size=5000))
    (tmp_path / "g.fa").write_text(">chr1\n" + seq + "\n")
    pysam.faidx(str(tmp_path / "g.fa"))
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=5000>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, pos in enumerate(sorted(rng.choice(np.arange(1, 5000), 300, replace=False))):
        ref = seq[pos - 1]
        lines.append(f"chr1\t{pos}\tv{i}\t{ref}\t{'A' if ref != 'A' else 'C'}\t.\tPASS\t.")
    (tmp_path / "v.vcf").write_text("\n".join(lines) + "\n")
    command = f"{sys.executable} -m exactpwm"
    r = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(WORKFLOW / "Snakefile"),
                        "--configfile", str(WORKFLOW / "config.yaml"), "--cores", "2", "--directory", str(tmp_path),
                        "--config", f"motifs={motifs}", "fasta=", f"genome={tmp_path / 'g.fa'}",
                        f"vcf={tmp_path / 'v.vcf'}", "parts=4", "thresh=0.01", "outdir=out", f"exactpwm={command}"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run([sys.executable, "-m", "exactpwm", "variants", str(motifs), str(tmp_path / "g.fa"),
                        str(tmp_path / "v.vcf"), "--thresh", "0.01", "-o", str(tmp_path / "whole.tsv")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    want = (tmp_path / "whole.tsv").read_text().splitlines()[:-1]
    assert (tmp_path / "out" / "variants.tsv").read_text().splitlines()[:-1] == want and len(want) > 10


def test_workflow_files_are_complete():
    import yaml

    config = yaml.safe_load((WORKFLOW / "config.yaml").read_text())
    assert {"motifs", "fasta", "parts", "format", "thresh", "qvalues", "outdir", "exactpwm", "genome",
            "vcf"} <= set(config)
    slurm = yaml.safe_load((WORKFLOW / "profiles" / "slurm" / "config.yaml").read_text())
    assert slurm["executor"] == "slurm" and "default-resources" in slurm
