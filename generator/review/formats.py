"""The diff in words: for a terminal, and as Markdown for a pull-request comment."""

from __future__ import annotations

from generator.review.changes import Change

# GitHub refuses comments over 65,536 characters; the rest is one command away.
MARKDOWN_LIMIT = 60000


def _sections(changes: list[Change]) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {}
    for c in changes:
        out.setdefault(c.section, []).append(c)
    return out


def as_text(changes: list[Change], base: str, head: str) -> str:
    """Plain text, a section per team and topic."""
    if not changes:
        return f"aicost diff {base} -> {head}: no changes\n"
    lines = [f"aicost diff {base} -> {head}: {len(changes)} change{'s' if len(changes) != 1 else ''}"]
    for section, items in _sections(changes).items():
        lines += ["", section] + [f"  {c.text}" for c in items]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text inside Markdown: the characters GitHub would read as markup are escaped."""
    for ch in "\\`*_[]<|":
        text = text.replace(ch, "\\" + ch)
    return text


def as_markdown(changes: list[Change], base: str, head: str) -> str:
    """Markdown for a pull-request comment, cut short (with the command to see all) past GitHub's limit."""
    title = f"### aicost diff: `{base}` -> `{head}`"
    if not changes:
        return f"{title}\n\nNo changes to budgets, alerts, prices or routing.\n"
    lines = [title, "", f"{len(changes)} change{'s' if len(changes) != 1 else ''}."]
    size, shown = 0, 0
    for section, items in _sections(changes).items():
        block = ["", f"**{_md(section)}**", ""] + [f"- {_md(c.text)}" for c in items]
        size += sum(len(x) + 1 for x in block)
        if size > MARKDOWN_LIMIT:
            lines += ["", f"... and {len(changes) - shown} more changes: run `aicost diff {base}` to see them all."]
            break
        lines += block
        shown += len(items)
    return "\n".join(lines) + "\n"
