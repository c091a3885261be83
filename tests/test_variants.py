"""Variant effects against a brute-force reference that rescores every window on each haplotype.

Random genomes with N runs and VCFs with SNVs, MNVs, indels at contig ends, variants inside N
runs, overlapping and multi-allelic variants, in no particular order; and the inputs that cannot
be scored (counted and reported, never dropped silently).
"""

from __future__ import annotations

import subprocess
import sys

import exactpwm
import numpy as np
import pytest
from conftest import BACKENDS
from exactpwm import Motif, MotifSet
from exactpwm.scanning.plan import plan_scan
from exactpwm.scanning.variants import Variant, variant_effects

pysam = pytest.importorskip("pysam")
pd = pytest.importorskip("pandas")

COMP = str.maketrans("ACGTN", "TGCAN")


def brute_best(matrix: np.ndarray, hap: str, span: tuple[int, int]) -> float:
    """The best score over both strands of the N-free windows of ``hap`` that hold a base of
    ``span`` = [a, b), or, when it is empty, both bases beside a."""
    w = matrix.shape[1]
    a, b = span
    lo, hi = (a - w + 1, b - 1) if b > a else (a - w + 1, a - 1)
    best = -np.inf
    for st in range(max(lo, 0), min(hi, len(hap) - w) + 1):
        win = hap[st:st + w]
        if "N" in win:
            continue
        for s in (win, win.translate(COMP)[::-1]):
            best = max(best, float(sum(matrix["ACGT".index(c), j] for j, c in enumerate(s))))
    return best


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("variants")
    rng = np.random.default_rng(23)
    genome = {"chr1": "".join(rng.choice(list("ACGT"), 3000)), "chr2": "".join(rng.choice(list("ACGT"), 1500))}
    g1 = list(genome["chr1"])
    g1[1000:1030] = "N" * 30
    genome["chr1"] = "".join(g1)
    fa = d / "genome.fa"
    fa.write_text("".join(f">{k}\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                          for k, v in genome.items()))
    pysam.faidx(str(fa))
    recs = []
    for chrom, n in (("chr2", 40), ("chr1", 60)):  # chr2 first: not sorted by the FASTA's order
        for pos in sorted(rng.choice(np.arange(1, len(genome[chrom]) - 5), n, replace=False)):
            ref = genome[chrom][pos - 1]
            if ref == "N":
                continue
            alt = rng.choice([c for c in "ACGT" if c != ref])
            recs.append((chrom, int(pos), ref, alt))
    g1, g2 = genome["chr1"], genome["chr2"]
    recs += [
        ("chr1", 1, g1[0], "ACGTAC"),  # insertion at the contig's start
        ("chr1", 1, g1[:4], g1[0]),  # deletion at the start
        ("chr2", len(g2) - 3, g2[-4:], g2[-4]),  # deletion reaching the contig's end
        ("chr2", len(g2), g2[-1], g2[-1] + "TTGCA"),  # insertion after the last base
        ("chr1", 500, g1[499:502], "GGG" if g1[499:502] != "GGG" else "CCC"),  # MNV
        ("chr1", 501, g1[500], "A" if g1[500] != "A" else "C"),  # overlaps the MNV
        ("chr1", 1010, "N", "A"),  # inside the N run
        ("chr1", 998, g1[997:1002], g1[997]),  # a deletion into the N run
        ("chr1", 2000, g1[1999], ",".join(c for c in "ACGT" if c != g1[1999])),  # multi-allelic
        ("chr1", 2100, g1[2099:2103], g1[2099] + "T"),  # complex indel
    ]
    bad = [("chr1", 300, "A" if g1[299] != "A" else "C", "G"),  # REF mismatch
           ("chrZ", 5, "A", "C"),  # contig missing from the FASTA
           ("chr1", 400, g1[399], "<DEL>"),  # symbolic
           ("chr1", 410, g1[409], g1[409] + "[chr2:100["),  # breakend
           ]
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=3000>", "##contig=<ID=chr2,length=1500>",
             "##contig=<ID=chrZ,length=100>", "##ALT=<ID=DEL,Description=\"Deletion\">",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, (c, p, r, a) in enumerate(recs + bad):
        lines.append(f"{c}\t{p}\tv{i}\t{r}\t{a}\t.\tPASS\t.")
    (d / "v.vcf").write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(d / "v.vcf"), str(d / "v.vcf.gz"), force=True)
    ms = MotifSet([Motif("M1", rng.dirichlet(np.ones(4) * 0.3, 8).T, alt_name="one"),
                   Motif("M2", rng.dirichlet(np.ones(4) * 0.3, 11).T),
                   Motif("M3", rng.dirichlet(np.ones(4) * 0.3, 5).T, alt_name="three")])
    exactpwm.write_motifs(ms, d / "m.meme")
    return {"dir": d, "fa": fa, "genome": genome, "recs": recs, "motifs": ms}


@pytest.mark.parametrize("vcf", ["v.vcf", "v.vcf.gz"])
def test_every_allele_and_motif_against_brute_force(data, vcf):
    with pytest.warns(UserWarning, match="not scored"):
        eff = variant_effects(data["motifs"], data["fa"], data["dir"] / vcf, pvalue=1e-2, report="all")
    assert eff.skipped == {"ref_mismatch": 1, "contig": 1, "symbolic": 2}
    t = eff.table
    from exactpwm.core.exact_pvalues import exact_pvalues

    plan = plan_scan(data["motifs"], pvalue=1e-2, pseudocount=0.1)
    n_alleles = sum(len(a.split(",")) for c, p, r, a in data["recs"] if r != "N")
    assert len(t) == 3 * (n_alleles + 1)  # the variant inside the N run has REF 'N': scored, never a hit
    exact_hits = 0
    for _, row in t.iterrows():
        g = data["genome"][row.chrom]
        a, r, s = Variant(row.chrom, row.pos - 1, row.ref, row.alt).trimmed()
        hap = g[:row.pos - 1] + row.alt + g[row.pos - 1 + len(row.ref):]
        k = plan.names.index(row.motif)
        M = plan.certified.exact[k]  # the real-valued matrix: scores and calls are its own, no grid
        for allele, seq, span in (("ref", g, (a, a + len(r))), ("alt", hap, (a, a + len(s)))):
            expect = brute_best(M, seq, span)
            got = row[f"{allele}_score"]
            if expect == -np.inf:
                assert np.isnan(got) and row[f"{allele}_strand"] == "."
                continue
            assert got == pytest.approx(expect, rel=1e-12, abs=1e-12), (row.chrom, row.pos, row.motif, allele)
            # the window reported has that score
            st, w = int(row[f"{allele}_start"]), M.shape[1]
            win = seq[st:st + w]
            if row[f"{allele}_strand"] == "-":
                win = win.translate(COMP)[::-1]
            assert win == row[f"{allele}_matched"]
            assert float(sum(M["ACGT".index(c), j] for j, c in enumerate(win))) == pytest.approx(got, rel=1e-12)
            # the call is the exact one; a hit's p-value is exact (enumeration by meet in the middle)
            truth = exact_pvalues(M, [got], plan.certified.background)[0]
            p = row[f"{allele}_pvalue"]
            assert (p <= 1e-2) == (truth <= 1e-2), (row.chrom, row.pos, row.motif, allele, p, truth)
            if truth <= 1e-2:
                assert p == pytest.approx(truth, rel=1e-9)
                exact_hits += 1
            else:
                assert p == pytest.approx(truth, rel=0.1)  # the grid's, near enough
    assert exact_hits > 20
    hit_r, hit_a = t.ref_pvalue <= 1e-2, t.alt_pvalue <= 1e-2
    assert (t.call[hit_r & hit_a] == "change").all() and (t.call[~hit_r & hit_a] == "gain").all()
    assert (t.call[hit_r & ~hit_a] == "loss").all() and (t.call[~hit_r & ~hit_a] == "none").all()
    assert np.allclose(t.delta.dropna(), (t.alt_score - t.ref_score).dropna())


def test_default_reports_hits_only_and_keeps_vcf_order(data):
    with pytest.warns(UserWarning):
        every = variant_effects(data["motifs"], data["fa"], data["dir"] / "v.vcf", pvalue=1e-3, report="all").table
        hits = variant_effects(data["motifs"], data["fa"], data["dir"] / "v.vcf", pvalue=1e-3).table
    assert len(hits) == int((every.call != "none").sum()) and len(hits) > 0
    ids = [int(i[1:]) for i in every.id]
    assert ids == sorted(ids)  # VCF order, whatever the contig order


@pytest.mark.parametrize("backend", BACKENDS)
def test_threads_and_backends_do_not_change_the_table(data, backend):
    with pytest.warns(UserWarning):
        one = variant_effects(data["motifs"], data["fa"], data["dir"] / "v.vcf", pvalue=1e-2, threads=1, batch=7)
        two = variant_effects(data["motifs"], data["fa"], data["dir"] / "v.vcf", pvalue=1e-2, threads=2,
                              backend=backend)
    pd.testing.assert_frame_equal(one.table, two.table)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "exactpwm", *map(str, args)], capture_output=True, text=True)


