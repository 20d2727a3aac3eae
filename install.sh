#!/bin/sh
# Installs berth on a Debian 12 machine (as root) and runs a first container:
# system packages, a release build, the binaries into /usr/local/bin, a busybox
# bundle made from Debian's busybox-static, and `berth-runtime run` of it.
set -eu
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q build-essential pkg-config libseccomp-dev busybox-static procps
if ! command -v cargo >/dev/null 2>&1; then
  echo "install.sh: cargo not found: install a Rust toolchain (rustup, Rust >= 1.80) and rerun" >&2
  exit 1
fi
cargo build --release --locked -p runtime-cli -p cli
install -m 0755 target/release/berth-runtime target/release/berth /usr/local/bin/
demo=$(mktemp -d /tmp/berth-demo.XXXXXX)
fixtures/busybox-bundle.sh "$demo" /usr/local/bin/berth-runtime -- echo "hello from a berth container"
/usr/local/bin/berth-runtime run --bundle "$demo" "demo-$$"
rm -rf "$demo"
