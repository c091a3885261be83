"""One vocabulary (docs/conventions.md): the same names for the same things in every result and
every ``to_pandas()``; the old names kept for one release, with a DeprecationWarning; the jobs a
command is made of, callable from Python with the same result."""

from __future__ import annotations

import subprocess
import sys

import exactpwm
import numpy as np
import pytest

pd = pytest.importorskip("pandas")

# the table vocabulary: a column with one of these meanings has this name in every to_pandas()
VOCABULARY = {"motif", "motif_alt", "sequence", "start", "end", "strand", "score", "pvalue", "qvalue", "matched"}
OTHER_NAMES_FOR_THE_SAME = {"kernel", "motif_id", "motif_name", "sequence_name", "stop", "p-value", "q-value",
                            "position", "matched_sequence", "pos0"}

SEQS = {"a": "ACGTACGTTTGACTCATTTACGTACGGGGATTACAACGT" * 5, "b": "GATTACAGATTACA" * 4}
PWM = exactpwm.one_hot("GATTACA", np.float64) * 0.9 + 0.025


def _columns(frame) -> set[str]:
    return set(frame.columns)


def test_every_to_pandas_speaks_the_vocabulary():
    motifs = exactpwm.MotifSet([exactpwm.Motif("site", PWM, alt_name="tf")])
    frames = {
        "HitTable": exactpwm.scan(motifs, SEQS, pvalue=1e-2).to_pandas(),
        "SequenceMaxima": exactpwm.sequence_maxima(motifs, SEQS).to_pandas(),
        "WindowHits": exactpwm.threshold_hits(list(SEQS.values()), exactpwm.pwm_to_kernel(PWM)[0], [0.0]).to_pandas(),
    }
    for name, frame in frames.items():
        cols = _columns(frame)
        assert {"motif", "start", "strand", "score"} <= cols, name
        assert not cols & OTHER_NAMES_FOR_THE_SAME, (name, cols & OTHER_NAMES_FOR_THE_SAME)
        assert set(frame["strand"]) <= {"+", "-", "."}, name
    assert {"sequence", "end", "pvalue"} <= _columns(frames["HitTable"]) & _columns(frames["SequenceMaxima"])


def test_fimo_columns_are_the_files_columns():
    hits = exactpwm.scan(exactpwm.MotifSet([exactpwm.Motif("site", PWM)]), SEQS, pvalue=1e-2)
    fimo = hits.to_pandas(columns="fimo")
    assert list(fimo.columns) == ["motif_id", "motif_alt_id", "sequence_name", "start", "stop", "strand", "score",
                                  "p-value", "q-value", "matched_sequence"]
    own = hits.to_pandas()
    assert (fimo["start"] == own["start"] + 1).all() and (fimo["stop"] == own["end"]).all()
    with pytest.raises(ValueError, match="columns must be"):
        hits.to_pandas(columns="xyz")


def test_old_names_warn_for_one_release():
    hits = exactpwm.threshold_hits(list(SEQS.values()), exactpwm.pwm_to_kernel(PWM)[0], [0.0])
    with pytest.warns(DeprecationWarning, match="renamed WindowHits.motif"):
        assert hits.kernel is hits.motif
    m = exactpwm.MotifSet([exactpwm.Motif("site", PWM)])
    with pytest.warns(DeprecationWarning, match="both_strands"):
        old = exactpwm.compare_motifs(m, m, both_strands=False, as_frame=False)
    new = exactpwm.compare_motifs(m, m, strand="+", as_frame=False)
    np.testing.assert_array_equal(old.rows, new.rows)
    with pytest.raises(ValueError, match="strand must be"):
        exactpwm.compare_motifs(m, m, strand="-")
    plan = exactpwm.plan_scan(m, pvalue=1e-2)
    names: list[str] = []
    with pytest.warns(DeprecationWarning, match="sequence_names"):
        chunks = list(exactpwm.iter_scan(plan, SEQS, sequence_names=names))
    assert names == ["a", "b"] and chunks[-1].sequence_names == names


def test_iter_scan_yields_names_with_the_rows():
    plan = exactpwm.plan_scan(exactpwm.MotifSet([exactpwm.Motif("site", PWM)]), pvalue=1e-2)
    whole = exactpwm.scan(exactpwm.MotifSet([exactpwm.Motif("site", PWM)]), SEQS, pvalue=1e-2)
    rows, names = [], []
    for chunk in exactpwm.iter_scan(plan, SEQS, chunk_size=50):
        rows.append(chunk.rows)
        names = chunk.sequence_names
        got, n = chunk  # unpacks as (rows, n_tests), as before
        assert got is chunk.rows and n == chunk.n_tests == 0
    np.testing.assert_array_equal(np.concatenate(rows)[["sequence", "start", "motif", "score"]],
                                  whole.rows[["sequence", "start", "motif", "score"]])
    assert names == whole.sequence_names == ["a", "b"]


def test_a_job_is_the_command(tmp_path):
    """exactpwm scan is one call of exactpwm.jobs.run_scan: the same bytes from Python and the CLI."""
    from exactpwm.io.formats import write_motifs
    from exactpwm.jobs import MotifSource, ScanOptions, run_scan

    write_motifs(exactpwm.MotifSet([exactpwm.Motif("site", PWM)]), str(tmp_path / "m.meme"))
    (tmp_path / "s.fa").write_text("".join(f">{k}\n{v}\n" for k, v in SEQS.items()))
    argv = ["scan", "m.meme", "s.fa", "--thresh", "1e-2", "-o", "cli.tsv", "-q"]
    run = subprocess.run([sys.executable, "-m", "exactpwm", *argv], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    result = run_scan(ScanOptions(MotifSource(str(tmp_path / "m.meme")), str(tmp_path / "s.fa"),
                                  output=str(tmp_path / "api.tsv"), pvalue=1e-2, argv=argv))
    assert result.rows > 0
    assert (tmp_path / "api.tsv").read_text() == (tmp_path / "cli.tsv").read_text()


def test_jobs_refuse_options_that_do_not_fit(tmp_path):
    from exactpwm.jobs import MotifSource, OptionsError, ScanOptions, run_scan

    (tmp_path / "s.fa").write_text(">a\nACGT\n")
    with pytest.raises(OptionsError, match="format must be one of"):
        run_scan(ScanOptions(MotifSource("m.meme"), str(tmp_path / "s.fa"), format="xyz"))
    assert issubclass(OptionsError, ValueError)


def test_input_errors_are_value_errors_and_keep_their_lookup_type():
    from exactpwm.core.errors import InputTypeError, NotFoundError

    m = exactpwm.MotifSet([exactpwm.Motif("site", PWM)])
    with pytest.raises(KeyError) as lookup:
        m.select(["nope"])
    assert isinstance(lookup.value, (ValueError, NotFoundError)) and "nope" in str(lookup.value)
    assert not str(lookup.value).startswith("'")  # the message, not KeyError's quoted repr
    with pytest.raises(TypeError) as typ:
        exactpwm.conv1d("ACGT", np.array([["a"]] * 4))
    assert isinstance(typ.value, (ValueError, InputTypeError))
