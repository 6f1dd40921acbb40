"""The cost-allocation report: where the money comes from, how it is allocated, how it is printed and mailed."""
