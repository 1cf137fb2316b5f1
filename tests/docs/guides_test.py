"""Runs the code of the documentation pages, so that no guide can rot.

Every
```python block is executed, page by page, in order, as one script in a
fresh Python process (fresh TensorFlow runtime, so a page may configure
devices first) whose working directory is an empty temporary folder. A
block preceded by a line `<!-- skip: reason -->` is shown but not run. A
block preceded by `<!-- env: NAME=VALUE ... -->` needs variables that must
be set before Python starts (e.g. `KERAS_BACKEND=jax`): it is run on its
own, in a fresh process with them, and skipped (with the reason) when that
backend is not installed. ```bash and ```text blocks of these pages are not
run (the command-line page shows commands and their output only).

The guides use bundled data and small settings; each page must finish
within `TIMEOUT` seconds.
"""

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
CLI_PAGE = DOCS / "guides" / "command-line.md"
PAGES = [DOCS / "index.md", *sorted((DOCS / "guides").glob("*.md"))]
# Its commands and outputs are shown as text; tests/cli tests the command.
PYTHON_PAGES = [page for page in PAGES if page != CLI_PAGE]
TIMEOUT = 240

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*(skip|env):\s*(\S.*?)\s*-->$")


def page_blocks(text):
    """Returns `(language, code, marker, value)` for each fenced block.

    `marker` is `"skip"`, `"env"` or `None`, from an HTML comment on the
    line just before the block; `value` is the comment's text.
    """
    blocks = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        marker = _MARKER.match(before[-1].strip()) if before else None
        blocks.append(
            (
                match.group(1),
                match.group(2),
                marker.group(1) if marker else None,
                marker.group(2) if marker else None,
            )
        )
    return blocks


def extract_blocks(text):
    """Returns the page's ```python blocks: `(run, skipped, env)`.

    `run` and `skipped` are lists of code; `env` is a list of
    `(variables, code)` with `variables` a dict.
    """
    run, skipped, env = [], [], []
    for language, code, marker, value in page_blocks(text):
        if language != "python":
            continue
        if marker == "skip":
            skipped.append(code)
        elif marker == "env":
            variables = dict(item.split("=", 1) for item in shlex.split(value))
            env.append((variables, code))
        else:
            run.append(code)
    return run, skipped, env


def page_script(path):
    run, _, _ = extract_blocks(path.read_text(encoding="utf-8"))
    parts = [
        f"# --- block {i + 1} of {path.name}\n{code}"
        for i, code in enumerate(run)
    ]
    return "\n".join(parts)


def _env():
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["MPLBACKEND"] = "Agg"
    return env


def test_extract_blocks_honours_markers_and_languages():
    text = (
        "```python\na = 1\n```\n\n<!-- skip: needs a cluster -->\n"
        "```python\nb = 2\n```\n```bash\nls\n```\n"
        '```python title="x.py"\nc = 3\n```\n'
        "<!-- env: KERAS_BACKEND=jax XLA_FLAGS=--x=2 -->\n"
        "```python\nd = 4\n```\n"
    )
    run, skipped, env = extract_blocks(text)
    assert run == ["a = 1\n", "c = 3\n"]
    assert skipped == ["b = 2\n"]
    assert env == [({"KERAS_BACKEND": "jax", "XLA_FLAGS": "--x=2"}, "d = 4\n")]
    assert [block[0] for block in page_blocks(text)] == [
        "python",
        "python",
        "bash",
        "python",
        "python",
    ]


def test_every_page_has_code_to_run():
    assert len(PAGES) == 10
    for path in PYTHON_PAGES:
        run, skipped, _ = extract_blocks(path.read_text(encoding="utf-8"))
        assert run, f"{path.name} has no executed python block"
        # A block that is not run can rot; one that needs variables set
        # before Python starts gets an `env:` marker instead.
        assert not skipped, f"{path.name} has a python block that is not run"


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT + 60)
@pytest.mark.parametrize("path", PYTHON_PAGES, ids=lambda p: p.stem)
def test_page_code_runs(path, tmp_path):
    script = page_script(path)
    if not script:
        pytest.skip(f"{path.name} has no python block to run")
    (tmp_path / "page.py").write_text(script, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "page.py"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, (
        f"{path.name} failed (exit {result.returncode}):\n"
        f"{result.stderr[-4000:]}"
    )


def _env_blocks():
    found = []
    for path in PYTHON_PAGES:
        _, _, env = extract_blocks(path.read_text(encoding="utf-8"))
        for i, (variables, code) in enumerate(env):
            found.append(pytest.param(variables, code, id=f"{path.stem}-{i}"))
    return found


def test_env_blocks_exist():
    # The distributed-training guide's JAX DataParallel example.
    assert any(
        variables.get("KERAS_BACKEND") == "jax"
        for variables, _ in (param.values for param in _env_blocks())
    )


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT + 60)
@pytest.mark.parametrize("variables, code", _env_blocks())
def test_env_block_runs(variables, code, tmp_path):
    backend = variables.get("KERAS_BACKEND")
    if backend and importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (extra: backends)")
    (tmp_path / "block.py").write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "block.py"],
        cwd=tmp_path,
        env={**_env(), **variables},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, (
        f"block failed (exit {result.returncode}):\n{result.stderr[-4000:]}"
    )
