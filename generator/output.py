"""The only code that touches an output folder: the marker, the checks before writing, the diff
against what is there, and the atomic swap (generator/serialise.py makes the bytes)."""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path

from generator.errors import OutputError
from generator.serialise import HEADER

MARKER = ".aicost-rendered"
MARKER_TEXT = ("Written by `aicost generate`. The whole folder is replaced on every run:\n"
               "keep nothing else here.\n").encode("utf-8")
# What an aicost output folder held before the marker existed (accepted once, then marked).
_LEGACY_TOP = {"prometheus", "alertmanager", "grafana"}
_LEGACY_SUFFIXES = (".yml", ".yaml", ".json", ".tmpl", ".sh")


def with_marker(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files of a rendered tree plus the marker that makes the folder aicost's own."""
    return {**files, MARKER: MARKER_TEXT}


def _is_aicost_output(out: Path) -> bool:
    """Whether `out` holds nothing but a previous aicost output (the marker, or the legacy layout)."""
    if (out / MARKER).is_file():
        return True
    entries = list(out.iterdir())
    if any(e.name not in _LEGACY_TOP or not e.is_dir() for e in entries):
        return False
    for p in out.rglob("*"):
        if p.is_symlink() or (p.is_file() and not p.name.endswith(_LEGACY_SUFFIXES)):
            return False
        if p.is_file() and p.name.endswith((".yml", ".yaml")) and not p.read_bytes().startswith(HEADER.encode()):
            return False
    return True


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_out_dir(out: str, specs: str) -> Path:
    """The output folder, resolved; refuses one whose replacement would destroy anything else.

    `generate` replaces the whole folder, so it must not be, contain or lie inside the spec
    folder, and an existing folder must hold nothing but a previous aicost output.
    """
    if not out.strip():
        raise OutputError("aicost: --out is empty; give the folder to render into, such as rendered")
    target = Path(out).resolve()
    spec_dir = Path(specs).resolve()
    if _inside(target, spec_dir) or _inside(spec_dir, target):
        raise OutputError(f"aicost: --out {out} is, contains or lies inside the spec folder {specs}; "
                          "choose a separate folder such as rendered")
    if target.exists() and not target.is_dir():
        raise OutputError(f"aicost: --out {out} is a file, not a folder")
    try:
        if target.is_dir() and any(target.iterdir()) and not _is_aicost_output(target):
            raise OutputError(f"aicost: --out {out} holds files that aicost did not write (no {MARKER} in it); "
                              "generate replaces the whole folder, so choose an empty or new folder")
    except PermissionError:
        raise OutputError(f"aicost: cannot read --out {out}: permission denied") from None
    return target


def _existing(out: Path) -> dict[str, bytes]:
    if not out.is_dir():
        return {}
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def diff_tree(files: dict[str, bytes], out: Path, label: str) -> list[str]:
    """Unified diffs between what `files` would write and what `out` holds; empty when equal."""
    have = _existing(out)
    diffs = []
    for rel in sorted(set(files) | set(have)):
        old, new = have.get(rel), files.get(rel)
        if old == new:
            continue
        a = old.decode("utf-8", "replace").splitlines(keepends=True) if old is not None else []
        b = new.decode("utf-8", "replace").splitlines(keepends=True) if new is not None else []
        what = "missing" if old is None else "not produced by specs/ (extra file)" if new is None else "differs"
        body = "".join(difflib.unified_diff(a, b, f"{label}/{rel} (on disk)", f"{label}/{rel} (from specs/)", n=2))
        diffs.append(f"{label}/{rel}: {what}\n{body}")
    return diffs


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def remove_leftovers(out: Path) -> list[Path]:
    """Remove the temp and old folders an interrupted `generate` left beside `out`; return them."""
    removed = []
    pattern = re.compile(re.escape(f".{out.name}.") + r"(?:tmp|old)-([0-9]+)$")
    if not out.parent.is_dir():
        return removed
    for p in out.parent.iterdir():
        m = pattern.match(p.name)
        if m and p.is_dir() and not p.is_symlink() and not _pid_alive(int(m.group(1))):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def write_tree(files: dict[str, bytes], out: Path) -> None:
    """Replace `out` with exactly `files`: written to a temp folder beside it, then swapped in.

    A failure before the swap leaves the old tree untouched; files no longer produced
    disappear because the whole folder is replaced. Callers check `out` with check_out_dir
    first; leftovers of an interrupted earlier run are removed here.
    """
    out = out.resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out)
        _swap_in(files, out)
    except OSError as exc:
        where = exc.filename or out
        raise OutputError(f"aicost: cannot write {where}: {exc.strerror or exc}") from None


def _swap_in(files: dict[str, bytes], out: Path) -> None:
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for rel, data in files.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            if rel.endswith(".sh"):
                p.chmod(0o755)
        if out.exists():
            os.rename(out, old)
        os.rename(tmp, out)
    except BaseException:
        if old.exists() and not out.exists():
            os.rename(old, out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_file(path: Path, data: bytes) -> None:
    """Write one file atomically (temp file beside it, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if path.is_dir():
            raise OutputError(f"aicost: {path} is a folder; give a file name")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise OutputError(f"aicost: cannot write {exc.filename or path}: {exc.strerror or exc}") from None