@pytest.mark.slow
def test_cli_variants(data, tmp_path):
    r = run_cli("variants", data["dir"] / "m.meme", data["fa"], data["dir"] / "v.vcf.gz", "--thresh", "1e-2",
                "-o", tmp_path / "eff.tsv")
    assert r.returncode == 0, r.stderr
    assert "not scored" in r.stderr and "REF does not match" in r.stderr
    t = pd.read_csv(tmp_path / "eff.tsv", sep="\t", comment="#")
    assert {"gain", "loss", "change"} & set(t.call) and "none" not in set(t.call)
    r = run_cli("variants", data["dir"] / "m.meme", data["fa"], data["dir"] / "v.vcf.gz", "--thresh", "1e-2",
                "-o", tmp_path / "eff2.tsv", "--vcf-out", tmp_path / "out.vcf.gz")
    assert r.returncode == 0, r.stderr
    with pysam.VariantFile(str(tmp_path / "out.vcf.gz")) as vf:
        recs = list(vf)
    assert len(recs) == len(data["recs"]) + 4  # every record kept, annotated or not
    notes = [e for rec in recs for e in rec.info.get("EXACTPWM", ())]
    assert len(notes) == len(t)
    first = t.iloc[0]
    rec = next(x for x in recs if x.id == first.id)
    assert any(e.split("|")[1:3] == [first.motif, first.call] for e in rec.info["EXACTPWM"])
    for args, msg in [((data["fa"], tmp_path / "none.vcf"), "none.vcf"),
                      ((tmp_path / "none.fa", data["dir"] / "v.vcf"), "none.fa")]:
        r = run_cli("variants", data["dir"] / "m.meme", *args)
        assert r.returncode == 1 and msg in r.stderr and "Traceback" not in r.stderr
    # a CNN's kernels, converted exactly: the same calls as their exact PWMs written by convert
    kernels = np.random.default_rng(4).normal(size=(2, 4, 8))
    np.save(tmp_path / "k.npy", kernels)
    r = run_cli("variants", tmp_path / "k.npy", data["fa"], data["dir"] / "v.vcf", "--thresh", "1e-2", "--base", "e",
                "-o", tmp_path / "k.tsv")
    assert r.returncode == 0, r.stderr
    assert run_cli("convert", tmp_path / "k.npy", "--base", "e", "-o", tmp_path / "k.meme").returncode == 0
    r2 = run_cli("variants", tmp_path / "k.meme", data["fa"], data["dir"] / "v.vcf", "--thresh", "1e-2",
                 "-o", tmp_path / "k2.tsv")
    assert r2.returncode == 0, r2.stderr
    # the same rows and calls; the numbers agree to the precision of the probabilities the file prints
    a, b = (pd.read_csv(tmp_path / f, sep="\t", comment="#") for f in ("k.tsv", "k2.tsv"))
    assert len(a) == len(b) > 0
    numeric = ["ref_score", "ref_pvalue", "alt_score", "alt_pvalue", "delta"]
    pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric))
    np.testing.assert_allclose(a[numeric].to_numpy(float), b[numeric].to_numpy(float), rtol=1e-4, atol=1e-5)
    (tmp_path / "junk.vcf").write_text("not a vcf\n")
    r = run_cli("variants", data["dir"] / "m.meme", data["fa"], tmp_path / "junk.vcf")
    assert r.returncode == 1 and "junk.vcf" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("strand", ["+", "both"])
