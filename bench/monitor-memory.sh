#!/usr/bin/env bash
# Memory of the per-container monitor: berth-monitor against podman's conmon, N
# containers each (`sleep`), median RSS and PSS of the monitor processes read from
# /proc/PID/smaps_rollup once all N run.
#
#   bench/monitor-memory.sh [N]        (root; default N=10)
#
# berth-monitor is started the way the engine does it (monitor.json, a sync fd), from
# the release build unless BERTH_MONITOR is set. podman runs a busybox image made with
# `podman import` of the fixture's rootfs, with --network none and a containers.conf
# that sets the nofile/nproc ulimits this host needs (CONTAINERS_CONF). Everything the
# script starts is stopped by PID, and its podman containers and image are removed.
#
# Env: BERTH_MONITOR, BERTH_RUNTIME (for the bundle), PODMAN_RUNTIME (default runc),
# N (or $1), KEEP_TMP=1.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-${N:-10}}"
[[ $EUID -eq 0 ]] || { echo "monitor-memory.sh: needs root" >&2; exit 1; }
if [[ -z "${BERTH_MONITOR:-}" ]]; then
    (cd "$repo" && cargo build --release -p monitor -p runtime-cli >&2)
    target="${CARGO_TARGET_DIR:-$repo/target}"
    BERTH_MONITOR="$target/release/berth-monitor"
    BERTH_RUNTIME="${BERTH_RUNTIME:-$target/release/berth-runtime}"
fi
BERTH_RUNTIME="${BERTH_RUNTIME:-$(command -v berth-runtime)}"
# crun 1.8 refuses this hybrid-cgroup host; runc works (conmon is the same either way).
PODMAN_RUNTIME="${PODMAN_RUNTIME:-runc}"

tmp="$(mktemp -d /tmp/berth-monmem.XXXXXX)"
tag="berth-bench-$$"
berth_pids=()
podman_names=()
export CONTAINERS_CONF="$tmp/containers.conf"
cat > "$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "${PODMAN_RUNTIME}"
CONF

cleanup() {
    set +e
    for i in "${!berth_pids[@]}"; do
        run="$tmp/run-$i"
        touch "$run/stopping" 2>/dev/null
        "$BERTH_RUNTIME" --root "$tmp/root" delete -f "$tag-$i" >/dev/null 2>&1
    done
    for pid in "${berth_pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    for name in "${podman_names[@]}"; do podman rm -f -t 0 "$name" >/dev/null 2>&1; done
    podman rmi "localhost/$tag" >/dev/null 2>&1
    [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$tmp"
}
trap cleanup EXIT

# kB of Rss and Pss of a process.
mem() { awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} END {print r, p}' "/proc/$1/smaps_rollup"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
report() { # name, file of "rss pss" lines
    local rss pss
    rss=$(cut -d' ' -f1 "$2" | median); pss=$(cut -d' ' -f2 "$2" | median)
    printf '%-14s N=%-3s median RSS %6.2f MB   PSS %6.2f MB\n' "$1" "$N" \
        "$(echo "$rss / 1000" | bc -l)" "$(echo "$pss / 1000" | bc -l)"
}

"$repo/fixtures/busybox-bundle.sh" "$tmp/bundle" "$BERTH_RUNTIME" -- sleep 1000 >/dev/null

# berth-monitor: one per container, started as monitor::spawn does (sync fd 3 → a file).
for i in $(seq 0 $((N - 1))); do
    run="$tmp/run-$i"; mkdir -p "$run"
    cat > "$run/monitor.json" <<JSON
{"id":"$tag-$i","bundle":"$tmp/bundle","runtime_root":"$tmp/root","run_dir":"$run",
 "log":{"path":"$run/ctr-json.log","max_size":10000000,"max_files":3},
 "tty":false,"stdin":false,"stdin_once":false,"restart":{"name":"no","max_retries":0},
 "health":null,"on_exit":[]}
JSON
    "$BERTH_MONITOR" --sync-fd 3 "$run/monitor.json" 3>"$run/sync" 2>>"$run/monitor.log" </dev/null >/dev/null
    for _ in $(seq 100); do [[ -s "$run/sync" ]] && break; sleep 0.05; done
    grep -q '"Started"' "$run/sync" || { echo "berth-monitor $i did not start: $(cat "$run/sync" "$run/monitor.log")" >&2; exit 1; }
    berth_pids+=("$(sed 's/.*"monitor_pid":\([0-9]*\).*/\1/' "$run/sync")")
done

# podman + conmon.
tar -C "$tmp/bundle/rootfs" -c . | podman import - "$tag" >/dev/null
conmon_pids=()
for i in $(seq 0 $((N - 1))); do
    name="$tag-$i"
    podman_names+=("$name")
    podman run -d --network none --name "$name" "localhost/$tag" sleep 1000 >/dev/null
    conmon_pids+=("$(podman inspect -f '{{.State.ConmonPid}}' "$name")")
done

sleep 1
for pid in "${berth_pids[@]}"; do mem "$pid"; done > "$tmp/berth.mem"
for pid in "${conmon_pids[@]}"; do mem "$pid"; done > "$tmp/conmon.mem"
report berth-monitor "$tmp/berth.mem"
report conmon "$tmp/conmon.mem"
