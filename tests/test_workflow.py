"""The Snakemake workflow shipped in workflow/ runs for real (snakemake --cores 2) on small
generated data, and its merged output is what one 'exactpwm scan' writes."""

from __future__ import annotations

import importlib.util
import os
import stat
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
    motifs, _ = _data(tmp_path)
    rng = np.random.default_rng(9)
    seq = "".join(rng.choice(list("ACGT"), size=5000))
    (tmp_path / "g.fa").write_text(">chr1\n" + seq[:2500] + "\n" + seq[2500:] + "\n")  # the workflow indexes it
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
    assert (tmp_path / "g.fa.fai").read_text() == "chr1\t5000\t6\t2500\t2501\n"


@needs_snakemake
def test_snakemake_workflow_fimo_and_attributions_equal_one_run(tmp_path):
    """fimo=true: FIMO's folder in parts; model + sequences: attribution maps in parts; each merge is
    the one run's output (the maps bit for bit)."""
    torch = pytest.importorskip("torch")
    motifs, fasta = _data(tmp_path)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv1d(4, 3, 7, padding=3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(3 * 50, 1)).eval()
    program = torch.export.export(model, (torch.zeros(2, 4, 50),),
                                  dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=4096)},))
    torch.export.save(program, tmp_path / "m.pt2")
    rng = np.random.default_rng(2)
    (tmp_path / "s.fa").write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 50))}\n" for i in range(600)))
    command = f"{sys.executable} -m exactpwm"
    r = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(WORKFLOW / "Snakefile"),
                        "--configfile", str(WORKFLOW / "config.yaml"), "--cores", "2", "--directory", str(tmp_path),
                        "--config", f"motifs={motifs}", f"fasta={fasta}", "parts=3", "fimo=true",
                        "fimo_options=--thresh 0.001", f"model={tmp_path / 'm.pt2'}", f"sequences={tmp_path / 's.fa'}",
                        "attribute_options=--method deepshap --shuffles 3", "outdir=out", f"exactpwm={command}"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    for args in (["fimo", "--oc", str(tmp_path / "whole"), "--thresh", "0.001", str(motifs), str(fasta)],
                 ["attribute", str(tmp_path / "m.pt2"), str(tmp_path / "s.fa"), "--method", "deepshap",
                  "--shuffles", "3", "-o", str(tmp_path / "whole.npz"), "--ohe", str(tmp_path / "ohe.npz"), "-q"]):
        r = subprocess.run([sys.executable, "-m", "exactpwm", *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    for name in ("fimo.tsv", "fimo.gff"):
        assert _lines(tmp_path / "out" / "fimo" / name) == _lines(tmp_path / "whole" / name)
    assert len(_lines(tmp_path / "whole" / "fimo.tsv")) > 50
    for ours, one in (("attributions.npz", "whole.npz"), ("ohe.npz", "ohe.npz")):
        np.testing.assert_array_equal(np.load(tmp_path / "out" / ours)["arr_0"], np.load(tmp_path / one)["arr_0"])


def test_workflow_files_are_complete():
    import yaml

    config = yaml.safe_load((WORKFLOW / "config.yaml").read_text())
    assert {"motifs", "fasta", "parts", "format", "thresh", "qvalues", "outdir", "exactpwm", "genome",
            "vcf", "fimo", "fimo_options", "model", "sequences", "regions", "attribute_options"} <= set(config)
    slurm = yaml.safe_load((WORKFLOW / "profiles" / "slurm" / "config.yaml").read_text())
    assert slurm["executor"] == "slurm" and "default-resources" in slurm


def test_index_writes_the_samtools_index_atomically(tmp_path, capsys):
    """exactpwm index: FASTA.fai (and .gzi for bgzip) as samtools faidx writes them; a FASTA htslib
    cannot index is one error line naming it, and no temporary file stays behind."""
    pysam = pytest.importorskip("pysam")
    from exactpwm.app.cli import main

    rng = np.random.default_rng(1)
    text = "".join(f">c{i}\n" + "\n".join("".join(rng.choice(list("ACGT"), 60)) for _ in range(5)) + "\nACG\n"
                   for i in range(3))
    (tmp_path / "g.fa").write_text(text)
    (tmp_path / "ref.fa").write_text(text)
    pysam.tabix_compress(str(tmp_path / "g.fa"), str(tmp_path / "g.fa.gz"))
    assert main(["index", str(tmp_path / "g.fa"), str(tmp_path / "g.fa.gz")]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / n) for n in ("g.fa.fai", "g.fa.gz.fai", "g.fa.gz.gzi")]
    pysam.faidx(str(tmp_path / "ref.fa"))
    assert (tmp_path / "g.fa.fai").read_text() == (tmp_path / "ref.fa.fai").read_text()
    with pysam.FastaFile(str(tmp_path / "g.fa.gz")) as fa:
        assert fa.fetch("c2", 295, 303) == text.split(">c2\n")[1].replace("\n", "")[295:303]
    (tmp_path / "bad.fa").write_text(">a\nACGT\nACGTA\nAC\n")
    assert main(["index", str(tmp_path / "bad.fa")]) == 1
    err = capsys.readouterr().err
    assert "bad.fa: htslib cannot index it" in err and "Traceback" not in err
    assert main(["index", str(tmp_path / "missing.fa")]) == 1
    assert "missing.fa: no such file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir() if "tmp" in p.name) == []


def test_index_files_follow_the_umask(tmp_path):
    pytest.importorskip("pysam")
    from exactpwm.io.htsfiles import index_fasta

    (tmp_path / "g.fa").write_text(">a\nACGT\n")
    mask = os.umask(0o027)
    try:
        index_fasta(str(tmp_path / "g.fa"))
    finally:
        os.umask(mask)
    assert stat.S_IMODE(os.stat(tmp_path / "g.fa.fai").st_mode) == 0o640
