"""What the command prints: one line per epoch in a piped log, progress
options of `denoise` and `evaluate`, rows named by their settings."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from cli_helpers import TINY
from PIL import Image

from keras_denoise import datasets
from keras_denoise.cli import main

# Control characters a progress bar redraws its line with.
CONTROL = ("\b", "\r", "\x1b")


@pytest.mark.slow
def test_a_piped_training_log_has_one_line_per_epoch(tmp_path):
    args = [a for a in TINY if a not in ("--verbose", "0")]
    args[args.index("--epochs") + 1] = "2"
    result = subprocess.run(
        [sys.executable, "-m", "keras_denoise", "train", *args]
        + ["--output", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=dict(os.environ, KERAS_BACKEND="tensorflow"),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert not [c for c in CONTROL if c in result.stdout], result.stdout
    lines = result.stdout.splitlines()
    epochs = [line for line in lines if line.startswith("Epoch ")]
    assert epochs == ["Epoch 1/2", "Epoch 2/2"]
    # Each epoch header is followed by its one summary line.
    for header in epochs:
        summary = lines[lines.index(header) + 1]
        assert " - loss: " in summary, lines


@pytest.mark.slow
def test_evaluate_rows_are_named_by_their_settings(trained, tmp_path, capsys):
    out = tmp_path / "eval"
    model = str(trained / "model.keras")
    argv = ["evaluate", "--model", model, "--eval-images", "1"]
    assert main([*argv, "--output", str(out)]) == 0
    names = ["gaussian:25", "saltpepper:0.05", "blur:1", "gaussian:10+blur:1"]
    names.append("clean")
    summary = json.loads((out / "metrics.json").read_text())
    # The chart of these rows: a real picture, not a blank one.
    chart = np.asarray(Image.open(out / "evaluation.png"))
    assert chart.shape[0] >= 300 and chart.shape[1] >= 480
    assert chart.std() > 20
    assert list(summary["corruptions"]) == names
    table = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in table[2 : 2 + len(names)]] == names


@pytest.mark.slow
def test_denoise_quiet_and_verbose(trained, tmp_path, capsys):
    inputs = tmp_path / "in"
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        datasets.write_image(str(inputs / name), rng.random((12, 12)))
    model = str(trained / "model.keras")
    argv = ["denoise", str(inputs), "--model", model, "--output"]
    assert main([*argv, str(tmp_path / "q"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert main([*argv, str(tmp_path / "v"), "--verbose"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"[1/2] {inputs / 'a.png'}",
        f"[2/2] {inputs / 'b.png'}",
        f"Wrote 2 denoised image(s) to {tmp_path / 'v'}",
    ]
    # Piped without an option: no progress bar, only the summary line.
    assert main([*argv, str(tmp_path / "p")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Wrote 2 denoised image(s) to {tmp_path / 'p'}"
    ]


def test_quiet_and_verbose_exclude_each_other(capsys):
    argv = ["denoise", "x.png", "--model", "m.keras", "--output", "o"]
    assert main([*argv, "--quiet", "--verbose"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
