"""Help, usage errors and failures: one line, nothing half-written."""

import os
import subprocess
import sys

import numpy as np
import pytest
from cli_helpers import TINY
from cli_helpers import error_line

from keras_denoise import datasets
from keras_denoise.cli import main


class TestHelp:
    @pytest.mark.parametrize(
        "command", [[], ["train"], ["denoise"], ["evaluate"], ["sample"]]
    )
    def test_help(self, command, capsys):
        assert main([*command, "--help"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: keras-denoise")

    def test_no_command_is_a_usage_error(self, capsys):
        assert main([]) == 2
        assert "required" in error_line(capsys)


class TestErrors:
    def _run(self, argv, capsys, tmp_path, code=1):
        before = set(os.listdir(tmp_path))
        assert main(argv) == code
        assert set(os.listdir(tmp_path)) == before  # nothing written
        return error_line(capsys)

    @pytest.mark.slow
    def test_missing_input(self, trained, tmp_path, capsys):
        line = self._run(
            [
                "denoise",
                str(tmp_path / "nope.png"),
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(tmp_path / "out"),
            ],
            capsys,
            tmp_path,
        )
        assert "input not found" in line

    @pytest.mark.slow
    def test_non_image_input(self, trained, tmp_path, capsys):
        (tmp_path / "fake.png").write_bytes(b"hello")
        line = self._run(
            [
                "denoise",
                str(tmp_path / "fake.png"),
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(tmp_path / "out"),
            ],
            capsys,
            tmp_path,
        )
        assert "Not a readable image file" in line and "fake.png" in line

    @pytest.mark.slow
    def test_corrupt_and_wrong_model_files(self, trained, tmp_path, capsys):
        image = tmp_path / "a.png"
        datasets.write_image(str(image), np.zeros((8, 8, 1)))
        bad = tmp_path / "bad.keras"
        bad.write_bytes(b"garbage")
        truncated = tmp_path / "truncated.keras"
        data = (trained / "model.keras").read_bytes()
        truncated.write_bytes(data[: len(data) // 2])
        out = str(tmp_path / "out")
        for model, message in (
            (bad, "not a Keras model file"),
            (truncated, "not a Keras model file"),
            (tmp_path / "none.keras", "model file not found"),
        ):
            line = self._run(
                ["denoise", str(image), "--model", str(model), "--output", out],
                capsys,
                tmp_path,
            )
            assert message in line
        line = self._run(
            [
                "sample",
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(tmp_path / "s.png"),
            ],
            capsys,
            tmp_path,
        )
        assert "is not a variational autoencoder" in line

    def test_zip_that_is_not_a_keras_model(self, tmp_path, capsys):
        import zipfile

        model = tmp_path / "other.keras"
        with zipfile.ZipFile(model, "w") as archive:
            archive.writestr("readme.txt", "not a model")
        image = tmp_path / "a.png"
        datasets.write_image(str(image), np.zeros((8, 8)))
        out = str(tmp_path / "out")
        line = self._run(
            ["denoise", str(image), "--model", str(model), "--output", out],
            capsys,
            tmp_path,
        )
        assert line.startswith(
            f"keras-denoise: error: cannot load model {model}:"
        )

    def _save(self, model, tmp_path, name):
        path = tmp_path / name
        model.save(path)
        return str(path)

    def test_wrong_kinds_of_model(self, tmp_path, capsys):
        from keras_denoise import models

        models_dir = tmp_path / "models"
        models_dir.mkdir()
        classifier = self._save(
            models.cnn_classifier((16, 16, 1), 10), models_dir, "cnn.keras"
        )
        autoencoder = self._save(
            models.conv_autoencoder((16, 16, 1), filters=(4,)),
            models_dir,
            "ae.keras",
        )
        image = models_dir / "a.png"
        datasets.write_image(str(image), np.zeros((16, 16)))
        out = str(tmp_path / "out")
        line = self._run(
            ["denoise", str(image), "--model", classifier, "--output", out],
            capsys,
            tmp_path,
        )
        assert line == (
            f"keras-denoise: error: {classifier} is a classifier (output "
            "shape (None, 10)): `denoise` needs a model that outputs images, "
            "or a dual model with a 'denoised' output"
        )
        # A plain autoencoder has a decoder, but its codes are not N(0, I).
        line = self._run(
            ["sample", "--model", autoencoder, "--output", f"{out}.png"],
            capsys,
            tmp_path,
        )
        assert f"{autoencoder} is not a variational autoencoder" in line
        line = self._run(
            ["evaluate", "--model", classifier, "--output", out],
            capsys,
            tmp_path,
        )
        assert f"{classifier} is a classifier: evaluate it on labelled" in line

    @pytest.mark.slow
    def test_sample_output_must_be_png(self, trained, tmp_path, capsys):
        model = str(trained / "model.keras")
        text = tmp_path / "x.txt"
        line = self._run(
            ["sample", "--model", model, "--output", str(text)],
            capsys,
            tmp_path,
        )
        assert (
            line
            == f"keras-denoise: error: --output must be a .png file: {text}"
        )
        folder = tmp_path / "dir.png"
        folder.mkdir()
        line = self._run(
            ["sample", "--model", model, "--output", str(folder)],
            capsys,
            tmp_path,
        )
        assert (
            line == f"keras-denoise: error: --output is a directory: {folder}"
        )

    @pytest.mark.slow
    @pytest.mark.parametrize(
        "argv, message",
        [
            (["--noise", "laplace:3"], "unknown noise kind 'laplace:3'"),
            (["--data", "imagenet"], "unknown data 'imagenet'"),
            (["--data", "/no/such:/dirs"], "data directory not found"),
            (
                ["--data", "natural-rgb"],
                "takes 1-channel images but --data natural-rgb has 3 "
                "channel(s)",
            ),
        ],
    )
    def test_evaluate_errors_create_nothing(
        self, argv, message, trained, tmp_path, capsys
    ):
        model = str(trained / "model.keras")
        out = str(tmp_path / "eval")
        line = self._run(
            ["evaluate", "--model", model, "--output", out, *argv],
            capsys,
            tmp_path,
        )
        assert message in line

    @pytest.mark.parametrize(
        "argv, message",
        [
            (["--noise", "gaussian"], "needs a severity"),
            (["--noise", "laplace:3"], "unknown noise kind"),
            (["--noise", "gaussian:50-10"], "min > max"),
            (["--noise", "saltpepper:2"], "must be in [0, 1]"),
            (["--noise", "blur:abc"], "bad number"),
            (["--data", "imagenet"], "unknown data"),
            (["--data", "/no/such:/dirs"], "data directory not found"),
        ],
    )
    def test_bad_specs_fail_before_training(
        self, argv, message, tmp_path, capsys
    ):
        out = tmp_path / "run"
        line = self._run(
            ["train", "--output", str(out), *argv], capsys, tmp_path
        )
        assert message in line

    @pytest.mark.parametrize(
        "argv, message",
        [
            (
                ["--model", "backbone_autoencoder", "--data", "digits"],
                "--backbone MobileNetV2 cannot take 16x16x1 images: Input "
                "size must be at least 32x32",
            ),
            (
                ["--model", "backbone_autoencoder", "--backbone", "Nope"],
                "unknown --backbone 'Nope': choose a keras.applications "
                "model, one of ConvNeXtBase,",
            ),
            (
                ["--model", "cnn_classifier"],
                "--model cnn_classifier needs labelled data: use --data "
                "digits, faces, mnist, fashion (got --data natural)",
            ),
            (
                ["--model", "latent_classifier", "--data", "/"],
                "--model latent_classifier needs labelled data",
            ),
            (
                ["--image-size", "32"],
                "--image-size applies to --data digits and faces only",
            ),
            (
                ["--max-train-images", "9"],
                "--max-train-images applies to --data digits",
            ),
        ],
    )
    def test_model_choice_errors_create_nothing(
        self, argv, message, tmp_path, capsys
    ):
        out = tmp_path / "run"
        line = self._run(
            ["train", "--output", str(out), *argv], capsys, tmp_path
        )
        assert message in line

    def test_usage_errors_exit_2(self, tmp_path, capsys):
        line = self._run(
            ["train", "--model", "resnet", "--output", str(tmp_path / "x")],
            capsys,
            tmp_path,
            code=2,
        )
        assert "invalid choice: 'resnet'" in line
        line = self._run(["train", "--epochs", "0"], capsys, tmp_path, code=2)
        assert "must be at least 1" in line

    def test_output_is_a_file(self, tmp_path, capsys):
        (tmp_path / "taken").write_text("x")
        line = self._run(
            ["train", "--output", str(tmp_path / "taken")], capsys, tmp_path
        )
        assert "not a directory" in line

    @pytest.mark.slow
    def test_unmatched_pairs_create_nothing(self, trained, tmp_path, capsys):
        for folder, names in (("noisy", "ab"), ("clean", "abc")):
            for name in names:
                datasets.write_image(
                    str(tmp_path / folder / f"{name}.png"), np.zeros((16, 16))
                )
        spec = f"{tmp_path / 'noisy'}:{tmp_path / 'clean'}"
        out = str(tmp_path / "run")
        model = str(trained / "model.keras")
        for command in (
            ["train", "--data", spec, "--output", out, *TINY],
            ["evaluate", "--model", model, "--data", spec, "--output", out],
        ):
            line = self._run(command, capsys, tmp_path)
            assert line == (
                "keras-denoise: error: Unmatched image names: 1 in "
                f"{tmp_path / 'clean'} only: c"
            )

    def test_model_build_error_creates_nothing(self, tmp_path, capsys):
        out = tmp_path / "run"
        line = self._run(
            [
                "train",
                "--model",
                "denoise_classifier",
                "--output",
                str(out),
                *TINY,
            ],
            capsys,
            tmp_path,
        )
        assert "--model denoise_classifier needs labelled data" in line

    @pytest.mark.slow
    def test_truncated_input_writes_nothing(self, trained, tmp_path, capsys):
        inputs = tmp_path / "in"
        rng = np.random.default_rng(0)
        for name in ("a.png", "b.png", "c.png"):
            datasets.write_image(str(inputs / name), rng.random((20, 20)))
        data = (inputs / "b.png").read_bytes()
        (inputs / "b.png").write_bytes(data[: len(data) // 2])
        out = tmp_path / "out"
        out.mkdir()
        (out / "old.txt").write_text("kept")
        code = main(
            [
                "denoise",
                str(inputs),
                "--model",
                str(trained / "model.keras"),
                "--output",
                str(out),
            ]
        )
        assert code == 1
        line = error_line(capsys)
        assert "Not a readable image file" in line and "b.png" in line
        assert os.listdir(out) == ["old.txt"]
        # An output directory the run would have created is not created.
        assert (
            main(
                [
                    "denoise",
                    str(inputs),
                    "--model",
                    str(trained / "model.keras"),
                    "--output",
                    str(tmp_path / "new"),
                ]
            )
            == 1
        )
        error_line(capsys)
        assert not (tmp_path / "new").exists()

    @pytest.mark.slow
    def test_failure_while_denoising_leaves_nothing_new(
        self, trained, tmp_path, capsys, monkeypatch
    ):
        from keras_denoise.cli import denoise as commands

        inputs = tmp_path / "in"
        # Three sizes: files of one size would be denoised in one call.
        for name, width in (("a.png", 12), ("b.png", 13), ("c.png", 14)):
            datasets.write_image(str(inputs / name), np.zeros((12, width)))
        calls = []
        real = commands.denoise_array

        def fail_on_third(model, image, batch_size, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                raise OSError("disk full")
            return real(model, image, batch_size=batch_size, **kwargs)

        monkeypatch.setattr(commands, "denoise_array", fail_on_third)
        out = tmp_path / "out"
        argv = ["denoise", str(inputs), "--model", str(trained / "model.keras")]
        assert main([*argv, "--output", str(out)]) == 1
        assert error_line(capsys) == "keras-denoise: error: disk full"
        assert len(calls) == 3  # two images were denoised, then it failed
        assert not out.exists()
        out.mkdir()
        (out / "a.png").write_bytes(b"previous")
        calls.clear()
        assert main([*argv, "--output", str(out)]) == 1
        error_line(capsys)
        assert os.listdir(out) == ["a.png"]
        assert (out / "a.png").read_bytes() == b"previous"

    @pytest.mark.slow
    def test_failure_after_fit_keeps_the_model_only(
        self, tmp_path, capsys, monkeypatch
    ):
        from keras_denoise.cli import scoring

        def broken(*args, **kwargs):
            raise ValueError("evaluation broke")

        monkeypatch.setattr(scoring, "evaluate_denoising", broken)
        out = tmp_path / "run"
        assert main(["train", "--output", str(out), *TINY]) == 1
        line = error_line(capsys)
        assert line.startswith("keras-denoise: error: evaluation broke")
        assert f"the model is saved in {out / 'model.keras'}" in line
        assert os.listdir(out) == ["model.keras"]

    @pytest.mark.slow
    def test_subprocess_one_line_no_traceback(self, tmp_path):
        env = dict(os.environ, KERAS_BACKEND="tensorflow")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "keras_denoise_cli",
                "denoise",
                str(tmp_path / "missing.png"),
                "--model",
                str(tmp_path / "m.keras"),
                "--output",
                str(tmp_path / "out"),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"keras-denoise: error: input not found: {tmp_path}/missing.png"
        ]
        assert not (tmp_path / "out").exists()
