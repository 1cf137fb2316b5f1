"""The documentation's pictures are made by the package from a script."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "scripts" / "make_figures.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_make_figures_writes_every_figure(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=360,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    for name in _figures():
        data = (tmp_path / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE
        assert len(data) < 300 * 1024, name
