"""Outputs put in place in one step (exactpwm.io.files.replace_file), with and without Linux's
exchange of two names, as os.replace would put them."""

from __future__ import annotations

import os

import pytest
from exactpwm.io import files


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


@pytest.fixture(params=["exchange", "rename"])
def how(request, monkeypatch):
    """Each test runs with the exchange (where the system has it) and with os.replace alone."""
    if request.param == "rename":
        monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    elif files._renameat2() is None:  # pragma: no cover - not Linux
        pytest.skip("no renameat2 here")
    return request.param


def test_an_existing_file_is_replaced_whole_and_nothing_is_left(tmp_path, how):
    new, target = tmp_path / ".exactpwm-new", tmp_path / "hits.tsv"
    _write(target, "old\n" * 1000)
    _write(new, "new\n")
    inode = os.stat(new).st_ino
    files.replace_file(str(new), str(target))
    assert target.read_text() == "new\n" and os.stat(target).st_ino == inode
    assert sorted(os.listdir(tmp_path)) == ["hits.tsv"]


def test_a_new_target_is_made(tmp_path, how):
    new, target = tmp_path / ".exactpwm-new", tmp_path / "hits.tsv"
    _write(new, "new\n")
    files.replace_file(str(new), str(target))
    assert target.read_text() == "new\n" and sorted(os.listdir(tmp_path)) == ["hits.tsv"]


def test_a_folder_at_the_target_is_refused_and_kept(tmp_path, how):
    new, target = tmp_path / ".exactpwm-new", tmp_path / "out"
    target.mkdir()
    _write(target / "keep.txt", "kept")
    _write(new, "new\n")
    with pytest.raises(IsADirectoryError):
        files.replace_file(str(new), str(target))
    assert (target / "keep.txt").read_text() == "kept" and new.read_text() == "new\n"


def test_a_link_at_the_target_is_replaced_as_os_replace_does(tmp_path, how):
    """replace_file's callers resolve links first; given a link itself, the link is replaced and
    the file it pointed to is left as it was."""
    new, target, pointed = tmp_path / ".exactpwm-new", tmp_path / "hits.tsv", tmp_path / "elsewhere.tsv"
    _write(pointed, "untouched")
    os.symlink(pointed, target)
    _write(new, "new\n")
    files.replace_file(str(new), str(target))
    assert not os.path.islink(target) and target.read_text() == "new\n"
    assert pointed.read_text() == "untouched" and sorted(os.listdir(tmp_path)) == ["elsewhere.tsv", "hits.tsv"]


def test_atomic_output_rewrites_an_existing_output_with_the_umask_mode(tmp_path, how):
    target = tmp_path / "hits.tsv"
    _write(target, "previous run\n")
    os.chmod(target, 0o600)
    with files.atomic_output(str(target)) as f:
        f.write("this run\n")
    mask = os.umask(0)
    os.umask(mask)
    assert target.read_text() == "this run\n" and os.stat(target).st_mode & 0o777 == 0o666 & ~mask
    assert sorted(os.listdir(tmp_path)) == ["hits.tsv"]
