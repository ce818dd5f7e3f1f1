"""What the results were measured on: device kind, CPU, GPU, library versions, date, commit."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

# Run in a child so the harness itself never holds a CUDA context while notebooks use the GPU.
_PROBE = """
import json, torch
cuda = torch.cuda.is_available()
print(json.dumps({
    "torch": torch.__version__,
    "cuda": torch.version.cuda,
    "gpu": torch.cuda.get_device_name(0) if cuda else None,
    "gpu_count": torch.cuda.device_count() if cuda else 0,
    "torch_threads": torch.get_num_threads(),
}))
"""

#: Distributions whose versions every results file names (TensorFlow under any of its names).
_PACKAGES = ("numpy", "keras", "nbgrader", "nbclient", "rnncourse")
_TENSORFLOW = ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly")


def cpu_count() -> int:
    """CPU cores this process may use (the affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_model() -> str:
    """The processor's name, as the OS reports it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def slug(text: str) -> str:
    """A file-name-safe, lower-case form: ``"NVIDIA H200"`` -> ``"nvidia-h200"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def device_kind(gpu: str | None, cores: int) -> str:
    """The results file's name: the GPU's name when there is one, else the CPU core count."""
    return slug(gpu) if gpu else f"cpu-{cores}-cores"


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_commit(root: Path) -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                              capture_output=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, text=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def describe(root: Path) -> dict:
    """Everything a results file says about the machine, the software and the date."""
    probe = subprocess.run([sys.executable, "-c", _PROBE], text=True, capture_output=True,
                           timeout=300)
    torch_info = json.loads(probe.stdout) if probe.returncode == 0 else {
        "torch": None, "cuda": None, "gpu": None, "gpu_count": 0, "torch_threads": None}
    cores = cpu_count()
    versions = {"python": platform.python_version(), "torch": torch_info["torch"],
                "tensorflow": next(filter(None, map(_version, _TENSORFLOW)), None)}
    versions.update({name: _version(name) for name in _PACKAGES})
    return {
        "device_kind": device_kind(torch_info["gpu"], cores),
        "gpu": torch_info["gpu"],
        "gpu_count": torch_info["gpu_count"],
        "cuda": torch_info["cuda"],
        "cpu": cpu_model(),
        "cpu_count": cores,
        "torch_threads": torch_info["torch_threads"],
        "platform": platform.platform(),
        "versions": versions,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": _git_commit(root),
    }