def test_kernel_effects_against_the_convolution_of_both_haplotypes(data, strand):
    from exactpwm.interpret.variant_effects import kernel_variant_effects

    rng = np.random.default_rng(9)
    W, b = rng.normal(size=(4, 4, 6)), rng.normal(size=4)
    with pytest.warns(UserWarning, match="not scored"):
        eff = kernel_variant_effects(W, data["fa"], data["dir"] / "v.vcf", b, strand=strand)
    assert eff.ref.shape == (len(eff.variants), 4) and eff.skipped["ref_mismatch"] == 1
    assert [v.record for v in eff.variants] == sorted(v.record for v in eff.variants)
    L = 6
    for v, ref, alt in zip(eff.variants, eff.ref, eff.alt):
        g = data["genome"][v.chrom]
        a, r, s = v.trimmed()
        hap = g[:v.pos] + v.alt + g[v.pos + len(v.ref):]
        for seq, n, got in ((g, len(r), ref), (hap, len(s), alt)):
            lo, hi = (a - L + 1, a + n - 1) if n else (a - L + 1, a - 1)
            padded = "N" * L + seq + "N" * L  # past the ends: zero columns
            best = np.full(4, -np.inf)
            for st in range(lo, hi + 1):
                win = exactpwm.encode(padded[st + L:st + 2 * L])
                sc = exactpwm.conv1d(win, W, b, dtype=np.float64)[:, 0]
                if strand == "both":
                    sc = np.maximum(sc, exactpwm.conv1d(exactpwm.reverse_complement(win), W, b, dtype=np.float64)[:, 0])
                best = np.maximum(best, sc)
            np.testing.assert_allclose(got, best, atol=1e-12)
    np.testing.assert_allclose(eff.delta, eff.alt - eff.ref)


