"""aicost: FinOps for AI as code. Kept import-free so `from generator.names import ...` stays cheap."""
