"""Generated command lines: no ``exactpwm`` subcommand ever ends in a Python traceback or a signal.

Hypothesis draws argument lists from a small grammar: a subcommand, positional inputs from a
pool of good, bad and odd files (missing, empty, a folder, binary junk, CR line ends, a kernel
file), and options with good and bad values (thresholds, bases, thread counts, formats, outputs
that are folders, missing folders or inputs). Every run must exit 0, 1 or 2, and a non-zero exit
must print one ``exactpwm <command>: error:`` line (argparse's usage text for exit 2).

Runs in-process through :func:`exactpwm.app.cli.main` (a crash would take the test run down with a
signal, which fails the suite as well). ``EXACTPWM_CLI_EXAMPLES`` sets the number of examples.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from exactpwm.app import cli  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXAMPLES = int(os.environ.get("EXACTPWM_CLI_EXAMPLES", "300"))


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Files the generated command lines point at."""
    d = tmp_path_factory.mktemp("clipool")
    rng = np.random.default_rng(3)
    seq = "".join(rng.choice(list("ACGT"), 400))
    files = {
        "fa": (d / "g.fa", f">a\n{seq}\n>b\nNNNN{seq[:50]}\n".encode()),
        "fa_cr": (d / "cr.fa", f">a\r{seq[:100]}\r".encode()),
        "fa_empty": (d / "empty.fa", b""),
        "fa_junk": (d / "junk.fa", bytes(range(256))),
        "jaspar": (d / "m.jaspar", b">MA1 site\nA [ 9 0 0 1 ]\nC [ 0 9 0 1 ]\nG [ 0 0 9 1 ]\nT [ 0 0 0 6 ]\n"),
        "meme_bad": (d / "bad.meme", b"MEME version 4\n\nMOTIF x\nletter-probability matrix: w= 2\n0.1 0.2\n"),
        "npy": (d / "k.npy", None),
        "pt_junk": (d / "k.pt", b"not a torch file"),
        "bg": (d / "bg.txt", b"A 0.3\nC 0.2\nG 0.2\nT 0.3\n"),
        "vcf": (d / "v.vcf", ("##fileformat=VCFv4.2\n##contig=<ID=a,length=400>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\t"
                              f"FILTER\tINFO\na\t10\t.\t{seq[9]}\tN\t.\t.\t.\na\t0\t.\tA\tC\t.\t.\t.\n"
                              f"a\t50\t.\t{seq[49]}\t{'A' if seq[49] != 'A' else 'C'}\t.\t.\t.\n").encode()),
        "bed": (d / "r.bed", b"a\t10\t200\nb\t0\t40\nzz\t1\t5\n"),
        "link_target": (d / "link_target.txt", b"kept by the link\n"),
    }
    for path, data in files.values():
        if data is None:
            np.save(path, rng.normal(size=(3, 4, 6)))
        else:
            path.write_bytes(data)
    (d / "folder").mkdir()
    os.symlink("link_target.txt", d / "link.txt")
    paths = {k: str(p) for k, (p, _) in files.items()}
    paths.update(missing=str(d / "missing.fa"), folder=str(d / "folder"), stdin="-")
    return d, paths


INPUTS = ["fa", "fa_cr", "fa_empty", "fa_junk", "jaspar", "meme_bad", "npy", "pt_junk", "missing", "folder"]
NUMBERS = st.sampled_from(["0", "1", "1e-4", "0.5", "2", "e", "3", "0.01", "1e-8", "100000",  # mostly sane
                           "-1", "nan", "inf", "-inf", "1e308", "x", "", "1e-300"])
OUTPUTS = st.sampled_from(["new", "new", "folder", "missing_dir", "input", "dev_null", "dev_full", "link", "same"])


