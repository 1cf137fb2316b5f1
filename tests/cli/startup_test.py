"""The command answers `--help`, `--version` and usage errors before
Keras is imported."""

import os
import subprocess
import sys

import pytest

import keras_denoise
from keras_denoise.cli import main
from keras_denoise.cli import version_text

# Installed as `sitecustomize` in the subprocess: at exit, it prints the
# backend modules the command imported (`-m` must stay the interpreter's
# own option, since the package reads `sys.orig_argv`).
_REPORT = """
import atexit
import sys


def _report():
    heavy = sorted(
        name
        for name in sys.modules
        if name.split(".")[0] in ("keras", "tensorflow", "jax", "torch")
    )
    print("HEAVY", heavy, file=sys.stderr)


atexit.register(_report)
"""


def _run(tmp_path, module, *args):
    """Runs `python -m module args`; returns the result and the backend
    modules it imported."""
    (tmp_path / "sitecustomize.py").write_text(_REPORT)
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, KERAS_BACKEND="tensorflow", PYTHONPATH=path)
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("HEAVY "), result.stderr
    return result, lines[:-1], lines[-1][len("HEAVY ") :]


class TestStartedAsCommand:
    @pytest.mark.parametrize(
        "argv",
        [
            ["python", "-m", "keras_denoise", "--help"],
            ["python", "-mkeras_denoise_cli"],
            ["python", "-X", "dev", "-m", "keras_denoise.cli", "train"],
            ["python", "/venv/bin/keras-denoise", "--version"],
        ],
    )
    def test_the_command(self, argv):
        assert keras_denoise._started_as_command(argv)

    @pytest.mark.parametrize(
        "argv",
        [
            ["python"],
            ["python", "-c", "import keras_denoise", "-m", "keras_denoise"],
            ["python", "-m", "pytest", "-m", "keras_denoise"],
            ["python", "train.py", "-m", "keras_denoise"],
            ["python", "-W", "-m", "keras_denoise"],
        ],
    )
    def test_anything_else(self, argv):
        assert not keras_denoise._started_as_command(argv)


def test_version_in_process(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == version_text()
    assert out.startswith(f"keras-denoise {keras_denoise.__version__} (")


@pytest.mark.slow
@pytest.mark.parametrize("module", ["keras_denoise", "keras_denoise_cli"])
def test_answers_without_importing_keras(module, tmp_path):
    result, err, heavy = _run(tmp_path, module, "--help")
    assert result.returncode == 0 and not err
    assert result.stdout.startswith("usage: keras-denoise ")
    assert heavy == "[]"

    result, err, heavy = _run(tmp_path, module, "--version")
    assert result.returncode == 0 and not err
    assert result.stdout.startswith(
        f"keras-denoise {keras_denoise.__version__}"
    )
    assert heavy == "[]"

    result, err, heavy = _run(tmp_path, module, "train", "--epochs", "x")
    assert result.returncode == 2
    assert err == [
        "keras-denoise: error: argument --epochs: expected an integer, got "
        "'x' (see 'keras-denoise train --help')"
    ]
    assert heavy == "[]"


@pytest.mark.slow
def test_a_run_imports_keras_after_parsing(tmp_path):
    # Past the parser the backend starts and the classes are registered,
    # quietly: the error is the only line on stderr.
    result, err, heavy = _run(
        tmp_path,
        "keras_denoise",
        "sample",
        "--model",
        "m.keras",
        "--output",
        str(tmp_path / "s.png"),
    )
    assert result.returncode == 1
    assert err == ["keras-denoise: error: model file not found: m.keras"]
    assert "keras" in heavy
