# Times whole processes side by side, alternating, N runs each: wall time (min, median) and CPU
# time (user + system, median). Usage (docs/performance.md, "Batch decisions"):
#   python3 time_processes.py INPUT RUNS "name=command args" ...   (INPUT is appended to each command)
import os, subprocess, sys, time, statistics, resource
inp = sys.argv[1]
runs = int(sys.argv[2])
cmds = {k: v for k, v in (a.split('=', 1) for a in sys.argv[3:])}
res = {k: [] for k in cmds}
cpu = {k: [] for k in cmds}
for r in range(runs):
    for k, c in cmds.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(c.split() + [inp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        res[k].append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[k].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
print(f"load {os.getloadavg()[0]:.1f}, {runs} runs each, input {inp}")
for k in cmds:
    print(f"{k:8} wall min {min(res[k])*1000:8.1f} ms  median {statistics.median(res[k])*1000:8.1f} ms   cpu median {statistics.median(cpu[k])*1000:8.1f} ms")
