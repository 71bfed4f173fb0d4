import re, glob, statistics, collections, sys
R = collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob(sys.argv[1] if len(sys.argv) > 1 else "*-*-*.txt")):
    w, v, i = f[:-4].split("-")[-3:]
    txt = open(f).read()
    for m in re.finditer(r"^(\S+/spindle\S*)\s*\n?\s*time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", txt, re.M):
        val = float(m.group(2)); unit = m.group(3)
        val *= {"ns": 1e-3, "µs": 1, "us": 1, "ms": 1e3, "s": 1e6}[unit]
        R[m.group(1)][v].append(val)
def fmt(us): return f"{us/1e3:.3f} ms" if us >= 1000 else f"{us:.1f} µs"
print("| benchmark | 0.1 (old) | now (new) | new/old | pairs |")
print("|---|---|---|---|---|")
for k, d in R.items():
    o, n = d.get("old", []), d.get("new", [])
    if not o or not n: continue
    mo, mn = statistics.median(o), statistics.median(n)
    print(f"| {k} | {fmt(mo)} | {fmt(mn)} | {mn/mo:.3f} | {min(len(o),len(n))} | " + " ".join(fmt(x) for x in o) + " / " + " ".join(fmt(x) for x in n))
