"""The course's thread policy: CPUs allowed (affinity, cgroup quotas), neighbours, override."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnncourse.errors import CourseError
from rnncourse.threads import (
    BUSY_SHARE,
    ENV,
    CpuAllowance,
    LoadMeter,
    ThreadPolicy,
    allowed_cpus,
    cgroup_quota,
    choose_threads,
    threads_override,
    threads_per_process,
)

ROOT = Path(__file__).resolve().parents[1]


def _files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _cgroup(tmp_path: Path, listing: str, files: dict[str, str]) -> float | None:
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text(listing)
    _files(tmp_path / "cgroup", files)
    return cgroup_quota(proc, tmp_path / "cgroup")


def test_cgroup_v2_quota_in_cpus(tmp_path):
    assert _cgroup(tmp_path, "0::/kubepods/pod1\n",
                   {"kubepods/pod1/cpu.max": "200000 100000\n",
                    "kubepods/cpu.max": "max 100000\n"}) == 2.0


def test_cgroup_v2_fractional_quota_and_whole_cpus(tmp_path):
    quota = _cgroup(tmp_path, "0::/pod\n", {"pod/cpu.max": "150000 100000\n"})
    assert quota == 1.5
    assert CpuAllowance(frozenset(range(8)), quota).cpus == 1
    assert CpuAllowance(frozenset(range(8)), 0.5).cpus == 1  # never below one thread
    assert CpuAllowance(frozenset(range(8)), 2.5).cpus == 2


def test_cgroup_v2_parent_quota_is_the_tighter_one(tmp_path):
    assert _cgroup(tmp_path, "0::/a/b\n", {"a/b/cpu.max": "400000 100000\n",
                                           "a/cpu.max": "100000 100000\n"}) == 1.0


def test_cgroup_v2_without_quota(tmp_path):
    assert _cgroup(tmp_path, "0::/user.slice\n", {"user.slice/cpu.max": "max 100000\n"}) is None


def test_cgroup_v1_quota(tmp_path):
    listing = "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n"
    assert _cgroup(tmp_path, listing, {"cpu/docker/abc/cpu.cfs_quota_us": "300000\n",
                                       "cpu/docker/abc/cpu.cfs_period_us": "100000\n"}) == 3.0


def test_cgroup_v1_unlimited(tmp_path):
    listing = "4:cpu,cpuacct:/\n"
    assert _cgroup(tmp_path, listing, {"cpu/cpu.cfs_quota_us": "-1\n",
                                       "cpu/cpu.cfs_period_us": "100000\n"}) is None


def test_cgroup_seen_from_inside_a_container(tmp_path):
    # The container lists the host's path, but its mount shows its own group at the root.
    assert _cgroup(tmp_path, "0::/kubepods/pod1/ctr\n", {"cpu.max": "100000 100000\n"}) == 1.0


def test_no_cgroup_files_means_no_quota(tmp_path):
    assert _cgroup(tmp_path, "", {}) is None
    assert cgroup_quota(tmp_path / "missing", tmp_path) is None


def test_allowed_cpus_reads_this_process():
    allowance = allowed_cpus()
    assert allowance.affinity == frozenset(os.sched_getaffinity(0))
    assert 1 <= allowance.cpus <= len(allowance.affinity)


def _stat(path: Path, cpus: dict[int, tuple[int, int]]) -> None:
    """A /proc/stat with each CPU's (busy, idle) ticks."""
    lines = ["cpu  0 0 0 0 0 0 0 0 0 0"]
    lines += [f"cpu{cpu} {busy} 0 0 {idle} 0 0 0 0 0 0" for cpu, (busy, idle) in cpus.items()]
    path.write_text("\n".join(lines) + "\nintr 1 2 3\n")