def test_model_effects_pwm_model_and_torch_agree(data):
    torch = pytest.importorskip("torch")
    from exactpwm.interpret.variant_effects import model_variant_effects

    rng = np.random.default_rng(11)
    W, b = rng.normal(size=(5, 4, 7)), rng.normal(size=5)
    A, c = rng.normal(size=(2, 5)), rng.normal(size=2)
    pm = exactpwm.PWMModel.from_layers(W, b, dense_weight=A, dense_bias=c)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(4, 5, 7).double()
            self.conv.weight.data, self.conv.bias.data = torch.from_numpy(W), torch.from_numpy(b)
            self.dense = torch.nn.Linear(5, 2).double()
            self.dense.weight.data, self.dense.bias.data = torch.from_numpy(A), torch.from_numpy(c)

        def forward(self, x):
            return self.dense(torch.relu(self.conv(x)).max(dim=-1).values)

    with pytest.warns(UserWarning):
        a = model_variant_effects(pm, data["fa"], data["dir"] / "v.vcf", 40)
        t = model_variant_effects(Net().eval(), data["fa"], data["dir"] / "v.vcf", 40)
    assert a.ref.shape == (len(a.variants), 2)
    np.testing.assert_allclose(a.ref, t.ref, atol=1e-8)
    np.testing.assert_allclose(a.alt, t.alt, atol=1e-8)
    # the windows: 19 bases before the change, then the haplotype
    for v, alt in zip(a.variants[:30], a.alt[:30]):
        g = "N" * 40 + data["genome"][v.chrom] + "N" * 40
        start, (p0, r, s) = v.trimmed()[0] - 19 + 40, v.trimmed()
        hap = g[start:p0 + 40] + s + g[p0 + len(r) + 40:]
        np.testing.assert_allclose(alt, pm([hap[:40]])[0], atol=1e-10)