@st.composite
def command_lines(draw):
    cmd = draw(st.sampled_from(["scan", "track", "convert", "logo", "compare", "fimo", "variants", "attribute",
                                "info", "demo-bad"]))
    if cmd == "info":
        return ["info"]
    if cmd == "demo-bad":  # only argument errors: the demo itself is tested elsewhere
        return ["demo", "--length", draw(st.sampled_from(["-5", "x", "0"])), "-o", "@out:folder"]
    motifs = st.sampled_from(["jaspar", "jaspar", "jaspar", "npy", "meme_bad", "pt_junk", "missing", "folder", "fa"])
    seqs = st.sampled_from(["fa", "fa", "fa", "fa_cr", "fa_empty", "fa_junk", "missing", "folder", "jaspar"])
    if draw(st.integers(0, 9)) == 0:  # sometimes any number of any inputs
        positional = draw(st.lists(st.sampled_from(INPUTS), max_size=3))
    elif cmd in ("scan", "track"):
        positional = [draw(motifs), draw(seqs)]
    elif cmd == "compare":
        positional = [draw(motifs), draw(motifs)]
    elif cmd in ("fimo", "attribute"):
        positional = [draw(motifs), draw(seqs)]
    elif cmd == "variants":
        positional = [draw(motifs), draw(st.sampled_from(["fa", "fa", "fa_cr", "missing"])),
                      draw(st.sampled_from(["vcf", "vcf", "fa", "missing", "fa_junk"]))]
    else:
        positional = [draw(motifs)]
    argv = [cmd, *(f"@in:{p}" for p in positional)]
    options = {
        "scan": ["--thresh", "--score", "--base", "-j", "--pseudocount", "--format", "--motif", "--chunk-size",
                 "--bgfile", "--norc", "--uniform", "--qvalues", "-o"],
        "track": ["--base", "-j", "--strand", "--motif", "--chunk-size", "-o", "--uniform"],
        "convert": ["--base", "--format", "--offsets", "--key", "--layout", "--dilation", "--flip", "-o",
                    "--pseudocount", "--names", "--equivalent"],
        "logo": ["--base", "--format", "--mode", "-o"],
        "compare": ["--thresh", "--evalue", "--dist", "--min-overlap", "--norc", "--motif-pseudo", "--base", "-o",
                    "--logos", "--uniform", "-j"],
        "fimo": ["--oc", "--o", "--text", "--thresh", "--max-stored-scores", "--motif-pseudo", "--norc",
                 "--max-strand", "--regions", "--bfile"],
        "variants": ["-o", "--vcf-out", "--thresh", "--all", "--pseudocount", "--activations", "--base", "-j"],
        "attribute": ["-o", "-o", "--ohe", "--method", "--target", "--steps", "--shuffles", "--tolerance", "--bigwig",
                      "--regions", "--window"],
    }[cmd]
    for opt in draw(st.lists(st.sampled_from(options), max_size=4)):
        argv.append(opt)
        if opt in ("--norc", "--uniform", "--qvalues", "--flip", "--evalue", "--text", "--max-strand", "--all",
                   "--activations"):
            continue
        if opt in ("-o", "--offsets", "--logos", "--vcf-out", "--oc", "--o", "--equivalent", "--ohe", "--bigwig"):
            argv.append(f"@out:{draw(OUTPUTS)}")
        elif opt == "--regions":
            argv.append(f"@in:{draw(st.sampled_from(['bed', 'fa', 'missing']))}")
        elif opt == "--bfile":
            argv.append(draw(st.sampled_from(["--motif--", "--uniform--", "--nrdb--", "@in:bg", "@in:missing"])))
        elif opt == "--bgfile":
            argv.append(f"@in:{draw(st.sampled_from(['bg', 'fa', 'missing', 'folder']))}")
        elif opt == "--format":
            argv.append(draw(st.sampled_from({"scan": ["tsv", "bed", "gff", "maxima"], "convert": ["meme", "jaspar"],
                                              "logo": ["png", "svg"]}.get(cmd, []) + ["xyz"])))
        elif opt == "--method":
            argv.append(draw(st.sampled_from(["ig", "gxi", "saliency", "deeplift", "ism", "occlusion", "cam"])))
        elif opt == "--dist":
            argv.append(draw(st.sampled_from(["ed", "pearson", "allr", "kullback", "sandelin", "cosine"])))
        elif opt in ("--strand", "--layout", "--mode"):
            argv.append(draw(st.sampled_from(["+", "-", "both", "torch", "keras", "probability", "?"])))
        elif opt in ("--motif", "--key", "--names"):
            argv.append(draw(st.sampled_from(["MA1", "nope", "a,b,c", "weight"])))
        else:
            argv.append(draw(NUMBERS))
    return argv


def _resolve(argv, d, paths, n):
    """Concrete paths; an "input" output is the command's first input file (a file it reads:
    existing files it does not read may be replaced by an explicit -o, as with any tool)."""
    inputs = [paths[a[4:]] for a in argv if a.startswith("@in:") and os.path.isfile(paths[a[4:]])]
    out: list[str] = []
    outputs: list[str] = []
    for i, a in enumerate(argv):
        if a.startswith("@in:"):
            out.append(paths[a[4:]])
        elif a.startswith("@out:"):
            kind = a[5:]
            path = {"new": str(d / f"out{n}_{i}.txt"), "folder": paths["folder"],
                    "missing_dir": str(d / "nodir" / "x.tsv"), "input": (inputs or [paths["fa"]])[0],
                    "dev_null": os.devnull, "dev_full": "/dev/full", "link": str(d / "link.txt"),
                    "same": outputs[-1] if outputs else str(d / f"out{n}_{i}.txt")}[kind]
            outputs.append(path)
            out.append(path)
        else:
            out.append(a)
    return out


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@pytest.mark.slow
@given(argv=command_lines())
def test_no_traceback_no_crash(pool, argv):
    d, paths = pool
    before = {p: os.path.getsize(p) for p in paths.values() if os.path.isfile(p) and p != paths["link_target"]}
    existing = set(os.listdir(d))
    full = _resolve(argv, d, paths, len(os.listdir(d)))
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out), contextlib.chdir(d) \
            if hasattr(contextlib, "chdir") else contextlib.nullcontext():
        try:
            code = cli.main(full)
        except SystemExit as exc:  # argparse and parser.exit
            code = exc.code
    text = err.getvalue()
    hypothesis.event(f"exit {code}")
    assert code in (0, 1, 2), (full, code, text)
    assert "Traceback" not in text, (full, text)
    if code == 1:
        assert text.strip().splitlines()[-1].startswith(f"exactpwm {full[0]}: error: "), (full, text)
    # nothing the user gave is changed
    after = {p: os.path.getsize(p) for p in before}
    assert after == before, full
    assert os.path.isdir(paths["folder"]) and stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert os.path.islink(d / "link.txt") and os.path.isfile(paths["link_target"]), full  # links are followed
    assert not [p for p in os.listdir(d) if p.startswith(".exactpwm-")], full
    mask = os.umask(0)
    os.umask(mask)
    for name in set(os.listdir(d)) - existing:  # new files and folders follow the umask
        mode = stat.S_IMODE(os.stat(d / name).st_mode)
        want = (0o777 if os.path.isdir(d / name) else 0o666) & ~mask
        assert mode == want, (full, name, oct(mode))
