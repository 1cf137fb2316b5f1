"""Cases 1-2: outputs reached through links, or inside an input folder."""

import os

import pytest
from reliability_helpers import one_line
from reliability_helpers import snapshot

from keras_denoise.cli import main


class TestLinkedOutputs:
    def test_output_is_a_link_to_the_input_folder(
        self, photos, model_file, tmp_path, capsys
    ):
        link = tmp_path / "link"
        os.symlink(photos, link)
        before = snapshot(photos)
        argv = ["denoise", str(photos), "--model", model_file]
        assert main([*argv, "--output", str(link), "--overwrite"]) == 1
        assert "inside (or is) the input folder" in one_line(capsys)
        assert snapshot(photos) == before

    def test_input_through_a_link_output_the_real_folder(
        self, photos, model_file, tmp_path, capsys
    ):
        link = tmp_path / "link"
        os.symlink(photos, link)
        before = snapshot(photos)
        argv = ["denoise", str(link / "a.png"), "--model", model_file]
        assert main([*argv, "--output", str(photos), "--overwrite"]) == 1
        assert "holds the input" in one_line(capsys)
        assert snapshot(photos) == before

    def test_evaluate_output_holding_the_model(
        self, model_file, tmp_path, capsys
    ):
        folder = os.path.dirname(model_file)
        argv = ["evaluate", "--model", model_file, "--output", folder]
        assert main([*argv, "--overwrite"]) == 1
        assert "holds the input" in one_line(capsys)
        assert os.path.exists(model_file)


class TestOutputInsideInputs:
    @pytest.mark.parametrize("inside", ["", "runs"])
    def test_train_output_in_the_data_folder(
        self, photos, tmp_path, capsys, inside
    ):
        (photos / "history.png").write_bytes(b"mine")
        before = snapshot(photos)
        out = photos / inside if inside else photos
        argv = ["train", "--data", str(photos), "--output", str(out)]
        assert main([*argv, "--overwrite"]) == 1
        assert "inside (or is) the input folder" in one_line(capsys)
        assert snapshot(photos) == before

    def test_data_folder_inside_the_output(self, photos, tmp_path, capsys):
        argv = ["train", "--data", str(photos), "--output", str(tmp_path)]
        assert main([*argv, "--overwrite"]) == 1
        assert "is inside --output" in one_line(capsys)

    def test_pairs_through_a_link(self, photos, tmp_path, capsys):
        link = tmp_path / "clean"
        os.symlink(photos, link)
        spec = f"{photos}:{link}"
        argv = ["train", "--data", spec, "--output", str(link / "out")]
        assert main(argv) == 1
        assert "inside (or is) the input folder" in one_line(capsys)

    def test_sample_output_is_the_model(self, model_file, tmp_path, capsys):
        link = tmp_path / "model.png"
        os.symlink(model_file, link)
        argv = ["sample", "--model", model_file, "--output", str(link)]
        assert main([*argv, "--overwrite"]) == 1
        assert "holds the input" in one_line(capsys)
