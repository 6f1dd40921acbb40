"""The edges of `aicost diff` and `aicost explain`: the spec at a git revision, and Prometheus' numbers."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path

from generator import names as n
from generator.catalogue import Catalogue
from generator.catalogue.annotations import QUERIES
from generator.catalogue.records.ledger import DAY_RANGE, day_sum
from generator.errors import DiffError, SpecError
from generator.load import load_spec
from generator.model import Spec
from generator.prometheus_api import instant_query
from generator.review import changes, explain, formats
from generator.review.fail_on import Policy, violations

# Where the default base is looked for: the remote's default branch, then the usual names.
DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise DiffError("git is not installed; give BASE as a spec folder instead of a revision") from None


def _out(r: subprocess.CompletedProcess) -> str:
    return r.stdout.decode("utf-8", "replace").strip()


def _repo(specs: Path) -> tuple[Path, str]:
    """The repository holding the spec folder, and the folder's path inside it."""
    r = _git(["rev-parse", "--show-toplevel"], specs)
    if r.returncode:
        raise DiffError(f"{specs}/ is not in a git repository; give BASE as a spec folder to compare with")
    root = Path(_out(r)).resolve()
    rel = specs.resolve().relative_to(root).as_posix()
    unmerged = _out(_git(["diff", "--name-only", "--diff-filter=U", "--", rel or "."], root))
    if unmerged:
        first = unmerged.splitlines()[0]
        raise DiffError(f"{first} has merge conflicts; resolve them (and `git add`) before comparing")
    return root, rel or "."


def default_base(root: Path) -> tuple[str, str]:
    """The merge base of HEAD with the default branch, and how to say it."""
    head = _git(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], root)
    candidates = ([_out(head)] if head.returncode == 0 else []) + list(DEFAULT_BRANCHES)
    for branch in candidates:
        if _git(["rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}"], root).returncode == 0:
            base = _git(["merge-base", "HEAD", branch], root)
            if base.returncode:
                raise DiffError(f"HEAD and {branch} have no common ancestor; give BASE")
            sha = _out(base)
            return sha, f"{branch} (merge base {sha[:10]})"
    raise DiffError(f"no default branch to compare with ({', '.join(DEFAULT_BRANCHES)}); give BASE")


@contextmanager
def spec_at_revision(specs: Path, revision: str | None):
    """The spec folder as it was at `revision` (default: the merge base) in a temporary folder, how to
    name the revision, and how to name its files (git's `REV:path`)."""
    root, rel = _repo(specs)
    if revision is None:
        revision, label = default_base(root)
    else:
        label = revision
        if revision.startswith("-") or _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root).returncode:
            raise DiffError(f"'{revision}' is not a revision of {root} (nor a spec folder)")
    archive = _git(["archive", "--format=tar", revision, "--", rel], root)
    if archive.returncode:
        raise DiffError(f"{revision} has no {rel}/ (git archive: "
                        f"{archive.stderr.decode('utf-8', 'replace').strip().splitlines()[-1:]})")
    with tempfile.TemporaryDirectory(prefix="aicost-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            # Only the files of one revision of this repository, but never a path outside the folder.
            tar.extractall(tmp, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        yield Path(tmp) / rel, label, f"{revision if label == revision else revision[:10]}:{rel}"


def load_side(path: Path, shown: str) -> Spec:
    """A side of the comparison, or one line saying it does not validate."""
    try:
        return load_spec(path, shown, parallel=True)[0]  # its warnings are `validate`'s business
    except SpecError as exc:
        errors = [p for p in exc.problems if not p.warning]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DiffError(f"the spec does not validate: {errors[0]}{more}; run `aicost validate` on it") from None


def token_volumes(url: str) -> dict[tuple[str, str, str], float]:
    """Tokens used today per (team, model, direction), from the ledger."""
    promql = day_sum(n.R_TMD_INCREMENT_BY_DAY, (n.L_TEAM, n.L_MODEL, n.L_DIRECTION), 0, DAY_RANGE)
    return {(r["metric"].get(n.L_TEAM, ""), r["metric"].get(n.L_MODEL, ""), r["metric"].get(n.L_DIRECTION, "")):
            float(r["value"][1]) for r in instant_query(url, promql)}


def run_diff(base: str | None, specs: str, fmt: str, policies: list[Policy], prometheus: str | None) -> tuple[str, list[str]]:
    """The diff's text and the policy violations."""
    if base is not None and Path(base).is_dir():
        old, label = load_side(Path(base), base.rstrip("/") + "/"), base
    else:  # the revision first: a merge conflict is named as such, not as YAML the conflict broke
        with spec_at_revision(Path(specs), base) as (path, label, shown):
            old = load_side(path, shown)
    new = load_side(Path(specs), specs.rstrip("/") + "/")
    found = changes.compare(old, new)
    if prometheus:
        found += changes.price_effects(old, new, token_volumes(prometheus))
    head = f"{specs.rstrip('/')}/ (working tree)"
    text = (formats.as_markdown if fmt == "markdown" else formats.as_text)(found, label, head)
    return text, violations(found, policies)


def _first(url: str, promql: str) -> float | None:
    rows = instant_query(url, promql)
    return float(rows[0]["value"][1]) if rows else None


def _filled(url: str, rule: explain.Rule, team: str | None) -> tuple[float | None, dict]:
    """The alert's value for the team and the annotation queries its texts use, as Prometheus answers now."""
    labels = {**rule.alert.labels, **({n.L_TEAM: team} if team else {})}
    value = next((float(r["value"][1]) for r in instant_query(url, rule.alert.expr)
                  if all(r["metric"].get(k) == v for k, v in labels.items())), None)
    texts = rule.alert.summary + rule.alert.description
    queries = {}
    for key, (promql, needs) in QUERIES.items():
        if f"query:{key}:" in texts and all(x in labels for x in needs):
            # QUERIES are Go printf templates, %q per label: a double-quoted string (names never need escapes)
            result = _first(url, promql.replace("%q", "%s") % tuple(f'"{labels[x]}"' for x in needs))
            if result is not None:
                queries[key] = result
    return value, queries


def run_explain(spec: Spec, catalogue: Catalogue, alert: str, team: str | None, prometheus: str | None,
                promql: bool) -> str:
    """The explanation's text, with today's values when Prometheus is given."""
    e = explain.explain(spec, catalogue, alert, team)
    if not prometheus:
        return explain.render(spec, e, promql=promql)
    values = {}
    for step in e.steps:
        samples = [float(r["value"][1]) for r in instant_query(prometheus, step.query)]
        values[step.name] = (sum(samples), len(samples))
    team_match = f',{n.L_TEAM}="{team}"' if team else ""
    firing = {}
    for r in instant_query(prometheus, f'ALERTS{{alertname="{alert}"{team_match}}}'):
        m = r["metric"]
        for rule in e.rules:
            if m.get("severity") == rule.alert.severity and all(m.get(k) == v for k, v in rule.alert.labels.items()):
                firing[rule.alert.key] = m.get("alertstate", "firing")
    filled = {rule.alert.key: _filled(prometheus, rule, team) for rule in e.rules}
    return explain.render(spec, e, values, firing, promql, filled)
