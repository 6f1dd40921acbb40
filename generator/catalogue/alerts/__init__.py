"""The alerts of the contract, one module per domain: budget, anomaly, usage, infrastructure."""
