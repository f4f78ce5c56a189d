#!/usr/bin/env bash
# S3 listing benchmark: installs versitygw (a Go S3 server that checks
# request signatures), starts it on a free loopback port over a temporary
# posix directory, seeds N objects (default 100000), and lists them through
# pkg/inventory/s3 with bench/s3list, printing objects/s and peak memory.
#
#   bash bench/s3-listing.sh [N]
#
# Environment: VERSITYGW (a versitygw binary; default: go install
# github.com/versity/versitygw/cmd/versitygw@v1.8.0 into a cache folder),
# RUNS (listings to time, default 3), PAGE (page size, default 1000).
set -euo pipefail

n=${1:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
gw_pid=""
cleanup() {
	if [[ -n "$gw_pid" ]]; then
		kill -KILL "$gw_pid" 2>/dev/null || true
		wait "$gw_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

gw=${VERSITYGW:-}
if [[ -z "$gw" ]]; then
	bin=${XDG_CACHE_HOME:-$HOME/.cache}/parityproof/bin
	gw=$bin/versitygw
	if [[ ! -x "$gw" ]]; then
		echo "installing versitygw v1.8.0 into $bin" >&2
		GOBIN=$bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
	fi
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/root" "$work/meta"
export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN
"$gw" --access "$AWS_ACCESS_KEY_ID" --secret "$AWS_SECRET_ACCESS_KEY" --port "127.0.0.1:$port" --quiet \
	posix --sidecar "$work/meta" "$work/root" >"$work/gw.log" 2>&1 &
gw_pid=$!
for _ in $(seq 100); do
	if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
	if ! kill -0 "$gw_pid" 2>/dev/null; then cat "$work/gw.log" >&2; exit 1; fi
	sleep 0.1
done

go build -o "$work/s3list" "$here/bench/s3list"
endpoint=http://127.0.0.1:$port
echo "seeding $n objects into versitygw at $endpoint" >&2
"$work/s3list" -endpoint "$endpoint" -bucket bench -seed "$n"
echo "listing (GOMAXPROCS=$(nproc), $(nproc) cores)" >&2
"$work/s3list" -endpoint "$endpoint" -bucket bench -runs "${RUNS:-3}" -page "${PAGE:-1000}"
