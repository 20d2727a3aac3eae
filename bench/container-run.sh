#!/bin/bash
# `berth run` against podman in one run (issue #5's bench):
#   1. `run --rm --network none busybox true`, berth vs podman vs the floor (unshare + chroot
#      of the same rootfs: namespaces and an exec, nothing else). Targets: berth <= 0.1x
#      podman and <= 4x the floor.
#   2. `ps -a` with 20 containers (target <= 0.2x podman).
#   3. 20 detached containers started one after the other, three rounds, median
#      (target <= 0.1x podman).
# Usage: bench/container-run.sh [RUNS]   (as root; hyperfine, podman from Debian)
# docker is left out: it needs its daemon started by hand (see bench/README.md).
set -euo pipefail
runs=${1:-50}
repo=$(cd "$(dirname "$0")/.." && pwd)
for t in hyperfine podman python3 unshare; do
  command -v "$t" >/dev/null || { echo "container-run.sh: $t is missing" >&2; exit 1; }
done
# BERTH_BENCH_BIN=DIR times the berth, berth-monitor and berth-runtime in DIR instead of
# a fresh release build (to compare two builds in the same conditions).
if [ -n "${BERTH_BENCH_BIN:-}" ]; then
  bin=$BERTH_BENCH_BIN
else
  (cd "$repo" && cargo build --release --locked -p cli -p monitor -p runtime-cli >/dev/null 2>&1)
  bin=${CARGO_TARGET_DIR:-$repo/target}/release
fi
BERTH="$bin/berth"
tmp=$(mktemp -d /tmp/berth-bench-run.XXXXXX)
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000","nproc=32768:32768"]\n' > "$tmp/containers.conf"
export CONTAINERS_CONF="$tmp/containers.conf"
# crun 1.8 refuses this hybrid host's cgroups: podman runs runc here.
PODMAN=(podman --root "$tmp/podman/root" --runroot "$tmp/podman/run" --storage-driver overlay --cgroup-manager cgroupfs --events-backend file --runtime runc)
B=("$BERTH" --root "$tmp/berth")
cleanup() {
  "${B[@]}" rm -f $("${B[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  "${PODMAN[@]}" rm -af >/dev/null 2>&1 || true
  "${PODMAN[@]}" system reset -f >/dev/null 2>&1 || true
  # c/storage binds its overlay directory onto itself; reset does not always undo it.
  if mountpoint -q "$tmp/podman/root/overlay" 2>/dev/null; then
    umount "$tmp/podman/root/overlay" || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$repo/fixtures/busybox-bundle.sh" "$tmp/bundle" "$bin/berth-runtime" >/dev/null
tar -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" .
"${B[@]}" import --change 'CMD ["sh"]' "$tmp/rootfs.tar" busybox:latest >/dev/null
"${PODMAN[@]}" import -q "$tmp/rootfs.tar" localhost/busybox:latest >/dev/null
rootfs="$tmp/bundle/rootfs"

hyperfine -N -w 5 -r "$runs" --export-json "$tmp/run.json" \
  -n berth "${B[*]} run --rm --network none busybox true" \
  -n podman "${PODMAN[*]} run --rm --network none localhost/busybox true" \
  -n floor "unshare --fork --pid --mount --uts --ipc --net chroot $rootfs /bin/true"

for i in $(seq 1 20); do
  "${B[@]}" create --name "c$i" busybox true >/dev/null
  "${PODMAN[@]}" create --name "c$i" --network none localhost/busybox true >/dev/null
done
hyperfine -N -w 3 -r 20 --export-json "$tmp/ps.json" \
  -n berth-ps "${B[*]} ps -a" -n podman-ps "${PODMAN[*]} ps -a"
"${B[@]}" rm -f $("${B[@]}" ps -aq) >/dev/null
"${PODMAN[@]}" rm -af >/dev/null

# 20 detached starts one after the other, for each engine in turn, three rounds; the
# median round of each is reported (one round alone moves by 10 % on this shared machine).
# Each start is the engine's own command, run by the loop directly (an `sh -c` around it,
# as this script once had, adds a shell's ~1 ms start to both sides).
start20() {
  local start end image=$1
  shift
  start=$(date +%s.%N)
  for i in $(seq 1 20); do "$@" run -d --network none --name "d$i" "$image" sleep 1000 >/dev/null; done
  end=$(date +%s.%N)
  python3 -c "print($end - $start)"
}
tbs=() tps=()
for round in 1 2 3; do
  tbs+=("$(start20 busybox "${B[@]}")")
  tps+=("$(start20 localhost/busybox "${PODMAN[@]}")")
  "${B[@]}" rm -f $("${B[@]}" ps -aq) >/dev/null
  "${PODMAN[@]}" rm -af >/dev/null
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
tb=$(median "${tbs[@]}") tp=$(median "${tps[@]}")
echo "20 detached starts, rounds (berth/podman s): ${tbs[0]}/${tps[0]} ${tbs[1]}/${tps[1]} ${tbs[2]}/${tps[2]}"

python3 - "$tmp/run.json" "$tmp/ps.json" "$tb" "$tp" <<'PY'
import json, sys
run = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
ps = {r["command"]: r["median"] for r in json.load(open(sys.argv[2]))["results"]}
tb, tp = float(sys.argv[3]), float(sys.argv[4])
b, p, f = run["berth"], run["podman"], run["floor"]
print(f"run --rm true: berth {b*1000:.1f} ms, podman {p*1000:.1f} ms, floor {f*1000:.2f} ms "
      f"-> {b/p:.3f}x podman (target <= 0.1), {b/f:.2f}x floor (target <= 4)")
bp, pp = ps["berth-ps"], ps["podman-ps"]
print(f"ps -a, 20 containers: berth {bp*1000:.1f} ms, podman {pp*1000:.1f} ms -> {bp/pp:.3f}x (target <= 0.2)")
print(f"20 detached starts (median of 3 rounds): berth {tb:.3f} s, podman {tp:.3f} s -> {tb/tp:.3f}x (target <= 0.1)")
PY
