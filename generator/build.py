"""The compile line's edge: a spec's rendered tree as file bytes, ready for `output.write_tree`."""

from __future__ import annotations

from generator.model import Spec
from generator.output import with_marker
from generator.serialise import serialise
from generator.render import render_all


def rendered_files(spec: Spec) -> dict[str, bytes]:
    """Every file of the output folder, the marker included: render, then serialise."""
    return with_marker(serialise(render_all(spec)))
