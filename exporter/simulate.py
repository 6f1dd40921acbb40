"""Simulated GPUs for demos and tests: the same interface as exporter.nvml.Nvml."""

from __future__ import annotations

import math
import time
from typing import Callable

from exporter.nvml import GpuReading

_NAMES = ("NVIDIA A10G", "NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3")
_MEMORY = {"NVIDIA A10G": 24e9, "NVIDIA A100-SXM4-80GB": 80e9, "NVIDIA H100 80GB HBM3": 80e9}


class SimulatedGpus:
    """N fake GPUs with a realistic pattern: busy ones follow a slow daily wave, every
    fourth one idles (under 5 %), so AIGPUIdle has something to find in a demo."""

    def __init__(self, count: int, names: tuple[str, ...] = _NAMES, clock: Callable[[], float] = time.time,
                 idle: tuple[int, ...] | None = None):
        self._names = [names[i % len(names)] for i in range(count)]
        self._clock = clock
        self._idle = set(range(3, count, 4)) if idle is None else set(idle)

    def count(self) -> int:
        """Number of simulated GPUs."""
        return len(self._names)

    def read(self, index: int) -> GpuReading:
        """A deterministic reading for GPU `index` at the clock's time."""
        t = self._clock()
        name = self._names[index]
        if index in self._idle:
            util = 2.0 + 2.0 * (0.5 + 0.5 * math.sin(t / 97.0 + index))
        else:
            util = 55.0 + 35.0 * math.sin(2 * math.pi * t / 86400 + index) * 0.6 + 10.0 * math.sin(t / 13.0 + index)
        util = max(0.0, min(100.0, util))
        total = _MEMORY[name] if name in _MEMORY else 16e9
        return GpuReading(index, name, f"GPU-sim-{index:04d}", round(util, 1), round(total * util / 110.0),
                          total, round(60 + 3.5 * util, 1))

    def close(self) -> None:
        """Nothing to release."""
