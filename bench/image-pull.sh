#!/usr/bin/env bash
# Pull throughput and `images` listing time, berth vs podman and skopeo, in one run.
#
#   bench/image-pull.sh [RUNS]      (root; default 5 runs per command)
#
# Makes an image of 4 layers x 50 MiB of random data (gzip), pushes it with skopeo to
# Debian's docker-registry started here on 127.0.0.1 (its own storage dir and a free port),
# then times, in ONE hyperfine invocation, a cold pull by:
#   berth   berth --root R pull 127.0.0.1:PORT/bench:1         (R emptied before each run)
#   podman  podman --root P ... pull --tls-verify=false ...      (vfs storage, reset each run)
#   skopeo  skopeo copy docker://... oci:DIR                     (DIR emptied each run)
# and prints medians and MB/s (target: berth >= 1.5x podman). Then tags the image 200
# times in berth and podman and times `images` (target: berth <= 0.2x podman).
# Everything it makes is under one temp dir, removed at the end; the registry is
# stopped by PID.
set -euo pipefail
RUNS="${1:-${RUNS:-5}}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
BERTH="${BERTH:-$repo/target/release/berth}"
for t in hyperfine skopeo podman docker-registry python3; do
  command -v "$t" >/dev/null || { echo "image-pull.sh: $t is missing (apt-get install $t)" >&2; exit 1; }
done
[ -x "$BERTH" ] || (cd "$repo" && cargo build --release -p cli)
tmp=$(mktemp -d /tmp/berth-bench-pull.XXXXXX)
reg_pid=
cleanup() {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null || true
  podman "${PODMAN_ARGS[@]}" system reset -f >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $tmp/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null && break; sleep 0.1; done

# An OCI layout with 4 gzip layers of 50 MiB random data.
python3 - "$tmp/layout" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
os.makedirs(f"{out}/blobs/sha256", exist_ok=True)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return d
layers, diff_ids = [], []
for i in range(4):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        blob = os.urandom(50 * 1024 * 1024)
        info = tarfile.TarInfo(f"data{i}.bin"); info.size = len(blob)
        t.addfile(info, io.BytesIO(blob))
    raw = raw.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    gz = gzip.compress(raw, compresslevel=1)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + put(gz), "size": len(gz)})
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + put(config), "size": len(config)},
    "layers": layers}).encode()
md = put(manifest)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:" + md, "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1"}}]},
    open(f"{out}/index.json", "w"))
open(f"{out}/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
PY
skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/layout:1" "docker://127.0.0.1:$port/bench:1"
size_mb=$(du -sm "$tmp/layout/blobs" | cut -f1)

printf '[containers]\ndefault_ulimits = ["nofile=20000:20000","nproc=32768:32768"]\n' > "$tmp/containers.conf"
export CONTAINERS_CONF="$tmp/containers.conf"
PODMAN_ARGS=(--root "$tmp/podman/root" --runroot "$tmp/podman/run" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
ref="127.0.0.1:$port/bench:1"

hyperfine --warmup 1 --runs "$RUNS" --export-json "$tmp/pull.json" \
  -n berth --prepare "rm -rf $tmp/berth" "$BERTH --root $tmp/berth pull $ref" \
  -n podman --prepare "podman ${PODMAN_ARGS[*]} system reset -f >/dev/null 2>&1; true" "podman ${PODMAN_ARGS[*]} pull -q --tls-verify=false $ref" \
  -n skopeo --prepare "rm -rf $tmp/skopeo" "skopeo copy --quiet --src-tls-verify=false docker://$ref oci:$tmp/skopeo:1"

# 200 names on one image, then `images`.
"$BERTH" --root "$tmp/berth" pull -q "$ref" >/dev/null 2>&1 || "$BERTH" --root "$tmp/berth" pull "$ref" >/dev/null
podman "${PODMAN_ARGS[@]}" pull -q --tls-verify=false "$ref" >/dev/null
for i in $(seq 200); do
  "$BERTH" --root "$tmp/berth" tag "$ref" "bench/img$i:latest"
  podman "${PODMAN_ARGS[@]}" tag "$ref" "localhost/bench/img$i:latest"
done
hyperfine -N --warmup 3 --runs 20 --export-json "$tmp/images.json" \
  -n berth-images "$BERTH --root $tmp/berth images" \
  -n podman-images "podman ${PODMAN_ARGS[*]} images"

python3 - "$tmp/pull.json" "$tmp/images.json" "$size_mb" <<'PY'
import json, statistics, sys
pull = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
imgs = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[2]))["results"]}
mb = float(sys.argv[3])
print(f"\npull of {mb:.0f} MB (4 x 50 MiB gzip layers) from 127.0.0.1")
print(f"{'command':<10} {'median s':>9} {'MB/s':>8} {'x podman':>9}")
for k, t in pull.items():
    print(f"{k:<10} {t:9.2f} {mb / t:8.1f} {pull['podman'] / t:9.2f}")
b, p = imgs["berth-images"], imgs["podman-images"]
print(f"\nimages with 200 names: berth {b*1000:.1f} ms, podman {p*1000:.1f} ms, ratio {b/p:.2f} (target <= 0.2)")
print(f"pull: berth {pull['podman']/pull['berth']:.2f}x podman's throughput (target >= 1.5)")
PY
