#!/usr/bin/env bash
# The hyper HTTP/1.1 server (examples/http_server.rs) on spindle, tokio (hyper-util's
# TokioIo/TokioTimer) and smol (async-executor + async-io), loaded by wrk over loopback.
# Runtimes are interleaved within each round, so machine noise hits all of them alike; the
# table gives medians over the rounds, with ratios to tokio.
#
#   bash scripts/http_bench.sh [ROUNDS (3)] [SECONDS per run (3)]
#   CONNS="50 500" WORKERS="1 2" RUNTIMES="spindle tokio smol" bash scripts/http_bench.sh
#
# Needs wrk (a Debian package; installed with apt-get if missing). Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-3}
CONNS=${CONNS:-"50 500"}
WORKERS=${WORKERS:-"1 2"}
RUNTIMES=${RUNTIMES:-"spindle tokio smol"}
PORT=${PORT:-18931}

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    (apt-get update -qq && apt-get install -y -qq wrk) >&2
fi
cargo build --release --features hyper --example http_server >&2
BIN=target/release/examples/http_server
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for round in $(seq "$ROUNDS"); do
    for w in $WORKERS; do
        for c in $CONNS; do
            for r in $RUNTIMES; do
                "$BIN" --port "$PORT" --workers "$w" --runtime "$r" >/dev/null &
                pid=$!
                for _ in $(seq 50); do
                    (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break
                    sleep 0.05
                done
                res=$(wrk -t1 -c"$c" -d"${SECS}s" --latency "http://127.0.0.1:$PORT/")
                kill "$pid"
                wait "$pid" 2>/dev/null || true
                rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$res")
                p50=$(awk '$1 == "50%" {print $2}' <<<"$res")
                p99=$(awk '$1 == "99%" {print $2}' <<<"$res")
                echo "$round $w $c $r $rps $p50 $p99" | tee -a "$out" >&2
            done
        done
    done
done

python3 - "$out" "$RUNTIMES" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
runtimes = sys.argv[2].split()
def ms(v):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)
cells = {}
for _, w, c, r, rps, p50, p99 in rows:
    cells.setdefault((int(w), int(c), r), []).append((float(rps), ms(p50), ms(p99)))
print(f"rounds: {len({r[0] for r in rows})}, medians; wrk -t1 over loopback, hyper http1 keep-alive")
print("| workers | conns | runtime | req/s | vs tokio | p50 ms | p99 ms | p99 vs tokio |")
print("|---|---|---|---|---|---|---|---|")
for w, c in sorted({(k[0], k[1]) for k in cells}):
    med = {r: [statistics.median(x) for x in zip(*cells[(w, c, r)])] for r in runtimes if (w, c, r) in cells}
    base = med.get("tokio")
    for r, (rps, p50, p99) in med.items():
        ratio = f"{rps / base[0]:.2f}x" if base else "-"
        pr = f"{p99 / base[2]:.2f}x" if base else "-"
        print(f"| {w} | {c} | {r} | {rps/1000:.0f}k | {ratio} | {p50:.2f} | {p99:.2f} | {pr} |")
PY
