"""aicost's exporter (GPU cost through NVML) and instrumentation library (track_ai_call)."""

from exporter.library import CostTracker, default_tracker, track_ai_call, usage_tokens

__all__ = ["CostTracker", "default_tracker", "track_ai_call", "usage_tokens"]
