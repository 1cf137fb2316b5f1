"""Runs the code of the documentation pages, so that no guide can rot.

Python pages (`docs/index.md` and every guide but the command line): every
```python block is executed, page by page, in order, as one script in a
fresh Python process (fresh TensorFlow runtime, so a page may configure
devices first) whose working directory is an empty temporary folder. A
block preceded by a line `<!-- skip: reason -->` is shown but not run. A
block preceded by `<!-- env: NAME=VALUE ... -->` needs variables that must
be set before Python starts (e.g. `KERAS_BACKEND=jax`): it is run on its
own, in a fresh process with them, and skipped (with the reason) when that
backend is not installed. ```bash and ```text blocks of these pages are not
run.

The command-line page (`docs/guides/command-line.md`) is run block by block,
in page order, in one empty temporary folder, with the Python environment's
`bin` first on `PATH` (so `keras-denoise` and `python` are the tested ones):

- a ```python block runs as a script in a fresh process;
- a ```bash block runs with `bash -e -o pipefail` and must exit 0;
- a ```text block is a transcript: each `$ command` line (continued by a
  trailing backslash) is run with bash, and what it prints (stdout and
  stderr together, colour codes removed) must match the lines shown after
  it, line by line, with every number masked (losses, timings and PSNR
  differ between runs; words, names, columns and line counts may not), and
  a line `...` standing for any number of lines. A command must exit 0,
  unless its shown output is a `keras-denoise: error:` line, in which case
  it must fail without a traceback. A ```text block that is not a
  transcript is an error on this page: shown output must be checked.

The guides use bundled data and small settings; each python page must
finish within `TIMEOUT` seconds, the command-line page within
`CLI_TIMEOUT`.
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
PYTHON_PAGES = [page for page in PAGES if page != CLI_PAGE]
TIMEOUT = 240
CLI_TIMEOUT = 600
COMMAND_TIMEOUT = 300

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*(skip|env):\s*(\S.*?)\s*-->$")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ERROR_PREFIX = "keras-denoise: error:"


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


def parse_transcript(text):
    """Returns `[(command, expected_lines)]` of a `$ command` transcript."""
    lines = text.rstrip("\n").splitlines()
    if not lines or not lines[0].startswith("$ "):
        raise ValueError(f"not a transcript: {lines[:1]}")
    entries = []
    i = 0
    while i < len(lines):
        command = lines[i][2:]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command[:-1].rstrip() + " " + lines[i].strip()
        i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        entries.append((command, expected))
    return entries


def _normalised(line):
    return " ".join(_NUMBER.sub("N", line).split())


def output_matches(expected, actual):
    """Whether `actual` lines match `expected` (numbers masked, `...`)."""
    expected = [
        None if line.strip() == "..." else _normalised(line)
        for line in expected
    ]
    actual = [_normalised(line) for line in actual]
    # matches[i][j]: expected[i:] matches actual[j:].
    matches = [[False] * (len(actual) + 1) for _ in range(len(expected) + 1)]
    matches[len(expected)][len(actual)] = True
    for i in range(len(expected) - 1, -1, -1):
        for j in range(len(actual), -1, -1):
            if expected[i] is None:
                matches[i][j] = matches[i + 1][j] or (
                    j < len(actual) and matches[i][j + 1]
                )
            else:
                matches[i][j] = (
                    j < len(actual)
                    and expected[i] == actual[j]
                    and matches[i + 1][j + 1]
                )
    return matches[0][0]


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


def test_parse_transcript_and_masked_matching():
    entries = parse_transcript(
        "$ prog --a \\\n    --b\nloss: 0.25 in 3 s\n...\ndone\n$ ls\nx.png\n"
    )
    assert entries == [
        ("prog --a --b", ["loss: 0.25 in 3 s", "...", "done"]),
        ("ls", ["x.png"]),
    ]
    expected = entries[0][1]
    assert output_matches(expected, ["loss: -1.5   in 12 s", "done"])
    assert output_matches(expected, ["loss: 1 in 2 s", "a", "b", "done"])
    assert not output_matches(expected, ["loss: 1 in 2 min", "done"])
    assert not output_matches(expected, ["loss: 1 in 2 s"])
    assert not output_matches(["a", "b"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="not a transcript"):
        parse_transcript("usage: prog\n")


def test_every_page_has_code_to_run():
    assert len(PAGES) == 11
    for path in PYTHON_PAGES:
        run, skipped, _ = extract_blocks(path.read_text(encoding="utf-8"))
        assert run, f"{path.name} has no executed python block"
        # A block that is not run can rot; one that needs variables set
        # before Python starts gets an `env:` marker instead.
        # The distributed guide's upstream reproduction and reference loop
        # need two worker processes: tests/distribute runs the same code
        # paths across processes. Nowhere else may a block be skipped.
        allowed = 2 if path.name == "distributed-training.md" else 0
        assert len(skipped) <= allowed, (
            f"{path.name} has a python block that is not run"
        )
    blocks = page_blocks(CLI_PAGE.read_text(encoding="utf-8"))
    languages = [language for language, _, marker, _ in blocks if not marker]
    assert languages.count("bash") >= 4
    assert languages.count("text") >= 3
    assert all(marker is None for _, _, marker, _ in blocks)


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT + 60)
@pytest.mark.parametrize("path", PYTHON_PAGES, ids=lambda p: p.stem)
def test_page_code_runs(path, tmp_path):
    (tmp_path / "page.py").write_text(page_script(path), encoding="utf-8")
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


def _run_shell(command, cwd, env, options=()):
    result = subprocess.run(
        ["bash", *options, "-c", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    return result.returncode, _ANSI.sub("", result.stdout)


@pytest.mark.slow
@pytest.mark.timeout(CLI_TIMEOUT + 60)
def test_command_line_page_runs_and_shows_real_output(tmp_path):
    env = _env()
    env.pop("KERAS_DENOISE_DEBUG", None)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    env["COLUMNS"] = "80"  # argparse wraps --help to the terminal width
    blocks = page_blocks(CLI_PAGE.read_text(encoding="utf-8"))
    for number, (language, code, _, _) in enumerate(blocks, start=1):
        where = f"{CLI_PAGE.name}, block {number} ({language})"
        if language == "python":
            script = tmp_path / f"block_{number}.py"
            script.write_text(code, encoding="utf-8")
            status, output = _run_shell(
                f"python {shlex.quote(str(script))}", tmp_path, env
            )
            assert status == 0, f"{where} failed:\n{output[-4000:]}"
        elif language == "bash":
            status, output = _run_shell(
                code, tmp_path, env, ("-e", "-o", "pipefail")
            )
            assert status == 0, f"{where} failed:\n{output[-4000:]}"
        elif language == "text":
            for command, expected in parse_transcript(code):
                status, output = _run_shell(command, tmp_path, env)
                actual = output.rstrip("\n").splitlines()
                assert output_matches(expected, actual), (
                    f"{where}: the output of `{command}` differs from the "
                    "page (numbers are masked).\n--- page:\n"
                    + "\n".join(expected)
                    + "\n--- real:\n"
                    + "\n".join(actual)
                )
                fails = any(line.startswith(_ERROR_PREFIX) for line in expected)
                if fails:
                    assert status != 0, f"{where}: `{command}` did not fail"
                    assert "Traceback" not in output
                else:
                    assert status == 0, f"{where}: `{command}` failed"
        else:
            pytest.fail(f"{where}: no runner for this language")
