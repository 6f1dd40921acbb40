"""Running promtool test files: in the natural group order and reversed, two at a time.

Prometheus evaluates rule groups in no guaranteed order, so every promtool test of aicost runs
twice: with `group_eval_order` as the file says (constants, spend, signals) and reversed. A
result that depends on the order of groups fails one of the two.
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from conftest import FIXTURES, require_tool
from generator import names
from generator.build import rendered_files
from generator.output import write_tree
from generator.render.prometheus_rules import GROUP_ORDER
from generator.resolve import load_model

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def in_both_orders(test_file: Path, dest: Path) -> list[Path]:
    """Copies of a promtool test file in `dest`: natural order, then group_eval_order reversed."""
    doc = yaml.load(test_file.read_text(), Loader=LOADER)
    out = []
    for suffix, order in (("", list(GROUP_ORDER)), (".reversed", list(reversed(GROUP_ORDER)))):
        doc["group_eval_order"] = order
        path = dest / f"{test_file.stem}{suffix}.yml"
        path.write_text(yaml.dump(doc, Dumper=DUMPER, sort_keys=False, width=1000))
        out.append(path)
    return out


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The real promtool (leg 2 or 3, see conftest)."""
    return subprocess.run([require_tool("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def failures(files: list[Path]) -> list[str]:
    """Run promtool test files two at a time (the machine has two cores); the failures' output."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda f: (f, promtool("test", "rules", f.name, cwd=f.parent)), files))
    return [f"{f.name}:\n{r.stdout}{r.stderr}" for f, r in results if r.returncode != 0]


def fixture_failures(fixture: str, test_file: Path, dest: Path) -> list[str]:
    """`test_file` against the rules tests/fixtures/<fixture>/specs render (written under `dest`),
    in both group orders; the failures' output."""
    spec, _ = load_model(FIXTURES / fixture / "specs")
    write_tree(rendered_files(spec), dest / "rendered")
    shutil.copytree(dest / "rendered" / names.RULES_DIR, dest / "run" / "rules")
    return failures(in_both_orders(test_file, dest / "run"))
