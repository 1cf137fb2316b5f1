"""Runs the code of the documentation pages, so that no guide can rot.

Every ```python block of `docs/index.md` and `docs/guides/*.md` is executed,
page by page, in order, as one script in a fresh Python process (fresh
TensorFlow runtime, so a page may configure devices first) whose working
directory is an empty temporary folder. A block preceded by a line
`<!-- skip: reason -->` is shown but not run; ```bash and ```text blocks are
never run. The guides use bundled data and small settings; each page must
finish within `TIMEOUT` seconds.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = [DOCS / "index.md", *sorted((DOCS / "guides").glob("*.md"))]
TIMEOUT = 240

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
_SKIP = re.compile(r"<!--\s*skip:\s*\S.*-->\s*$")


def extract_blocks(text):
    """Returns `(code, skipped)` lists of the page's ```python blocks."""
    run, skipped = [], []
    for match in _FENCE.finditer(text):
        if match.group(1) != "python":
            continue
        before = text[: match.start()].rstrip().splitlines()
        if before and _SKIP.match(before[-1].strip()):
            skipped.append(match.group(2))
        else:
            run.append(match.group(2))
    return run, skipped


def page_script(path):
    run, _ = extract_blocks(path.read_text(encoding="utf-8"))
    parts = [
        f"# --- block {i + 1} of {path.name}\n{code}"
        for i, code in enumerate(run)
    ]
    return "\n".join(parts)


def test_extract_blocks_honours_skip_and_languages():
    text = (
        "```python\na = 1\n```\n\n<!-- skip: needs a cluster -->\n"
        "```python\nb = 2\n```\n```bash\nls\n```\n"
        '```python title="x.py"\nc = 3\n```\n'
    )
    run, skipped = extract_blocks(text)
    assert run == ["a = 1\n", "c = 3\n"]
    assert skipped == ["b = 2\n"]


def test_every_page_has_code_to_run():
    assert len(PAGES) == 10
    for path in PAGES:
        run, skipped = extract_blocks(path.read_text(encoding="utf-8"))
        if path.name != "command-line.md":
            assert run, f"{path.name} has no executed python block"
        assert len(skipped) <= 3, f"{path.name} skips too many blocks"


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT + 60)
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_page_code_runs(path, tmp_path):
    script = page_script(path)
    if not script:
        pytest.skip(f"{path.name} has no python block to run")
    (tmp_path / "page.py").write_text(script, encoding="utf-8")
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run(
        [sys.executable, "page.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, (
        f"{path.name} failed (exit {result.returncode}):\n"
        f"{result.stderr[-4000:]}"
    )