def test_load_meter_subtracts_this_process(tmp_path):
    stat, ticks = tmp_path / "stat", os.sysconf("SC_CLK_TCK")
    clock, own = [0.0], [0.0]
    _stat(stat, {0: (0, 0), 1: (0, 0), 2: (0, 0)})
    meter = LoadMeter(frozenset({0, 1}), stat, own=lambda: own[0], clock=lambda: clock[0])
    # One second later: CPUs 0 and 1 were busy 1.5 s in all, 0.5 s of it ours; CPU 2 is
    # outside the mask and does not count.
    _stat(stat, {0: (ticks, 0), 1: (ticks // 2, ticks // 2), 2: (ticks, 0)})
    clock[0], own[0] = 1.0, 0.5
    assert meter.others() == pytest.approx(1.0)


def test_load_meter_unknown_without_proc_stat(tmp_path):
    meter = LoadMeter(frozenset({0}), tmp_path / "missing")
    assert meter.others() is None


@pytest.mark.parametrize(("cpus", "quota", "others", "expected"), [
    (2, None, None, 2),      # unknown load: every allowed CPU
    (2, None, 0.0, 2),       # quiet
    (2, None, BUSY_SHARE - 0.05, 2),  # background noise costs no thread
    (2, None, 0.6, 1),       # a neighbour busy more than a quarter of a CPU takes it
    (2, None, 1.0, 1),       # one busy neighbour on two CPUs
    (2, None, 2.0, 1),       # never fewer than one
    (8, None, 3.0, 5),
    (8, 2.0, 0.0, 2),        # a quota caps it
    (8, 2.0, 5.0, 2),        # 3 of 8 CPUs free: still the quota's 2
    (8, 2.0, 7.0, 1),
    (1, None, 0.0, 1),       # restricted to one CPU by affinity
])
def test_choose_threads(cpus, quota, others, expected):
    assert choose_threads(CpuAllowance(frozenset(range(cpus)), quota), others) == expected


def test_threads_per_process_shares_allowed_cpus():
    four = CpuAllowance(frozenset(range(4)))
    assert threads_per_process(2, four) == 2
    assert threads_per_process(3, four) == 1
    assert threads_per_process(8, four) == 1
    assert threads_per_process(1, CpuAllowance(frozenset(range(16)), 2.0)) == 2


def test_override(monkeypatch):
    assert threads_override({}) is None
    assert threads_override({ENV: " 3 "}) == 3
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(CourseError, match=f"{ENV} must be a whole number") as raised:
            threads_override({ENV: bad})
        assert repr(bad) in str(raised.value) and "\n" not in str(raised.value)


class _Meter:
    """Stands in for LoadMeter: the neighbours' load, one value per look."""

    def __init__(self, loads: list[float]) -> None:
        self.loads = loads

    def others(self) -> float:
        return self.loads.pop(0)


@pytest.fixture
def torch_threads():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    yield torch
    torch.set_num_threads(before)


def test_policy_follows_the_neighbours(monkeypatch, torch_threads):
    import rnncourse.threads as threads

    monkeypatch.setattr(threads, "PROBE_SECONDS", 0.0)
    monkeypatch.setattr(threads, "RECHECK_SECONDS", 0.0)
    meter = _Meter([0.0, 1.0, 1.0, 0.1])
    policy = ThreadPolicy(CpuAllowance(frozenset({0, 1})), meter, environ={})
    assert policy.start() == 2 and torch_threads.get_num_threads() == 2
    assert policy.adapt() == 1 and torch_threads.get_num_threads() == 1  # a neighbour came
    assert policy.adapt() == 1
    assert policy.adapt() == 2 and torch_threads.get_num_threads() == 2  # and went
    assert policy.describe() == "cpu, 2 threads (2 CPUs allowed)"


def test_policy_looks_again_only_after_a_while(monkeypatch, torch_threads):
    import rnncourse.threads as threads

    monkeypatch.setattr(threads, "PROBE_SECONDS", 0.0)
    meter = _Meter([0.0, 1.0])
    policy = ThreadPolicy(CpuAllowance(frozenset({0, 1})), meter, environ={})
    policy.start()
    assert policy.adapt() == 2 and meter.loads == [1.0]  # within RECHECK_SECONDS: no look


def test_override_wins_and_never_adapts(torch_threads):
    meter = _Meter([])  # any look at the neighbours would fail
    policy = ThreadPolicy(CpuAllowance(frozenset({0, 1})), meter, environ={ENV: "3"})
    assert policy.start() == 3 and policy.adapt() == 3
    assert torch_threads.get_num_threads() == 3
    assert policy.describe() == "cpu, 3 threads (2 CPUs allowed)"


def test_one_allowed_cpu_needs_no_probe(torch_threads):
    policy = ThreadPolicy(CpuAllowance(frozenset({5})), _Meter([]), environ={})
    assert policy.start() == 1 and torch_threads.get_num_threads() == 1


def test_device_line_says_the_choice(capsys, monkeypatch):
    import rnncourse.pytorch as course_torch
    from rnncourse import threads

    monkeypatch.setattr(threads, "_policy", ThreadPolicy(
        CpuAllowance(frozenset({0, 1, 2, 3}), 2.0), _Meter([]), environ={ENV: "1"}))
    monkeypatch.setattr(course_torch, "_announced", set())
    course_torch.pick_device(verbose=True)
    assert "is using cpu, 1 thread (2 CPUs allowed)." in capsys.readouterr().out


_REPORT = """
import json, sys
framework = sys.argv[1]
if framework == "pytorch":
    import torch
    from rnncourse.pytorch import pick_device
    pick_device()
    used = torch.get_num_threads()
else:
    from rnncourse.tensorflow import pick_device
    import tensorflow as tf
    pick_device()
    used = tf.config.threading.get_intra_op_parallelism_threads()
print(json.dumps(used))
"""


def _threads_in_a_fresh_process(framework: str, env: dict[str, str],
                                 cpus: set[int] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", _REPORT, framework], cwd=ROOT, capture_output=True, text=True,
        env={**{k: v for k, v in os.environ.items() if k != ENV}, **env}, timeout=300,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
    assert done.returncode == 0, done.stderr
    *printed, last = done.stdout.strip().splitlines()
    return json.loads(last), "\n".join(printed)


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_frameworks_take_the_override(framework):
    used, printed = _threads_in_a_fresh_process(framework, {ENV: "1"})
    assert used == 1
    assert "1 thread (" in printed


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_one_cpu_by_affinity_gives_one_thread(framework):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.fail("this test needs a machine with two CPUs or more to restrict")
    used, printed = _threads_in_a_fresh_process(framework, {}, {min(os.sched_getaffinity(0))})
    assert used == 1
    assert "(1 CPU allowed)" in printed
