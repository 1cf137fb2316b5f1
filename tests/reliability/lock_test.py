"""Case 4: a second run into an output in use fails at once."""

import os

from reliability_helpers import one_line

from keras_denoise.cli import main
from keras_denoise.cli.outputs import output_lock


def test_second_run_into_a_locked_output_fails(
    photos, model_file, tmp_path, capsys
):
    out = tmp_path / "out"
    link = tmp_path / "link"
    out.mkdir()
    os.symlink(out, link)
    argv = ["denoise", str(photos), "--model", model_file]
    # The first run holds the lock (the same flock another process takes).
    with output_lock(str(out)):
        for target in (out, link):
            assert main([*argv, "--output", str(target)]) == 1
            assert "is in use by another keras-denoise run" in one_line(capsys)
        assert main(["train", "--output", str(out)]) == 1
        assert "in use" in one_line(capsys)
    assert os.listdir(out) == []
    assert main([*argv, "--output", str(out)]) == 0
