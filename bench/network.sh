#!/bin/bash
# Networking against podman in one run (issue #6's bench):
#   1. `run --rm busybox true` on the default bridge: berth vs podman (netavark bridge),
#      with berth's `--network none` as a reference. Target: berth <= 0.1x podman.
#   2. TCP throughput container -> container over berth's bridge vs the same sender and
#      receiver (busybox `dd | nc` into `nc -l`) in two namespaces joined by a plain veth
#      pair. Target: within 10%.
# Usage: bench/network.sh [RUNS] [MIB]   (as root; hyperfine, podman from Debian)
#
# The whole bench runs in a private network namespace (the script re-executes itself under
# `unshare --net`): berth's bridge and nft table, podman's bridge, its iptables chains and
# its ip_forward=1 all live and die there; the host's interfaces, routes, firewall and
# sysctls are never touched. docker is left out: it needs its daemon started by hand.
set -euo pipefail
if [ -z "${BERTH_BENCH_NETNS:-}" ]; then
  exec env BERTH_BENCH_NETNS=1 unshare --net "$0" "$@"
fi
runs=${1:-20}
mib=${2:-512}
repo=$(cd "$(dirname "$0")/.." && pwd)
for t in hyperfine podman python3 nsenter busybox ip pgrep; do
  command -v "$t" >/dev/null || { echo "network.sh: $t is missing" >&2; exit 1; }
done
ip link set lo up
(cd "$repo" && cargo build --release --locked -p cli -p monitor -p runtime-cli >/dev/null 2>&1)
BERTH="$repo/target/release/berth"
tmp=$(mktemp -d /tmp/berth-bench-net.XXXXXX)
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000","nproc=32768:32768"]\n' > "$tmp/containers.conf"
export CONTAINERS_CONF="$tmp/containers.conf"
export BERTH_CONFIG="$tmp/daemon.json"
echo '{"bridge": "bbench0"}' > "$BERTH_CONFIG"
PODMAN=(podman --root "$tmp/podman/root" --runroot "$tmp/podman/run" --storage-driver overlay --cgroup-manager cgroupfs --events-backend file --runtime runc)
B=("$BERTH" --root "$tmp/berth")
pids=()
# Ends a process and everything it started, by PID.
killtree() {
  local c
  for c in $(pgrep -P "$1"); do killtree "$c"; done
  kill "$1" 2>/dev/null || true
}
cleanup() {
  "${B[@]}" rm -f $("${B[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  "${PODMAN[@]}" rm -af >/dev/null 2>&1 || true
  "${PODMAN[@]}" system reset -f >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do killtree "$p"; done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$repo/fixtures/busybox-bundle.sh" "$tmp/bundle" "$repo/target/release/berth-runtime" >/dev/null
tar -C "$tmp/bundle/rootfs" -cf "$tmp/rootfs.tar" .
"${B[@]}" import --change 'CMD ["sh"]' "$tmp/rootfs.tar" busybox:latest >/dev/null
"${PODMAN[@]}" import -q "$tmp/rootfs.tar" localhost/busybox:latest >/dev/null

# 1. Start latency on the default bridge.
hyperfine -N -w 5 -r "$runs" --export-json "$tmp/run.json" \
  -n berth-bridge "${B[*]} run --rm busybox true" \
  -n podman-bridge "${PODMAN[*]} run --rm localhost/busybox true" \
  -n berth-none "${B[*]} run --rm --network none busybox true"

# 2. Throughput. `busybox time` around the sender, inside the sender's namespace, on both
# sides; the receiver's stdin is a sleep so it keeps reading until the sender closes.
send="busybox dd if=/dev/zero bs=64k count=$((mib * 16)) 2>/dev/null"
seconds() { python3 -c 'import re,sys; m=re.search(r"real\s+(\d+)m\s*([\d.]+)s", sys.stdin.read()); print(int(m.group(1))*60+float(m.group(2)))'; }
# Runs a timed sender until it connects (the listener may not be up yet): its seconds.
timed() {
  local out
  for _ in $(seq 1 50); do
    if out=$("$@" 2>&1); then
      echo "$out" | seconds
      return
    fi
    sleep 0.1
  done
  echo "network.sh: the sender never connected: $out" >&2
  exit 1
}

"${B[@]}" run -d --name rx busybox sleep 1000 >/dev/null
"${B[@]}" run -d --name tx busybox sleep 1000 >/dev/null
rx_ip=$("${B[@]}" inspect -f '{{.NetworkSettings.IPAddress}}' rx)
berth_rates=()
for i in 1 2 3; do
  port=$((5100 + i))
  "${B[@]}" exec -d rx sh -c "sleep 600 | nc -l -p $port > /dev/null"
    s=$(timed "${B[@]}" exec tx sh -c "time sh -c '${send/busybox /} | nc $rx_ip $port'")
  berth_rates+=("$(python3 -c "print($mib / $s)")")
done

unshare --net sleep 1000 & pa=$!
unshare --net sleep 1000 & pb=$!
pids+=("$pa" "$pb")
sleep 0.2
ip link add bbench-a type veth peer name bbench-b
ip link set bbench-a netns "/proc/$pa/ns/net"
ip link set bbench-b netns "/proc/$pb/ns/net"
nsenter -t "$pa" -n sh -c 'ip link set lo up; ip addr add 10.250.0.1/24 dev bbench-a; ip link set bbench-a up'
nsenter -t "$pb" -n sh -c 'ip link set lo up; ip addr add 10.250.0.2/24 dev bbench-b; ip link set bbench-b up'
veth_rates=()
for i in 1 2 3; do
  port=$((5200 + i))
  nsenter -t "$pb" -n sh -c "sleep 600 | busybox nc -l -p $port > /dev/null" >/dev/null 2>&1 &
  pids+=("$!")
    s=$(timed nsenter -t "$pa" -n busybox time sh -c "$send | busybox nc 10.250.0.2 $port")
  veth_rates+=("$(python3 -c "print($mib / $s)")")
done

python3 - "$tmp/run.json" "${berth_rates[*]}" "${veth_rates[*]}" <<'PY'
import json, statistics, sys
run = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
b, p, n = (run[k]["median"] for k in ("berth-bridge", "podman-bridge", "berth-none"))
print(f"run --rm true, default bridge: berth {b*1000:.1f} ms, podman {p*1000:.1f} ms "
      f"-> {b/p:.3f}x podman (target <= 0.1); berth --network none {n*1000:.1f} ms")
br = statistics.median(float(x) for x in sys.argv[2].split())
vr = statistics.median(float(x) for x in sys.argv[3].split())
print(f"TCP container->container: berth bridge {br:.0f} MiB/s, plain veth pair {vr:.0f} MiB/s "
      f"-> {br/vr:.3f} (target >= 0.90)")
PY
