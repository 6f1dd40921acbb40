"""aicost's exporter (GPU cost through NVML) and instrumentation library (track_ai_call, the budget guard)."""

from exporter.guard import BudgetExceeded
from exporter.library import CostTracker, check_budget, default_tracker, track_ai_call, usage_tokens

__all__ = ["BudgetExceeded", "CostTracker", "check_budget", "default_tracker", "track_ai_call", "usage_tokens"]
