"""The documentation's pictures are made by the package from a script."""

import io
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "scripts" / "make_figures.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Drawn by the layers alone, with fixed seeds and no training: the same
# pixels on every run, up to rounding.
DETERMINISTIC = ("corruptions.png",)


def png_size(data):
    """`(width, height)` of PNG bytes, from the IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _figures():
    namespace = {}
    source = SCRIPT.read_text(encoding="utf-8")
    start = source.index("FIGURES = (")
    exec(source[start : source.index(")", start) + 1], namespace)
    return namespace["FIGURES"]


def test_committed_figures_are_small_pngs_used_by_the_docs():
    pages = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md")
    )
    for name in _figures():
        path = ROOT / "docs" / "images" / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        assert path.stat().st_size < 300 * 1024, name
        assert f"images/{name}" in pages, f"{name} is not shown in the docs"


def test_png_size_reads_the_header():
    header = PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR" + struct.pack(">II", 7, 3)
    assert png_size(header) == (7, 3)


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_make_figures_writes_every_figure(tmp_path):
    """The script runs, and the committed pictures are what it draws now.

    Every committed picture must have the size the script draws now (a
    change of layout: rows, columns, scale). The pictures of trained models
    depend on the machine's floating point and thread timing, so only their
    size is compared; the corruption picture is drawn by the layers with
    fixed seeds, so its pixels must match too (a change to how a layer
    draws its noise must be followed by `make_figures.py`).
    """
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(tmp_path), "--quick"],
        capture_output=True,
        text=True,
        timeout=360,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    for name in _figures():
        data = (tmp_path / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE
        assert len(data) < 300 * 1024, name
        committed = (ROOT / "docs" / "images" / name).read_bytes()
        assert png_size(committed) == png_size(data), (
            f"docs/images/{name} is out of date: run "
            "python docs/scripts/make_figures.py"
        )
        if name in DETERMINISTIC:
            new = np.asarray(Image.open(io.BytesIO(data)), "int16")
            old = np.asarray(Image.open(io.BytesIO(committed)), "int16")
            changed = np.mean(np.abs(new - old) > 2)
            assert changed < 0.01, (
                f"docs/images/{name}: {changed:.1%} of the pixels differ "
                "from what the script draws now: run "
                "python docs/scripts/make_figures.py"
            )
