#!/usr/bin/env bash
# Container start latency: `RUNTIME run` of a busybox bundle running /bin/true, for
# berth-runtime (release build), crun, runc and the floor (the same namespaces made by
# unshare(1) + chroot, no runtime), in ONE hyperfine invocation.
#
#   bench/runtime-start.sh [RUNS]        (root; default 200 runs per command, 20 warmup)
#
# Each runtime has its own --root. Container ids come from a per-runtime counter file
# bumped by hyperfine's --prepare (not timed), so they never collide; the prepare step
# also force-deletes the previous id in case a run left it behind, and the script checks
# at the end that every root is empty. crun 1.8 refuses this hybrid-cgroup host unless its
# cgroup2 mount lists no controllers, so crun runs through a wrapper (unshare -m + a bind
# mount of an empty file over cgroup.controllers); the wrapper's own cost is measured too
# ("crun-wrapper") so it can be subtracted.
#
# Env: BERTH (berth-runtime binary), RUNC, CRUN, WARMUP, RUNS (or $1), KEEP_TMP=1.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${1:-${RUNS:-200}}"
WARMUP="${WARMUP:-20}"
[[ $EUID -eq 0 ]] || { echo "runtime-start.sh: needs root" >&2; exit 1; }
command -v hyperfine >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q hyperfine >&2
if [[ -z "${BERTH:-}" ]]; then
    (cd "$repo" && cargo build --release -p runtime-cli >&2)
    BERTH="$repo/target/release/berth-runtime"
fi
RUNC="${RUNC:-$(command -v runc || echo /usr/sbin/runc)}"
CRUN="${CRUN:-$(command -v crun || echo /usr/bin/crun)}"

tmp="$(mktemp -d /tmp/berth-bench.XXXXXX)"
cleanup() {
    for r in berth runc crun; do
        [[ -d "$tmp/root-$r" ]] || continue
        bin="${bins[$r]}"
        for id in $("$bin" --root "$tmp/root-$r" list -q 2>/dev/null); do
            "$bin" --root "$tmp/root-$r" delete -f "$id" >/dev/null 2>&1 || true
        done
    done
    [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$tmp"
}
declare -A bins
trap cleanup EXIT

"$repo/fixtures/busybox-bundle.sh" "$tmp/bundle" "$BERTH" -- /bin/true >/dev/null
touch "$tmp/empty"
cat > "$tmp/crun" <<WRAP
#!/bin/sh
exec unshare -m --propagation slave sh -c 'mount --bind $tmp/empty /sys/fs/cgroup/unified/cgroup.controllers && exec $CRUN "\$@"' crun "\$@"
WRAP
chmod +x "$tmp/crun"
bins=([berth]="$BERTH" [runc]="$RUNC" [crun]="$tmp/crun")

names=() cmds=() preps=()
for r in berth crun runc; do
    bin="${bins[$r]}" root="$tmp/root-$r" ctr="$tmp/id-$r"
    mkdir -p "$root"; echo 0 > "$ctr"
    names+=("$r")
    # The id is read with a shell builtin so the timed command forks nothing extra.
    cmds+=("read n < $ctr; exec $bin --root $root run --bundle $tmp/bundle b$$-$r-\$n")
    preps+=("n=\$(cat $ctr); $bin --root $root delete -f b$$-$r-\$n >/dev/null 2>&1; echo \$((n + 1)) > $ctr")
done
names+=("floor")
cmds+=("read n < $tmp/id-berth; exec unshare -fmuipn --mount-proc chroot $tmp/bundle/rootfs /bin/true")
preps+=("true")
names+=("crun-wrapper")
cmds+=("read n < $tmp/id-berth; exec unshare -m --propagation slave sh -c 'mount --bind $tmp/empty /sys/fs/cgroup/unified/cgroup.controllers && exec /bin/true'")
preps+=("true")

args=(--shell=bash --warmup "$WARMUP" --runs "$RUNS" --export-json "$tmp/hf.json")
for i in "${!names[@]}"; do
    args+=(--prepare "${preps[$i]}" -n "${names[$i]}" "${cmds[$i]}")
done
hyperfine "${args[@]}"

python3 - "$tmp/hf.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in res.items()}
crun_net = med["crun"] - med.get("crun-wrapper", 0)
print(f"\n{'command':<14}{'median ms':>10}{'mean ms':>9}{'stddev':>8}{'x crun':>8}{'x floor':>9}")
for k, v in res.items():
    print(f"{k:<14}{med[k]:>10.2f}{v['mean']*1000:>9.2f}{v['stddev']*1000:>8.2f}"
          f"{med[k]/med['crun']:>8.2f}{med[k]/med['floor']:>9.2f}")
b = med["berth"]
print(f"\nberth / crun  = {b/med['crun']:.2f} (target <= 0.8); "
      f"vs crun minus its wrapper ({crun_net:.2f} ms) = {b/crun_net:.2f}")
print(f"berth / floor = {b/med['floor']:.2f} (target <= 2.5)")
PY

left=0
for r in berth runc crun; do
    n=$("${bins[$r]}" --root "$tmp/root-$r" list -q 2>/dev/null | wc -l)
    left=$((left + n))
done
echo "containers left behind: $left (all are deleted on exit)"
