"""The README as a reader copies it: its sections' code blocks, and their shell commands."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str, text: str | None = None) -> str:
    """The text under the heading `title`, up to the next heading of the same or a higher level
    (a `#` line inside a fenced block is a shell comment, not a heading)."""
    lines = (README.read_text() if text is None else text).splitlines(keepends=True)
    level, found, fenced = None, [], False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"(#+) (.*?)\s*$", line)
        if level is None:
            if heading and heading.group(2) == title:
                level = len(heading.group(1))
            continue
        if heading and len(heading.group(1)) <= level:
            break
        found.append(line)
    if level is None:
        raise AssertionError(f"the README has no section {title!r}")
    return "".join(found)


def code_blocks(text: str, language: str) -> list[str]:
    """Fenced blocks of `language`, indentation removed (blocks inside list items are indented)."""
    blocks = []
    for match in re.finditer(rf"^( *)```{language}\n(.*?)^\1```", text, re.M | re.S):
        indent = len(match.group(1))
        blocks.append("".join(line[indent:] if line.startswith(" " * indent) else line
                              for line in match.group(2).splitlines(keepends=True)))
    return blocks


def commands(block: str) -> list[str]:
    """A shell block's commands: continued lines joined, comment lines and blank lines dropped
    (a comment after a command stays: the shell ignores it)."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]
