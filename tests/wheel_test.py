"""The built wheel: licence, metadata and the command's entry point."""

import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_holds_the_licence_and_metadata(tmp_path):
    result = subprocess.run(
        # Built as `pip install` builds it: in an isolated environment with
        # the setuptools that pyproject.toml asks for (a venv's bundled one
        # may be too old for its metadata).
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps"]
        + ["-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = tmp_path.glob("keras_denoise-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (licence,) = [n for n in names if n.endswith("licenses/LICENSE")]
        text = archive.read(licence).decode()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = email.message_from_bytes(archive.read(metadata))
        entry_points = archive.read(
            metadata.replace("METADATA", "entry_points.txt")
        ).decode()
    assert text == (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0" in text
    assert meta["License-Expression"] == "Apache-2.0"
    classifiers = meta.get_all("Classifier")
    assert "Framework :: Keras" in classifiers
    assert any(c.startswith("Development Status") for c in classifiers)
    assert "Programming Language :: Python :: 3.10" in classifiers
    assert meta["Author"]
    assert "matplotlib>=3.7" in meta.get_all("Requires-Dist")
    assert 'tensorboard; extra == "tensorboard"' in meta.get_all(
        "Requires-Dist"
    )
    # The README is the long description, and says how users install.
    assert meta.get_payload().startswith("# keras_denoise")
    assert 'pip install "keras-denoise[data]"' in meta.get_payload()
    assert "keras-denoise = keras_denoise_cli:main" in entry_points
