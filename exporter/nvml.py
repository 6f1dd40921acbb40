"""The only module that imports pynvml (from nvidia-ml-py): a thin facade the collector reads."""

from __future__ import annotations

from dataclasses import dataclass


class NvmlUnavailable(Exception):
    """NVML cannot be used on this host: no library, no driver, or no GPU."""


class GpuReadError(Exception):
    """One GPU (or one of its fields) could not be read; `reason` is a short label value."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason


@dataclass(frozen=True)
class GpuReading:
    """What the collector needs of one GPU at one scrape."""

    index: int
    name: str
    uuid: str
    utilization_percent: float
    memory_used_bytes: float
    memory_total_bytes: float
    power_watts: float | None  # None where the board does not report power


def _reason(pynvml, exc: Exception) -> str:
    codes = {
        "NVML_ERROR_GPU_IS_LOST": "gpu_lost",
        "NVML_ERROR_NOT_SUPPORTED": "not_supported",
        "NVML_ERROR_TIMEOUT": "timeout",
        "NVML_ERROR_UNKNOWN": "unknown",
        "NVML_ERROR_NO_PERMISSION": "no_permission",
    }
    value = getattr(exc, "value", None)
    for const, reason in codes.items():
        if value is not None and value == getattr(pynvml, const, object()):
            return reason
    return "nvml_error"


class Nvml:
    """Reads GPUs through NVML. Construct once; `read` is called at every scrape."""

    def __init__(self) -> None:
        try:
            import pynvml
        except ImportError as exc:  # nvidia-ml-py not installed
            raise NvmlUnavailable("the pynvml module is missing; pip install nvidia-ml-py") from exc
        self._nv = pynvml
        try:
            pynvml.nvmlInit()
            self._count = pynvml.nvmlDeviceGetCount()
        except pynvml.NVMLError as exc:
            raise NvmlUnavailable(f"NVML is not usable here ({exc}); is the NVIDIA driver installed?") from exc
        if self._count == 0:
            raise NvmlUnavailable("NVML found no GPU on this host")

    def count(self) -> int:
        """Number of GPUs NVML reports."""
        return self._count

    def read(self, index: int) -> GpuReading:
        """One GPU's reading; raises GpuReadError with a reason when it cannot be read."""
        nv = self._nv
        try:
            h = nv.nvmlDeviceGetHandleByIndex(index)
            name = nv.nvmlDeviceGetName(h)
            name = name.decode() if isinstance(name, bytes) else name
            uuid = nv.nvmlDeviceGetUUID(h)
            uuid = uuid.decode() if isinstance(uuid, bytes) else uuid
            util = nv.nvmlDeviceGetUtilizationRates(h).gpu
            mem = nv.nvmlDeviceGetMemoryInfo(h)
        except nv.NVMLError as exc:
            raise GpuReadError(_reason(nv, exc), str(exc)) from exc
        try:
            power = nv.nvmlDeviceGetPowerUsage(h) / 1000.0  # milliwatts
        except nv.NVMLError:
            power = None  # many boards do not report power; not an error of the GPU
        return GpuReading(index, name, uuid, float(util), float(mem.used), float(mem.total), power)

    def close(self) -> None:
        """Release NVML."""
        try:
            self._nv.nvmlShutdown()
        except Exception:  # noqa: BLE001 - shutting down is best effort
            pass
