"""Case 3: a non-empty --output is refused without --overwrite, and
replaced as a whole with it."""

import os

import numpy as np
from reliability_helpers import one_line

from keras_denoise import datasets
from keras_denoise.cli import main


def test_non_empty_output_is_refused(photos, model_file, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "g.png").write_bytes(b"unrelated")
    argv = ["denoise", str(photos), "--model", model_file]
    assert main([*argv, "--output", str(out)]) == 1
    line = one_line(capsys)
    assert "is not empty" in line and "--overwrite" in line
    assert os.listdir(out) == ["g.png"]
    assert (out / "g.png").read_bytes() == b"unrelated"


def test_overwrite_replaces_the_folder_as_a_whole(
    photos, model_file, tmp_path, capsys
):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.png").write_bytes(b"old run")
    (out / "a.png").write_bytes(b"old a")
    argv = ["denoise", str(photos), "--model", model_file]
    assert main([*argv, "--output", str(out), "--overwrite"]) == 0
    assert sorted(os.listdir(out)) == ["a.png", "b.png", "g.png"]
    image, _ = datasets.read_image(str(out / "a.png"))
    assert image.shape == (16, 16, 1)


def test_overwrite_refuses_a_folder_with_sub_folders(
    photos, model_file, tmp_path, capsys
):
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)
    argv = ["denoise", str(photos), "--model", model_file]
    assert main([*argv, "--output", str(out), "--overwrite"]) == 1
    assert "holds the folder keep" in one_line(capsys)
    assert os.listdir(out) == ["keep"]


def test_evaluate_and_train_refuse_before_any_work(
    model_file, tmp_path, capsys
):
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    for argv in (
        ["evaluate", "--model", model_file, "--output", str(out)],
        ["train", "--epochs", "1", "--output", str(out)],
    ):
        assert main(argv) == 1
        assert "--overwrite" in one_line(capsys)
    assert os.listdir(out) == ["metrics.json"]


def test_sample_refuses_an_existing_file(model_file, tmp_path, capsys):
    grid = tmp_path / "grid.png"
    datasets.write_image(str(grid), np.zeros((4, 4)))
    before = grid.read_bytes()
    assert main(["sample", "--model", model_file, "--output", str(grid)]) == 1
    assert "--overwrite" in one_line(capsys)
    assert grid.read_bytes() == before
