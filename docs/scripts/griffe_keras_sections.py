"""Griffe extension: render Keras-style docstring sections.

keras_denoise's docstrings follow Keras's section order (`Args:`,
`Call arguments:`, `Input shape:`, `Output shape:`, `Returns:`, `Raises:`,
`Example:`). Griffe's Google parser knows `Args`, `Returns`, `Raises` and
`Examples`; this extension rewrites the rest before parsing:

- `Call arguments:` items (`name: text`) become a bulleted list inside a
  "Call arguments" admonition, and `Input shape:` / `Output shape:` stay
  admonitions (griffe renders unknown indented sections as admonitions);
- `Example:` followed by a blank line and unindented doctest lines (Keras's
  layout) becomes an `Examples:` section with the lines indented, so the
  `>>>` lines render as code rather than as Markdown block quotes.

Loaded by `mkdocs.yml` (`extensions: [docs/scripts/griffe_keras_sections.py]`).
"""

import re

import griffe

_ITEM = re.compile(r"^(\*{0,2}\w+): (.*)$")
_DOCTEST = (">>>", "...")


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _call_arguments(lines, start):
    """Rewrites the indented block after `Call arguments:` as a list."""
    out = []
    i = start
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > 0):
        line = lines[i]
        if not line.strip():
            # A blank line ends the block unless more indented text follows.
            if i + 1 < len(lines) and _indent(lines[i + 1]) > 0:
                out.append("")
                i += 1
                continue
            break
        base = _indent(line)
        match = _ITEM.match(line.strip())
        if match and base <= 4:
            out.append(f"    - `{match.group(1)}`: {match.group(2)}")
        else:
            out.append("      " + line.strip())
        i += 1
    return out, i


def _example(lines, start):
    """Indents the doctest (and text) lines after `Example:` + blank."""
    out = []
    i = start
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        # Stop at the next section title (unindented `Word:` line).
        if (
            stripped
            and _indent(line) == 0
            and not stripped.startswith(_DOCTEST)
            and re.match(r"^[A-Z][\w ]*:$", stripped)
        ):
            break
        out.append(("    " + line) if stripped else "")
        i += 1
    while out and not out[-1]:
        out.pop()
    return out, i


def rewrite(text):
    """Returns `text` with the Keras-only sections rewritten for griffe."""
    lines = text.split("\n")
    out = []
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if in_fence or _indent(line) > 0:
            out.append(line)
            i += 1
            continue
        title = line.strip()
        if title == "Call arguments:":
            body, i = _call_arguments(lines, i + 1)
            out.append(title)
            out.extend(body)
            continue
        if title in ("Example:", "Examples:"):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and _indent(lines[j]) == 0:
                body, i = _example(lines, j)
                if body:
                    out.append("Examples:")
                    out.extend(body)
                    continue
        out.append(line)
        i += 1
    return "\n".join(out)


class KerasSections(griffe.Extension):
    """Rewrites Keras-style sections of every docstring before parsing."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
