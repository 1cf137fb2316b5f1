"""Tests of the atomic file writes in `keras_denoise._files`."""

import os

import pytest

from keras_denoise import _files


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "sub" / "file.bin"
    _files.atomic_write(path, lambda file: file.write(b"first"))
    _files.write_bytes_atomic(path, b"second")
    assert path.read_bytes() == b"second"
    assert os.listdir(tmp_path / "sub") == ["file.bin"]


def test_atomic_write_failure_keeps_old_file(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")

    def fail(file):
        file.write(b"half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        _files.atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.bin"]


def test_atomic_path(tmp_path):
    path = tmp_path / "out" / "model.keras"
    with _files.atomic_path(path, suffix=".keras") as temp:
        assert temp.endswith(".keras") and os.path.dirname(temp) == str(
            path.parent
        )
        with open(temp, "wb") as file:
            file.write(b"new")
    assert path.read_bytes() == b"new"
    with pytest.raises(RuntimeError, match="save failed"):
        with _files.atomic_path(path) as temp:
            with open(temp, "wb") as file:
                file.write(b"half")
            raise RuntimeError("save failed")
    assert path.read_bytes() == b"new"
    assert os.listdir(path.parent) == ["model.keras"]


@pytest.fixture
def umask():
    """Sets the process umask for a test and restores it afterwards."""
    saved = os.umask(0o022)
    try:
        yield lambda mask: os.umask(mask)
    finally:
        os.umask(saved)


def _mode(path):
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_atomic_outputs_get_the_mode_open_would_give(tmp_path, umask, mask):
    umask(mask)
    _files.write_bytes_atomic(tmp_path / "a.bin", b"x")
    with _files.atomic_path(tmp_path / "b.keras", suffix=".keras") as temp:
        with open(temp, "wb") as file:
            file.write(b"y")
    with open(tmp_path / "plain.bin", "wb") as file:
        file.write(b"z")
    expected = 0o666 & ~mask
    assert _mode(tmp_path / "plain.bin") == expected
    assert _mode(tmp_path / "a.bin") == expected
    assert _mode(tmp_path / "b.keras") == expected


def test_replacing_a_file_keeps_its_mode(tmp_path, umask):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    _files.write_bytes_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert _mode(path) == 0o640
    with _files.atomic_path(path) as temp:
        with open(temp, "wb") as file:
            file.write(b"newer")
    assert _mode(path) == 0o640
    assert os.listdir(tmp_path) == ["a.bin"]
