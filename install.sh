#!/bin/sh
# Installs berth on a Debian 12 machine (as root) and runs a first container:
# system packages, a release build, the binaries into /usr/local/bin, the `busybox`
# image made from Debian's busybox-static (`berth import`, no registry needed), and
# `berth run --rm busybox echo hello` (on the default bridge `berth0`: libnftables1 for its
# NAT rules).
set -eu
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q build-essential pkg-config libseccomp-dev busybox-static procps libnftables1
if ! command -v cargo >/dev/null 2>&1; then
  echo "install.sh: cargo not found: install a Rust toolchain (rustup, Rust >= 1.80) and rerun" >&2
  exit 1
fi
cargo build --release --locked -p runtime-cli -p cli -p monitor
install -m 0755 target/release/berth-runtime target/release/berth target/release/berth-monitor /usr/local/bin/
if ! /usr/local/bin/berth image inspect busybox >/dev/null 2>&1; then
  fixtures/busybox-image.sh /usr/local/bin/berth
fi
/usr/local/bin/berth run --rm busybox echo hello
