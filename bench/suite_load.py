"""Load and measurement for the benchmark suite (bench/suite.py): one HTTP load client
(bench/tileclient.c) for every server, so rbmap and its peers get identical request
lists, and what the servers spent, read from /proc: CPU seconds (utime + stime) and
peak resident memory (VmHWM) of the serving processes."""
import os
import subprocess
import tempfile

CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    """Nearest-rank percentile of a list (nan when empty)."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, -(-p * len(v) // 100) - 1))
    return v[int(k)]


def proc_cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def proc_peak_rss_mb(pid):
    """Peak resident set (VmHWM) of a live process, in MB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


class Meter:
    """CPU spent by a changing set of processes between start() and stop() (processes
    that appear meanwhile count from zero), and the sum of their peak RSS at stop()."""

    def __init__(self, pids_fn, rss_pids_fn=None):
        self.pids_fn, self.rss_pids_fn = pids_fn, rss_pids_fn or pids_fn

    def start(self):
        self.before = {p: proc_cpu(p) for p in self.pids_fn()}

    def stop(self):
        cpu = sum(proc_cpu(p) - self.before.get(p, 0.0) for p in self.pids_fn())
        return cpu, sum(proc_peak_rss_mb(p) for p in self.rss_pids_fn())


class LoadClient:
    """Runs bench/tileclient over a list of paths: once (every path asked exactly once,
    spread over the connections) or cycled for a number of seconds."""

    def __init__(self, binary, workdir):
        self.binary, self.workdir = binary, workdir

    def run(self, port, paths, concurrency, seconds=None, headers=()):
        fd, listfile = tempfile.mkstemp(prefix="paths-", suffix=".txt", dir=self.workdir)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(paths) + "\n")
        cmd = [self.binary, "-c", str(concurrency)]
        if seconds:
            cmd += ["-s", str(seconds)]
        for h in headers:
            cmd += ["-H", h]
        cmd += ["127.0.0.1", str(port), listfile]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        os.unlink(listfile)
        usec, statuses, nbytes, summary = [], [], 0, None
        for line in out.splitlines():
            if line.startswith("#"):
                summary = line.split()
                continue
            _, status, size, us = (int(v) for v in line.split())
            statuses.append(status)
            usec.append(us)
            nbytes += size
        elapsed = float(summary[2]) / 1e6
        failed = int(summary[6]) + sum(1 for s in statuses if s >= 400)
        return {"requests": len(usec), "errors": failed, "elapsed": elapsed, "bytes": nbytes,
                "rps": len(usec) / elapsed if elapsed > 0 else 0.0,
                "p50": percentile(usec, 50) / 1000.0, "p99": percentile(usec, 99) / 1000.0}


def measured(client, server, paths, concurrency, seconds=None, headers=()):
    """One load run with the servers' CPU and memory: the client's figures plus
    cpu_ms (server CPU per request, ms) and rss_mb (peak RSS of the serving processes).
    `server` has port, pids() and optionally frontend_pids() (the processes whose memory
    counts, when not all of pids())."""
    meter = Meter(server.pids, getattr(server, "frontend_pids", server.pids))
    meter.start()
    res = client.run(server.port, paths, concurrency, seconds, headers)
    cpu, rss = meter.stop()
    res["cpu_s"] = cpu
    res["cpu_ms"] = cpu / max(res["requests"], 1) * 1000.0
    res["rss_mb"] = rss
    return res
