"""Scanning on a Dask LocalCluster (loopback only) gives exactly the in-process hits."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys

import exactpwm
import numpy as np
import pytest
from exactpwm import Motif, MotifSet

distributed = pytest.importorskip("dask.distributed")
from exactpwm.scanning.distributed import read_partitions, scan_distributed, tracks_distributed  # noqa: E402
from motifs import jaspar_pwm  # noqa: E402

# motifs that can never reach the threshold are part of these inputs
pytestmark = [pytest.mark.filterwarnings("ignore::exactpwm.scanning.plan.ScanWarning"), pytest.mark.slow]

FIELDS = ["motif", "sequence", "start", "end", "strand", "score", "pvalue", "matched"]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                       processes=True)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(11)
    d = tmp_path_factory.mktemp("dask")
    records = {}
    for i, n in enumerate((60_000, 7_001, 10)):
        s = rng.choice(list("ACGT"), size=n)
        if i == 0:
            s[30_000:30_400] = "N"
        records[f"r{i}"] = "".join(s)
    fa = d / "g.fa"
    fa.write_text("".join(f">{k}\n{v}\n" for k, v in records.items()))
    motifs = MotifSet([Motif("CTCF", jaspar_pwm(), alt_name="ctcf"),
                       *[Motif(f"m{w}", rng.dirichlet(np.ones(4) * 0.4, size=w).T) for w in (1, 6, 12, 30)]])
    return d, fa, motifs


@pytest.mark.parametrize("chunk_size,groups", [(1_000, 1), (4_099, 3), (1 << 20, 2)])
def test_same_hits_as_in_process(client, data, chunk_size, groups):
    d, fa, motifs = data
    ref = exactpwm.scan(motifs, fa, pvalue=1e-3, pseudocount=0.1)
    got = scan_distributed(motifs, fa, client=client, pvalue=1e-3, pseudocount=0.1, chunk_size=chunk_size,
                           motif_groups=groups)
    assert got.n_hits == len(ref) > 100
    np.testing.assert_array_equal(got.hits.rows[FIELDS], ref.rows[FIELDS])
    assert got.hits.sequence_names == ref.sequence_names


def test_partition_files_equal_the_in_process_output(client, data, tmp_path):
    d, fa, motifs = data
    ref = exactpwm.scan(motifs, fa, pvalue=1e-3, pseudocount=0.1)
    for fmt, write in (("bed", ref.write_bed), ("tsv", ref.write_tsv)):
        res = scan_distributed(motifs, fa, tmp_path / fmt, client=client, pvalue=1e-3, pseudocount=0.1,
                               chunk_size=3_000, format=fmt)
        buf = io.StringIO()
        write(buf)
        expected = [ln.split("\t") for ln in buf.getvalue().splitlines()[(fmt == "tsv"):] if ln and ln[0] != "#"]
        assert read_partitions(res.paths) == expected
        assert res.paths == sorted(res.paths)


def test_a_killed_worker_loses_and_duplicates_nothing(data, tmp_path):
    d, fa, motifs = data
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                       processes=True)
    c = distributed.Client(cluster)
    try:
        calls = []
        pids = c.run(os.getpid)  # worker address -> process id

        def kill_one_worker_midway(_):
            calls.append(1)
            if len(calls) == 20:  # a third of the way in: SIGKILL a worker process (its nanny restarts it)
                os.kill(pids[sorted(pids)[0]], signal.SIGKILL)

        ref = exactpwm.scan(motifs, fa, pvalue=1e-3, pseudocount=0.1)
        got = scan_distributed(motifs, fa, tmp_path / "parts", client=c, pvalue=1e-3, pseudocount=0.1,
                               chunk_size=1_000, format="bed", max_in_flight=8, progress=kill_one_worker_midway)
        assert len(calls) > 20
        buf = io.StringIO()
        ref.write_bed(buf)
        assert read_partitions(got.paths) == [ln.split("\t") for ln in buf.getvalue().splitlines()]
    finally:
        c.close()
        cluster.close()


def test_scans_back_to_back_on_one_client_with_a_worker_killed_between(data):
    """Each call scatters its plan under a fresh key: the same plan scattered again by the next call
    while the scheduler still releases the last one's is no "lost dependency" (it was, with content
    hashes), and a worker killed between two calls costs nothing."""
    d, fa, motifs = data
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                       processes=True)
    c = distributed.Client(cluster)
    try:
        ref = exactpwm.scan(motifs, fa, pvalue=1e-3)
        for i in range(8):
            if i == 4:
                pids = c.run(os.getpid)
                os.kill(pids[sorted(pids)[0]], signal.SIGKILL)  # its nanny restarts it
            got = scan_distributed(motifs, fa, client=c, pvalue=1e-3, chunk_size=20_000, motif_groups=1 + i % 2)
            np.testing.assert_array_equal(got.hits.rows[FIELDS], ref.rows[FIELDS])
    finally:
        c.close()
        cluster.close()


def test_tracks_partitions_equal_score_tracks(client, data, tmp_path):
    d, fa, motifs = data
    sub = motifs.select(["m6", "CTCF"])
    folders = tracks_distributed(sub, fa, tmp_path / "tracks", client=client, chunk_size=5_000, pseudocount=0.1)
    for k, folder in enumerate(folders):
        got = {}
        for name in sorted(os.listdir(folder)):
            for ln in open(os.path.join(folder, name)):
                chrom, a, b, v = ln.split("\t")
                for p in range(int(a), int(b)):
                    got[(chrom, p)] = float(v)
        n_checked = 0
        for name, start, idx, scores in exactpwm.score_tracks(sub, fa, pseudocount=0.1):
            best = np.fmax(scores[0], scores[1])[list(idx).index(k)] if k in idx else None
            if best is None:
                continue
            for j in range(0, best.size, 97):
                if np.isnan(best[j]):
                    assert (name, start + j) not in got
                else:
                    assert got[(name, start + j)] == best[j]
                    n_checked += 1
        assert n_checked > 100


def test_cli_dask_local_matches_in_process(data, tmp_path):
    d, fa, motifs = data
    exactpwm.write_motifs(motifs, tmp_path / "m.meme")
    run = lambda *a: subprocess.run([sys.executable, "-m", "exactpwm", *map(str, a)],  # noqa: E731
                                    capture_output=True, text=True)
    r = run("scan", tmp_path / "m.meme", fa, "--dask", "local:2", "-o", tmp_path / "parts", "--format", "bed",
            "--chunk-size", "7000", "--thresh", "1e-3")
    assert r.returncode == 0, r.stderr
    local = run("scan", tmp_path / "m.meme", fa, "--format", "bed", "--thresh", "1e-3")
    files = sorted((tmp_path / "parts").iterdir())
    assert "".join(p.read_text() for p in files).splitlines() == \
        [ln for ln in local.stdout.splitlines() if not ln.startswith("#")]
    bad = run("scan", tmp_path / "m.meme", fa, "--dask", "local:1", "--format", "maxima", "-o", tmp_path / "x")
    assert bad.returncode == 2 and "not supported" in bad.stderr


def test_core_package_does_not_import_dask():
    code = "import exactpwm, sys; import exactpwm.interpret.pwm_model, exactpwm.io.kernels; " \
           "exactpwm.scan([[[1.0], [0], [0], [0]]], 'ACGTACGT', mode='matrix', score=0); " \
           "print('dask' in sys.modules, 'torch' in sys.modules, 'h5py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False", "False"], out.stderr


def test_parquet_partitions(client, data, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    d, fa, motifs = data
    ref = exactpwm.scan(motifs, fa, pvalue=1e-3, pseudocount=0.1)
    res = scan_distributed(motifs, fa, tmp_path / "pq", client=client, pvalue=1e-3, pseudocount=0.1,
                           chunk_size=5_000, format="parquet")
    tables = [pq.read_table(p) for p in res.paths]
    starts = np.concatenate([t.column("start").to_numpy() for t in tables])
    names = np.concatenate([t.column("motif_name").to_numpy(zero_copy_only=False) for t in tables])
    np.testing.assert_array_equal(starts, ref.rows["start"])
    assert list(names) == [ref.motif_names[m] for m in ref.rows["motif"]]


@pytest.fixture(scope="module")
def variant_data(tmp_path_factory):
    pysam = pytest.importorskip("pysam")
    pytest.importorskip("pandas")
    rng = np.random.default_rng(21)
    d = tmp_path_factory.mktemp("dask_variants")
    seqs = {"chr1": "".join(rng.choice(list("ACGT"), 6000)), "chr2": "".join(rng.choice(list("ACGT"), 3000))}
    (d / "g.fa").write_text("".join(f">{k}\n{v}\n" for k, v in seqs.items()))
    pysam.faidx(str(d / "g.fa"))
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=6000>", "##contig=<ID=chr2,length=3000>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for chrom in ("chr2", "chr1"):
        for pos in sorted(rng.choice(np.arange(1, len(seqs[chrom])), 150, replace=False)):
            ref = seqs[chrom][pos - 1]
            lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{'G' if ref != 'G' else 'T'}\t.\tPASS\t.")
    lines.append("chrZ\t5\t.\tA\tC\t.\tPASS\t.")  # a contig the genome lacks: skipped, counted
    (d / "v.vcf").write_text("\n".join(lines) + "\n")
    motifs = MotifSet([Motif(f"m{w}", rng.dirichlet(np.ones(4) * 0.3, size=w).T) for w in (6, 9, 14)])
    exactpwm.write_motifs(motifs, d / "m.meme")
    return d


def test_variants_on_dask_equal_one_process_with_a_worker_killed(variant_data, tmp_path):
    """exactpwm variants --dask: runs of VCF records as tasks; the TSV is the in-process one, even
    when a worker dies mid-run (its tasks are run again)."""
    from exactpwm.jobs.common import MotifSource
    from exactpwm.jobs.variants import VariantsOptions, run_variants

    d = variant_data
    opts = dict(motifs=MotifSource(str(d / "m.meme")), genome=str(d / "g.fa"), vcf=str(d / "v.vcf"), pvalue=1e-2)
    run_variants(VariantsOptions(**opts, output=str(tmp_path / "one.tsv"), vcf_out=str(tmp_path / "one.vcf")),
                 log=lambda line: None)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                       processes=True)
    try:
        address = cluster.scheduler_address
        c = distributed.Client(cluster)
        pids = c.run(os.getpid)
        import threading

        def kill() -> None:
            try:
                os.kill(pids[sorted(pids)[0]], signal.SIGKILL)
            except ProcessLookupError:  # the run ended first
                pass

        timer = threading.Timer(1.0, kill)
        timer.start()
        lines: list[str] = []
        run_variants(VariantsOptions(**opts, output=str(tmp_path / "dask.tsv"), dask=address,
                                     vcf_out=str(tmp_path / "dask.vcf")), log=lines.append)
        timer.cancel()
        c.close()
    finally:
        cluster.close()
    one, two = ((tmp_path / f).read_text().splitlines() for f in ("one.tsv", "dask.tsv"))
    assert one == two and len(one) > 50
    assert any("not scored" in ln for ln in lines)
    one, two = ([ln for ln in (tmp_path / f).read_text().splitlines() if not ln.startswith("##")]
                for f in ("one.vcf", "dask.vcf"))
    assert one == two and sum("EXACTPWM=" in ln for ln in one) > 10


def test_partitions_appear_together_or_not_at_all(client, data, tmp_path):
    """A run that fails leaves the folder as it was (no partial set, no staging folder); a new run
    replaces every partition of the last one (none of a run with other chunks stays behind)."""
    d, fa, motifs = data
    out = tmp_path / "parts"
    first = scan_distributed(motifs, fa, out, client=client, pvalue=1e-3, chunk_size=4_000, format="bed")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before) == len(first.paths) > 5
    rows = read_partitions(first.paths)

    def fail_midway(_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scan_distributed(motifs, fa, out, client=client, pvalue=1e-3, chunk_size=1_000, format="bed",
                         progress=fail_midway)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    second = scan_distributed(motifs, fa, out, client=client, pvalue=1e-3, chunk_size=30_000, format="bed")
    assert sorted(p.name for p in out.iterdir()) == sorted(os.path.basename(p) for p in second.paths)
    assert read_partitions(second.paths) == rows
    folders = tracks_distributed(motifs[:2], fa, tmp_path / "tracks", client=client, chunk_size=20_000)
    tracks = {f: sorted(os.listdir(f)) for f in folders}
    assert all(len(v) > 3 for v in tracks.values())
    with pytest.raises(KeyboardInterrupt):
        tracks_distributed(motifs[:2], fa, tmp_path / "tracks", client=client, chunk_size=5_000,
                           progress=fail_midway)
    assert sorted(os.listdir(tmp_path / "tracks")) == sorted(os.path.basename(f) for f in folders)
    assert {f: sorted(os.listdir(f)) for f in folders} == tracks


def test_a_plan_whose_worker_dies_is_made_again(data):
    """The plan is a task's result, not scattered data: when the worker holding it is killed, the
    scheduler makes it again for the tasks that need it (a broadcast scatter to a worker that had just
    died retried forever inside the scheduler, seen under AddressSanitizer)."""
    from exactpwm.scanning import distributed as dist

    d, fa, motifs = data
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                       processes=True)
    c = distributed.Client(cluster)
    try:
        plan = dist._held(c, {"plan": np.arange(5)})
        distributed.wait(plan)
        (holder,) = c.who_has(plan)[plan.key]
        os.kill(c.run(os.getpid, workers=[holder])[holder], signal.SIGKILL)
        got = c.submit(lambda p: int(p["plan"].sum()), plan, pure=False, retries=2)
        assert got.result(timeout=120) == 10
        ref = exactpwm.scan(motifs, fa, pvalue=1e-3)
        hits = scan_distributed(motifs, fa, client=c, pvalue=1e-3, chunk_size=20_000)
        np.testing.assert_array_equal(hits.hits.rows[FIELDS], ref.rows[FIELDS])
    finally:
        c.close()
        cluster.close()


def test_torch_on_each_worker_gets_its_share_of_the_cores(client):
    """Model tasks (attribute, gia) set torch's threads to the host's cores over its worker threads:
    two one-thread workers on one machine each get half of it, not all of it."""
    pytest.importorskip("torch")
    from exactpwm.jobs.common import share_cores_with_torch, worker_threads_by_host
    from exactpwm.scanning.distributed import run_tasks

    by_host = worker_threads_by_host(client)
    assert by_host == {"127.0.0.1": 2}

    def threads_after(by_host):
        import torch

        share_cores_with_torch(by_host)
        return torch.get_num_threads()

    cores = len(os.sched_getaffinity(0))
    assert run_tasks(client, threads_after, [(by_host,)] * 4) == [max(1, cores // 2)] * 4
    share_cores_with_torch(by_host)  # outside a worker: nothing changes, no error
