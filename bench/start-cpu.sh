#!/bin/bash
# Wall time against CPU time of `berth run -d`, and how it depends on the filesystem of
# the root (bench/README.md, "Sixth pass"): ROUNDS rounds of RUNS detached starts, each
# round followed by `rm -f` of what it started. Per round it prints the wall time and the
# busy CPU time (all CPUs, from /proc/stat: user+nice+system+irq+softirq) per start.
#
# Usage (root): bench/start-cpu.sh [RUNS] [ROUNDS] [PARENT_DIR]
#   PARENT_DIR  where the root is made (default /tmp). On an ext4 without a journal the
#               per-start time grows from round to round (freed inodes are skipped for
#               60 s); /dev/shm (tmpfs) shows the same build without that.
# BERTH_BENCH_BIN=DIR times the binaries in DIR instead of a fresh release build.
set -euo pipefail
runs=${1:-30} rounds=${2:-3} parent=${3:-/tmp}
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${BERTH_BENCH_BIN:-}" ]; then
  bin=$BERTH_BENCH_BIN
else
  (cd "$repo" && cargo build --release --locked -p cli -p monitor -p runtime-cli >/dev/null 2>&1)
  bin=${CARGO_TARGET_DIR:-$repo/target}/release
fi
tmp=$(mktemp -d "$parent/berth-bench-cpu.XXXXXX")
B=("$bin/berth" --root "$tmp/root")
cleanup() {
  ids=$("${B[@]}" ps -aq 2>/dev/null || true)
  [ -z "$ids" ] || "${B[@]}" rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$repo/fixtures/busybox-bundle.sh" "$tmp/bundle" "$bin/berth-runtime" >/dev/null
tar -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" .
"${B[@]}" import --change 'CMD ["sh"]' "$tmp/rootfs.tar" busybox:latest >/dev/null
"${B[@]}" run --rm --network none busybox true # compiles the seccomp cache

busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
hz=$(getconf CLK_TCK)
echo "root on $(stat -f -c %T "$tmp"), $runs starts a round"
for r in $(seq 1 "$rounds"); do
  c0=$(busy) t0=$(date +%s%N)
  for i in $(seq 1 "$runs"); do
    "${B[@]}" run -d --network none busybox sleep 1000 >/dev/null
  done
  t1=$(date +%s%N) c1=$(busy)
  "${B[@]}" rm -f $("${B[@]}" ps -aq) >/dev/null
  python3 -c "print(f'round $r: wall {($t1 - $t0) / 1e6 / $runs:.2f} ms a start, busy CPU {($c1 - $c0) * 1000 / $hz / $runs:.2f} ms a start')"
done
