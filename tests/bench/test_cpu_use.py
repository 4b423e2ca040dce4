"""What a unit of work costs the machine: CPU read per process, idle taken off, per unit."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.cpu_use import BENCH, cpu_seconds, idle_rate, ms_per_unit


def test_per_unit_takes_off_each_process_idle_use_and_sums_them() -> None:
    before = {"store": 10.0, "intake": 4.0, BENCH: 1.0}
    after = {"store": 12.5, "intake": 5.0, BENCH: 1.2}
    idle = {"store": 0.05, "intake": 0.01}  # CPU seconds per second with no load
    cost = ms_per_unit(before, after, 100, seconds=10.0, idle_per_second=idle)
    assert cost == {"store": 20.0, "intake": 9.0, BENCH: 2.0, "all": 31.0}


def test_a_process_read_once_only_is_left_out_and_idle_never_makes_a_cost_negative() -> None:
    before = {"store": 10.0, "mail sink": 1.0, "gone": 3.0}
    after = {"store": 10.1, "mail sink": 1.5}
    cost = ms_per_unit(before, after, 10, seconds=10.0, idle_per_second={"store": 0.05})
    assert cost == {"store": 0.0, "mail sink": 50.0, "all": 50.0}
    assert ms_per_unit(before, after, 0, seconds=1.0, idle_per_second={}) == {}


def test_idle_rate_is_use_per_second() -> None:
    assert idle_rate({"kafka": 2.0, "gone": 1.0}, {"kafka": 2.5}, 5.0) == {"kafka": 0.1}


def test_cpu_is_read_from_the_processes_themselves() -> None:
    burner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nt = time.process_time()\n"
            "while time.process_time() - t < 0.3: pass\ntime.sleep(30)",
        ]
    )
    try:
        used = 0.0
        for _ in range(100):  # until it has burnt its 0.3 s (at most 10 s)
            used = cpu_seconds({"burner": burner.pid})["burner"]
            if used >= 0.3:
                break
            time.sleep(0.1)
        assert used >= 0.3
        assert cpu_seconds({"burner": burner.pid})[BENCH] > 0  # the bench's own, always read
    finally:
        burner.kill()
        burner.wait()
    assert "burner" not in cpu_seconds({"burner": burner.pid})
