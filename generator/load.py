"""The one way into a spec folder: load and check it, or raise SpecError. Never prints, never exits."""

from __future__ import annotations

import os
from pathlib import Path

from generator.errors import AicostError, Problem
from generator.model import Spec


def load_spec(specs: str | Path, shown: str | None = None, parallel: bool = False) -> tuple[Spec, list[Problem]]:
    """The checked model of a spec folder and its warnings; SpecError lists every problem, naming
    files under `shown` (default: the folder as given). `parallel` reads thousands of team files in a
    process per core (a command line; a library in a threaded server keeps the default, no fork)."""
    from generator.resolve import load_model

    text = str(specs)
    if not text.strip():
        raise AicostError("aicost: --specs is empty; give the spec folder, such as specs")
    return load_model(Path(text), shown or text, (os.cpu_count() or 1) if parallel else 1)
