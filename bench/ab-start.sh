#!/usr/bin/env bash
# A/B of two berth builds on the start path: the two alternate run by run, so a slow
# spell of this shared machine weighs on both alike (a single build drifts between
# ~8 and ~10.5 ms a `run -d`, minutes apart).
#
# Usage (root): bench/ab-start.sh OLD_DIR NEW_DIR [RUNS] [GAP_S] [MODE]
#   OLD_DIR, NEW_DIR  directories holding berth, berth-monitor and berth-runtime
#   RUNS              timed runs of each build (default 60; 3 more, untimed, first)
#   GAP_S             idle seconds after each run (default 0; 0.05 shows what waking an
#                     idle vCPU costs each hand-over between processes)
#   MODE              detached (`run -d … sleep 1000`, default) or rm (`run --rm … true`)
# Each build has its own root with the same busybox image; everything is removed at the
# end. Prints the median, mean, p10 and p90 wall time of each, in ms.
set -euo pipefail
[ $# -ge 2 ] || { sed -n 2,13p "$0"; exit 2; }
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd)
runs=${3:-60} gap=${4:-0} mode=${5:-detached}
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/berth-ab.XXXXXX)
cleanup() {
  for b in old new; do
    dir=$old; [ $b = new ] && dir=$new
    ids=$("$dir/berth" --root "$tmp/$b" ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || "$dir/berth" --root "$tmp/$b" rm -f $ids >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$repo/fixtures/busybox-bundle.sh" "$tmp/bundle" "$new/berth-runtime" >/dev/null
tar -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" .
for b in old new; do
  dir=$old; [ $b = new ] && dir=$new
  "$dir/berth" --root "$tmp/$b" import --change 'CMD ["sh"]' "$tmp/rootfs.tar" busybox:latest >/dev/null
  # The first start compiles the seccomp profile into the root's cache.
  "$dir/berth" --root "$tmp/$b" run --rm --network none busybox true
done

python3 - "$old" "$new" "$tmp" "$runs" "$gap" "$mode" <<'PY'
import statistics, subprocess, sys, time
old, new, tmp, runs, gap, mode = sys.argv[1:7]
runs, gap = int(runs), float(gap)
tail = {"detached": ["run", "-d", "--network", "none", "busybox", "sleep", "1000"],
        "rm": ["run", "--rm", "--network", "none", "busybox", "true"]}[mode]
cmds = {"old": [f"{old}/berth", "--root", f"{tmp}/old"] + tail,
        "new": [f"{new}/berth", "--root", f"{tmp}/new"] + tail}
times = {k: [] for k in cmds}
for i in range(runs + 3):
    order = list(cmds) if i % 2 == 0 else list(reversed(list(cmds)))
    for k in order:
        t = time.perf_counter()
        subprocess.run(cmds[k], stdout=subprocess.DEVNULL, check=True)
        if i >= 3:
            times[k].append((time.perf_counter() - t) * 1000)
        time.sleep(gap)
for k, v in times.items():
    v.sort()
    print(f"{k}: median {statistics.median(v):.2f} ms, mean {statistics.mean(v):.2f}, "
          f"p10 {v[len(v) // 10]:.2f}, p90 {v[9 * len(v) // 10]:.2f} ({len(v)} runs, gap {gap} s, {mode})")
PY
