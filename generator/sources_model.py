"""The sources of the model (org.yaml and teams' `sources`): the tools aicost reads, and each team's truth."""

from __future__ import annotations

from dataclasses import dataclass

from generator import names as n

# ScrapeTarget and ModelPrice below are generator.model's, named in annotations only (never evaluated):
# the model imports this module, not the other way round.


@dataclass(frozen=True)
class TeamSources:
    """Which source is the truth for a team's spend, and the team's names in other tools."""

    api: str = n.NATIVE_SOURCE  # API spend and tokens: aicost (the library) | litellm | otel
    gpu: tuple[str, ...] = (n.NATIVE_SOURCE,)  # GPU spend: aicost (the exporter) | opencost | vllm (tokens at transfer price)
    litellm: tuple[str, ...] = ()  # LiteLLM team ids or aliases of this team (default: the team's name)
    otel: tuple[str, ...] = ()  # values of the OTel source's team attribute (default: the team's name)
    namespaces: tuple[str, ...] = ()  # Kubernetes namespaces (vLLM, DCGM, OpenCost)
    project: str = ""  # the project of source spend that carries none (default: the team's first project)

    def counts(self, source: str) -> bool:
        """Whether `source` is this team's truth for its API or its GPU spend."""
        return source == self.api or source in self.gpu

    def truth_for(self, category: str) -> str:
        """The source whose series count for this team's spend in `category` (aicost's own for the rest)."""
        if category == "api":
            return self.api
        if category in n.GPU_CATEGORIES and n.NATIVE_SOURCE not in self.gpu:
            return self.gpu[0]
        return n.NATIVE_SOURCE


@dataclass(frozen=True)
class Source:
    """A tool whose metrics aicost maps onto its contract (README: Sources): one scrape job."""

    kind: str  # litellm | otel | vllm | dcgm | opencost
    targets: tuple[ScrapeTarget, ...]
    bearer_token_file: str | None = None
    team_label: str = ""  # the source's label that names the team (litellm: team_alias or team)
    project_label: str | None = None  # the source's label that names the project, if any
    names: str = "underscore"  # otel: underscore | utf8 (Prometheus 3 only)
    category: str = "compute"  # opencost: the category its GPU dollars are booked to
    transfer_prices: tuple[ModelPrice, ...] = ()  # vllm: internal dollars per 1M tokens
    target_teams: tuple[tuple[str, str], ...] = ()  # vllm: target address -> team, for servers without a namespace

    @property
    def job(self) -> str:
        """The scrape job's name."""
        return n.SOURCE_JOB_PREFIX + self.kind
