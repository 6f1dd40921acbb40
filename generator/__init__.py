"""aicost: FinOps for AI as code. Kept import-free so `from generator.names import ...` stays cheap.

The compile line, one way: spec/ (read YAML, check its shape) -> resolve (cross-check) -> model
(frozen) -> catalogue (rules and alerts, once) -> render (plain data per file) -> output
(bytes, atomic write). Beside it: exporter/ (runtime), report/ and stack/ (tools), cli.
"""