@pytest.mark.slow
def test_cli_kernel_activations(data, tmp_path):
    """`variants --activations`: the kernels' maximum activations on REF and ALT, as the API gives them."""
    from exactpwm.interpret.variant_effects import kernel_variant_effects

    rng = np.random.default_rng(5)
    W, b = rng.normal(size=(3, 4, 7)), rng.normal(size=3)
    np.savez(tmp_path / "k.npz", weight=W, bias=b)
    r = run_cli("variants", tmp_path / "k.npz", data["fa"], data["dir"] / "v.vcf", "--activations", "--strand", "both",
                "--names", "a,b,c", "-o", tmp_path / "act.tsv")
    assert r.returncode == 0, r.stderr
    assert "REF does not match" in r.stderr
    t = pd.read_csv(tmp_path / "act.tsv", sep="\t", comment="#")
    with pytest.warns(UserWarning):
        eff = kernel_variant_effects(W, data["fa"], data["dir"] / "v.vcf", b, strand="both")
    assert len(t) == 3 * len(eff.variants) and list(t.kernel[:3]) == ["a", "b", "c"]
    np.testing.assert_allclose(t.ref_activation.to_numpy().reshape(-1, 3), eff.ref, rtol=1e-5)  # %.6g
    np.testing.assert_allclose(t.delta.to_numpy().reshape(-1, 3), eff.delta, rtol=1e-5, atol=1e-5)
    r = run_cli("variants", tmp_path / "k.npz", data["fa"], data["dir"] / "v.vcf", "--activations",
                "--min-delta", "1", "-o", tmp_path / "act1.tsv")
    assert r.returncode == 0, r.stderr
    t1 = pd.read_csv(tmp_path / "act1.tsv", sep="\t", comment="#")
    assert len(t1) and (t1.delta.abs() >= 1).all()
    for extra, msg in [((), "is not a kernel file"), (("--all",), "not --activations")]:
        motifs = data["dir"] / "m.meme" if not extra else tmp_path / "k.npz"
        r = run_cli("variants", motifs, data["fa"], data["dir"] / "v.vcf", "--activations", *extra)
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr


def test_kernel_activations_in_parts_merge_into_the_whole_table(data, tmp_path):
    """variants --activations --part K/N, then merge: the one run's TSV; a model's outputs are refused
    by name (its batches would differ from one run's)."""
    from exactpwm.app.cli import main

    rng = np.random.default_rng(6)
    np.savez(tmp_path / "k.npz", weight=rng.normal(size=(3, 4, 7)), bias=rng.normal(size=3))
    args = [str(tmp_path / "k.npz"), str(data["fa"]), str(data["dir"] / "v.vcf.gz"), "--activations",
            "--strand", "both", "--min-delta", "0.5"]
    assert main(["variants", *args, "-o", str(tmp_path / "whole.tsv")]) == 0
    parts = [str(tmp_path / f"a{k}.npz") for k in range(1, 6)]
    for k, path in enumerate(parts, 1):
        assert main(["variants", *args, "--part", f"{k}/5", "-o", path]) == 0
    assert main(["merge", *parts, "-o", str(tmp_path / "merged.tsv")]) == 0
    want = (tmp_path / "whole.tsv").read_text().splitlines()[:-1]
    assert (tmp_path / "merged.tsv").read_text().splitlines()[:-1] == want and len(want) > 20
    np.savez(tmp_path / "k2.npz", weight=rng.normal(size=(3, 4, 7)), bias=rng.normal(size=3))
    other = str(tmp_path / "other.npz")
    assert main(["variants", str(tmp_path / "k2.npz"), *args[1:], "--part", "1/5", "-o", other]) == 0
    r = run_cli("merge", other, *parts[1:], "-o", tmp_path / "x.tsv")
    assert r.returncode == 2 and "different runs" in r.stderr


