"""Cases 6 and 15: a failed save removes the folder it created; a closed
stdout does not lose the training."""

import errno
import os
import subprocess

import pytest
from reliability_helpers import TINY
from reliability_helpers import cli_process
from reliability_helpers import one_line

from keras_denoise.cli import main


@pytest.mark.slow
def test_full_disk_removes_the_created_folder(tmp_path, capsys, monkeypatch):
    from keras_denoise.cli import train as command

    def full(model, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(command, "save_model_atomic", full)
    out = tmp_path / "run"
    assert main(["train", "--output", str(out), *TINY]) == 1
    assert "No space left on device" in one_line(capsys)
    assert not out.exists()


@pytest.mark.slow
def test_closed_stdout_keeps_the_training(tmp_path):
    out = tmp_path / "run"
    process = cli_process(
        ["train", "--output", str(out), *TINY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.readline()
    process.stdout.close()  # `| head -1`
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert err.strip() == ""
    assert {"model.keras", "metrics.json", "history.png"} <= set(
        os.listdir(out)
    )
