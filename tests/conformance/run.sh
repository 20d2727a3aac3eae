#!/usr/bin/env bash
# Run the OCI runtime-tools validation suite (validation/*/*.t, TAP) against an OCI runtime.
#
#   tests/conformance/run.sh [RUNTIME_TOOLS_DIR]
#
# RUNTIME_TOOLS_DIR (or $1): a checkout of github.com/opencontainers/runtime-tools. The script
#   checks out commit 260e151 (the newest that builds with Debian 12's Go 1.19) in it and
#   builds runtimetest and the 58 validation programs offline from its vendor directory.
# RUNTIME: the runtime binary (default: this repo's target/debug/berth-runtime). It is called
#   with no extra arguments, so wrap runtimes that need flags or a special environment in a
#   script (see tests/conformance/RESULTS.md for the crun wrapper).
# TEST_TIMEOUT: seconds allowed per test program (default 120).
# ONLY: optional space-separated list of test names (e.g. "hostname kill") to run.
#
# Prints, per test program, its TAP totals, then a final line `N passed, N failed` (TAP test
# points, over all programs). Without a checkout it says it was skipped and exits 0: the suite
# is not vendored in this repository and CI cannot fetch it.
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
rt_dir="${1:-${RUNTIME_TOOLS_DIR:-}}"
RUNTIME="${RUNTIME:-$repo/target/debug/berth-runtime}"
TEST_TIMEOUT="${TEST_TIMEOUT:-120}"
COMMIT=260e151

if [[ -z "$rt_dir" || ! -d "$rt_dir/validation" ]]; then
    echo "conformance: skipped: no opencontainers/runtime-tools checkout" \
        "(pass its path as \$1 or RUNTIME_TOOLS_DIR)"
    exit 0
fi
if [[ $EUID -ne 0 ]]; then
    echo "conformance: skipped: the validation suite creates containers and needs root"
    exit 0
fi
if ! command -v go >/dev/null; then
    echo "conformance: go not found; installing golang-go" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2 || {
        echo "conformance: skipped: no Go toolchain (apt-get install golang-go failed)"
        exit 0
    }
fi
RUNTIME="$(command -v "$RUNTIME" || echo "$RUNTIME")"
if [[ ! -x "$RUNTIME" ]]; then
    echo "conformance: runtime $RUNTIME is not executable (cargo build --workspace?)" >&2
    exit 1
fi

rt_dir="$(cd "$rt_dir" && pwd)"
cd "$rt_dir"
if [[ "$(git rev-parse --short=7 HEAD 2>/dev/null)" != "$COMMIT" ]]; then
    git checkout -q "$COMMIT" || { echo "conformance: cannot check out $COMMIT" >&2; exit 1; }
fi

# Build offline from vendor/, with a private GOPATH and cache.
gotmp="$(mktemp -d /tmp/berth-conformance-go.XXXXXX)"
trap 'rm -rf "$gotmp"' EXIT
export GOPATH="$gotmp/gopath" GOCACHE="$gotmp/cache" GOFLAGS=-mod=vendor GOPROXY=off \
    GO111MODULE=on CGO_ENABLED=0 GOTOOLCHAIN=local
mapfile -t tests < <(find ./validation/ -name '*.go' | grep -v util | sed 's/\.go$//' | sort)
needs_build=0
for t in runtimetest "${tests[@]}"; do [[ -x "$t.t" || ( $t == runtimetest && -x $t ) ]] || needs_build=1; done
if [[ $needs_build == 1 || -n "${REBUILD:-}" ]]; then
    echo "conformance: building runtimetest and ${#tests[@]} validation programs with $(go version)" >&2
    go build -tags "netgo osusergo" -ldflags "-extldflags -static" -o runtimetest ./cmd/runtimetest \
        || { echo "conformance: building runtimetest failed" >&2; exit 1; }
    for t in "${tests[@]}"; do
        go build -o "$t.t" "$t.go" || { echo "conformance: building $t failed" >&2; exit 1; }
    done
fi

only=" ${ONLY:-} "
logdir="${LOG_DIR:-$(mktemp -d /tmp/berth-conformance-logs.XXXXXX)}"
mkdir -p "$logdir"
total_pass=0 total_fail=0 programs=0 broken=0
printf '%-45s %6s %6s %6s %s\n' "test" "pass" "fail" "skip" "note"
for t in "${tests[@]}"; do
    name="${t#./validation/}"
    [[ "$only" == "  " || "$only" == *" $name "* || "$only" == *" ${name%%/*} "* ]] || continue
    log="$logdir/${name//\//_}.tap"
    RUNTIME="$RUNTIME" timeout -k 5 "$TEST_TIMEOUT" "$t.t" >"$log" 2>"$log.stderr"
    rc=$?
    # TAP: "ok N ..." / "not ok N ..."; "# SKIP" and "# TODO" directives count as skips.
    pass=$(grep -E '^ok [0-9]+' "$log" | grep -vciE '# *(skip|todo)')
    skip=$(grep -E '^(not )?ok [0-9]+' "$log" | grep -ciE '# *(skip|todo)')
    fail=$(grep -E '^not ok [0-9]+' "$log" | grep -vciE '# *(skip|todo)')
    plan=$(grep -oE '^1\.\.[0-9]+' "$log" | head -1 | cut -d. -f3)
    note=""
    # A program that dies before finishing its plan counts as one extra failure.
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then note="timeout"; fail=$((fail + 1))
    elif [[ -z "$plan" && $rc -eq 0 && $name == *_fail/* ]]; then
        # *_fail programs give a config the runtime MUST reject; their verdict is the exit
        # status (0: the runtime refused it), with no TAP output.
        note="runtime rejected the config as required"; pass=$((pass + 1))
    elif [[ -z "$plan" ]]; then note="no TAP plan (rc=$rc): $(head -c 120 "$log.stderr" | tr '\n' ' ')"; fail=$((fail + 1))
    elif [[ $plan -eq 0 ]] && grep -q '"error"' "$log"; then note="aborted: 1..0 with error"; fail=$((fail + 1))
    elif (( pass + skip + fail < plan )); then note="stopped after $((pass + skip + fail))/$plan"; fail=$((fail + 1))
    elif [[ $rc -ne 0 ]]; then
        # util.Fatal: the program gave up (or, for *_fail, the runtime accepted a bad config).
        note="exit $rc: $(tail -c 160 "$log.stderr" | tr '\n' ' ')"; fail=$((fail + 1)); fi
    printf '%-45s %6d %6d %6d %s\n' "$name" "$pass" "$fail" "$skip" "$note"
    total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail))
    programs=$((programs + 1)); (( fail > 0 )) && broken=$((broken + 1))
done
echo "runtime: $RUNTIME; programs: $programs, $broken with failures; TAP logs in $logdir"
# Some runtimes leave host mounts behind (runc's linux_ns_itype runs without a mount
# namespace and never unmounts the bundle); say so rather than leak silently.
leaked=$(awk '$5 ~ /\/ocitest[0-9]+/ {print $5}' /proc/self/mountinfo | sort -u)
if [[ -n "$leaked" ]]; then
    echo "warning: mounts left in the host mount namespace (umount -R -l them):" >&2
    echo "$leaked" >&2
fi
echo "$total_pass passed, $total_fail failed"