def test_a_missing_fai_is_built_or_named(data, tmp_path):
    """pysam indexes a FASTA without .fai when it can write beside it; where it cannot, the error
    names the file."""
    import shutil

    fa = tmp_path / "g.fa"
    shutil.copy(data["fa"], fa)
    with pytest.warns(UserWarning, match="not scored"):
        eff = variant_effects(exactpwm.read_motifs(data["dir"] / "m.meme"), str(fa), str(data["dir"] / "v.vcf"),
                              pvalue=1e-2)
    assert (tmp_path / "g.fa.fai").exists() and len(eff.table)
    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copy(data["fa"], bad / "g.fa")
    (bad / "g.fa.fai").mkdir()  # the index cannot be read nor written (as with a read-only folder, even as root)
    with pytest.raises(ValueError, match="g.fa"):
        variant_effects(exactpwm.read_motifs(data["dir"] / "m.meme"), str(bad / "g.fa"), str(data["dir"] / "v.vcf"),
                        pvalue=1e-2)


def test_records_are_cut_from_the_genome_with_n_past_its_ends():
    from exactpwm.core.haplotypes import genome_rows

    rng = np.random.default_rng(2)
    for size, n in ((50, 7), (5, 9), (0, 3)):
        genome = rng.integers(0, 4, size).astype(np.uint8)
        starts = rng.integers(-12, size + 12, 40)
        padded = np.concatenate([np.full(20, 4, np.uint8), genome, np.full(40, 4, np.uint8)])
        want = np.stack([padded[st + 20:st + 20 + n] for st in starts])
        np.testing.assert_array_equal(genome_rows(genome, starts, n), want)


@pytest.mark.slow
def test_cli_outputs_of_a_model_saved_by_torch_export(data, tmp_path):
    """A whole model (.pt2): its outputs on the window of each haplotype, as model_variant_effects gives."""
    torch = pytest.importorskip("torch")
    from exactpwm.interpret.variant_effects import model_variant_effects

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv1d(4, 6, 7), torch.nn.ReLU(), torch.nn.AdaptiveMaxPool1d(1),
                              torch.nn.Flatten(), torch.nn.Linear(6, 2)).eval()
    x = torch.zeros(3, 4, 41)
    torch.export.save(torch.export.export(net, (x,), dynamic_shapes=({0: torch.export.Dim("batch")},)),
                      tmp_path / "any_batch.pt2")
    torch.export.save(torch.export.export(net, (x,)), tmp_path / "three.pt2")  # batches of 3 only
    with pytest.warns(UserWarning):
        want = model_variant_effects(net, data["fa"], data["dir"] / "v.vcf", 41)
    for name in ("any_batch.pt2", "three.pt2"):
        r = run_cli("variants", tmp_path / name, data["fa"], data["dir"] / "v.vcf", "-o", tmp_path / "o.tsv")
        assert r.returncode == 0, r.stderr
        t = pd.read_csv(tmp_path / "o.tsv", sep="\t", comment="#")
        assert list(t.columns[5:]) == ["output", "ref_output", "alt_output", "delta"]
        np.testing.assert_allclose(t.ref_output.to_numpy().reshape(-1, 2), want.ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(t.delta.to_numpy().reshape(-1, 2), want.delta, rtol=1e-5, atol=1e-5)
    r = run_cli("variants", tmp_path / "three.pt2", data["fa"], data["dir"] / "v.vcf", "--length", "40")
    assert r.returncode == 2 and "41 bases" in r.stderr
    (tmp_path / "junk.pt2").write_bytes(b"not a model")
    r = run_cli("variants", tmp_path / "junk.pt2", data["fa"], data["dir"] / "v.vcf")
    assert r.returncode == 2 and "junk.pt2" in r.stderr and "Traceback" not in r.stderr


def test_moved_names_still_work_for_one_release():
    """Kernel and model effects moved to exactpwm.interpret.variant_effects; the old scanning path
    still gives them, with a DeprecationWarning."""
    import exactpwm.scanning.variants as old
    from exactpwm.interpret import variant_effects as new

    for name in ("kernel_variant_effects", "model_variant_effects", "KernelVariantEffects"):
        with pytest.warns(DeprecationWarning, match=f"moved to exactpwm.interpret.variant_effects.{name}"):
            assert getattr(old, name) is getattr(new, name)
    with pytest.raises(AttributeError):
        old.no_such_name  # noqa: B018


@pytest.mark.parametrize("n,extra", [(3, []), (7, ["--all"]), (200, [])])
def test_variants_in_parts_merge_into_the_whole_table(data, tmp_path, n, extra):
    """exactpwm variants --part K/N over the VCF's records, then exactpwm merge: the whole TSV
    (all kinds of variants, skipped ones, contigs out of order), only the command line differs."""
    from exactpwm.app.cli import main

    args = [str(data["dir"] / "m.meme"), str(data["fa"]), str(data["dir"] / "v.vcf.gz"), "--thresh", "1e-2", *extra]
    assert main(["variants", *args, "-o", str(tmp_path / "whole.tsv")]) == 0
    parts = [str(tmp_path / f"v{k}.npz") for k in range(1, n + 1)]
    for k, path in enumerate(parts, 1):
        assert main(["variants", *args, "--part", f"{k}/{n}", "-o", path]) == 0
    assert main(["merge", *parts[::-1], "-o", str(tmp_path / "merged.tsv")]) == 0
    lines = [(tmp_path / f).read_text().splitlines() for f in ("whole.tsv", "merged.tsv")]
    assert lines[0][:-1] == lines[1][:-1] and len(lines[0]) > 20
    assert lines[1][-1].startswith("# exactpwm merge")
    r = run_cli("merge", *parts, "-o", tmp_path / "m2.tsv", "--vcf-out", tmp_path / "o.vcf")
    assert r.returncode == 2 and "--vcf-out" in r.stderr and not (tmp_path / "m2.tsv").exists()


def test_variants_vcf_out_in_parts_and_on_dask(data, tmp_path):
    """--vcf-out with --part: each part holds its records' INFO entries, and merge --vcf-out writes
    the VCF one run annotates; --dask writes it too."""
    from exactpwm.app.cli import main

    vcf = str(data["dir"] / "v.vcf.gz")
    args = [str(data["dir"] / "m.meme"), str(data["fa"]), vcf, "--thresh", "1e-2"]
    assert main(["variants", *args, "-o", str(tmp_path / "whole.tsv"), "--vcf-out", str(tmp_path / "whole.vcf")]) == 0
    parts = [str(tmp_path / f"v{k}.npz") for k in range(1, 5)]
    for k, path in enumerate(parts, 1):
        assert main(["variants", *args, "--part", f"{k}/4", "-o", path, "--vcf-out", "x.vcf"]) == 0
    assert main(["merge", *parts, "-o", str(tmp_path / "m.tsv"), "--vcf-out", str(tmp_path / "m.vcf")]) == 0
    body = [ln for ln in (tmp_path / "whole.vcf").read_text().splitlines() if not ln.startswith("##")]
    assert [ln for ln in (tmp_path / "m.vcf").read_text().splitlines() if not ln.startswith("##")] == body
    assert sum("EXACTPWM=" in ln for ln in body) > 10
    assert (tmp_path / "m.tsv").read_text().splitlines()[:-1] == (tmp_path / "whole.tsv").read_text().splitlines()[:-1]
    one = [str(tmp_path / "one.npz")]
    assert main(["variants", *args, "--part", "1/1", "-o", one[0]]) == 0  # without --vcf-out: another run
    r = run_cli("merge", *parts[:3], *one, "-o", tmp_path / "x.tsv")
    assert r.returncode == 2 and "different runs" in r.stderr


def test_count_records_equals_the_records_pysam_reads(data, tmp_path):
    from exactpwm.io.vcf import count_records

    for name in ("v.vcf", "v.vcf.gz"):
        with pysam.VariantFile(str(data["dir"] / name)) as vf:
            assert count_records(str(data["dir"] / name)) == sum(1 for _ in vf)
    text = (data["dir"] / "v.vcf").read_text().rstrip("\n")  # no newline after the last record
    (tmp_path / "cut.vcf").write_text(text)
    assert count_records(str(tmp_path / "cut.vcf")) == text.count("\n") + 1 - sum(
        1 for ln in text.splitlines() if ln.startswith("#"))


def test_variants_by_region_concatenate_into_the_whole_table(data, tmp_path):
    """exactpwm variants --region through the VCF's tabix index: the records whose POS lies in the
    region; the rows of regions that follow each other, one after the other, are the whole run's
    (record numbers included)."""
    from exactpwm.app.cli import main

    lines = (data["dir"] / "v.vcf").read_text().splitlines()
    head = [ln for ln in lines if ln.startswith("#")]
    body = [ln.split("\t") for ln in lines if not ln.startswith("#")]
    order = {c: i for i, c in reversed(list(enumerate(r[0] for r in body)))}
    body.sort(key=lambda r: (order[r[0]], int(r[1])))
    (tmp_path / "s.vcf").write_text("\n".join(head + ["\t".join(r) for r in body]) + "\n")
    pysam.tabix_compress(str(tmp_path / "s.vcf"), str(tmp_path / "s.vcf.gz"))
    vcf = str(tmp_path / "s.vcf.gz")
    args = [str(data["dir"] / "m.meme"), str(data["fa"]), vcf, "--thresh", "1e-2", "--all"]
    r = run_cli("variants", *args, "--region", "chr1:1-2000", "-o", tmp_path / "x.tsv")
    assert r.returncode == 1 and "tabix -p vcf" in r.stderr and not (tmp_path / "x.tsv").exists()
    pysam.tabix_index(vcf, preset="vcf")
    assert main(["variants", *args, "-o", str(tmp_path / "whole.tsv")]) == 0
    whole = (tmp_path / "whole.tsv").read_text().splitlines()[:-1]
    got = whole[:1]
    for k, region in enumerate(["chr2:1-700", "chr2:701-", "chr1:1", "chr1:2-2,000", "chr1:2001-", "chrZ"]):
        assert main(["variants", *args, "--region", region, "-o", str(tmp_path / f"r{k}.tsv")]) == 0
        part = (tmp_path / f"r{k}.tsv").read_text().splitlines()[:-1]
        assert part[0] == whole[0]
        got += part[1:]
    assert got == whole and len(whole) > 100
    for region, code, message in (("chr1:9-2", 2, "end is before the start"), ("chr1:0-5", 2, "1-based"),
                                  ("chrQ:1-5", 1, "'chrQ' is not a contig")):
        r = run_cli("variants", *args, "--region", region, "-o", tmp_path / "y.tsv")
        assert r.returncode == code and message in r.stderr, r.stderr
    r = run_cli("variants", *args, "--region", "chr1", "--part", "1/2", "-o", tmp_path / "y.npz")
    assert r.returncode == 2 and "--region" in r.stderr


def test_vcf_out_keeps_records_of_contigs_the_header_does_not_declare(data, tmp_path):
    """A text VCF whose records name a contig its header lacks: htslib would end the process when
    it writes such a record (exit 1, no message); the annotated VCF declares the contig instead."""
    text = (data["dir"] / "v.vcf").read_text().replace("##contig=<ID=chrZ,length=100>\n", "")
    (tmp_path / "u.vcf").write_text(text)
    r = run_cli("variants", data["dir"] / "m.meme", data["fa"], tmp_path / "u.vcf", "--thresh", "1e-2",
                "-o", tmp_path / "u.tsv", "--vcf-out", tmp_path / "u.out.vcf")
    assert r.returncode == 0, r.stderr
    out = (tmp_path / "u.out.vcf").read_text()
    assert "##contig=<ID=chrZ>" in out and "\nchrZ\t5\t" in out
    assert sum(1 for ln in out.splitlines() if not ln.startswith("#")) == \
        sum(1 for ln in text.splitlines() if not ln.startswith("#"))
