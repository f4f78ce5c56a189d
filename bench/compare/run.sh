#!/usr/bin/env bash
# Side-by-side benchmark of `parityproof run` against `rclone check`
# (default mode and --fast-list) on the same data, server and latency.
#
#   bash bench/compare/run.sh                               # the full matrix: 100,000 objects, 3 rounds
#   bash bench/compare/run.sh -n 2000 -rounds 1             # a smoke run (a minute or two)
#   bash bench/compare/run.sh -cases "a:0 b:50 c:50:20000"  # chosen cases
#
# A case is WORKLOAD:DELAY_MS[:N]. Workloads (bench/compare/workload): a =
# 100 folders, b = one flat prefix, c = 100 folders with 10% of the target
# copies changed at the same size; each plants, per 2,000 keys, one key
# missing from the target, one changed copy and one extra key.
#
# For each workload and size: a fresh versitygw v1.8.0 (posix backend in a
# temporary folder, SigV4 signatures checked, connections kept alive) on loopback, seeded with a
# legacy and a target bucket; then for each delay, bench/compare/latencyproxy
# in front of it, and bench/compare/runner timing the tools through the
# proxy in interleaved rounds. The runner also reads the CPU time that
# versitygw and the proxy spend during each tool run (/proc/PID/stat): all
# three share the machine's cores, and the tables show how much of a wall
# time the server's work alone accounts for. Results go to
# OUT/results.jsonl and the tables to OUT/tables.md.
#
# Flags (or the environment variable in brackets):
#   -n N               objects per case without its own N [N, default 100000]
#   -rounds R          rounds per case [ROUNDS, default 3]
#   -cases "…"         cases [CASES, default "a:0 a:50 b:0 b:50 c:0 c:50"]
#   -tools "…"         comma-separated tools [TOOLS, default all three]
#   -out DIR           where results go [OUT, default a new /tmp/bench-compare.* folder]
# Environment: PARITYPROOF (a parityproof binary; default: built from this
# checkout), RCLONE and VERSITYGW (binaries; default: `go install` of rclone
# v1.76.0 and versitygw v1.8.0 into ${XDG_CACHE_HOME:-~/.cache}/parityproof/bin,
# reused when present — rclone takes minutes to build), PP_EXTRA_YAML (YAML
# appended to parityproof's configuration, e.g. 'run: {workers: 8}'),
# TIMEOUT (longest one tool run may take, default 1h).
set -euo pipefail

n=${N:-100000}
rounds=${ROUNDS:-3}
cases=${CASES:-"a:0 a:50 b:0 b:50 c:0 c:50"}
tools=${TOOLS:-}
out=${OUT:-}
while [[ $# -gt 0 ]]; do
	case "$1" in
	-n) n=$2; shift 2 ;;
	-rounds) rounds=$2; shift 2 ;;
	-cases) cases=$2; shift 2 ;;
	-tools) tools=$2; shift 2 ;;
	-out) out=$2; shift 2 ;;
	-h | -help | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (try -help)" >&2; exit 2 ;;
	esac
done

here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/bench-compare-work.XXXXXX)
if [[ -z "$out" ]]; then out=$(mktemp -d /tmp/bench-compare.XXXXXX); fi
mkdir -p "$out"
gw_pid="" proxy_pid="" child_pid=""

cleanup() {
	if [[ -n "$child_pid" ]]; then # the runner or the seeder: it stops its own children
		kill -TERM "$child_pid" 2>/dev/null || true
		wait "$child_pid" 2>/dev/null || true
	fi
	for pid in "$proxy_pid" "$gw_pid"; do
		if [[ -n "$pid" ]]; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fg runs a command in the background and waits for it, so that a signal
# reaches the trap at once rather than when the command ends.
fg() {
	"$@" &
	child_pid=$!
	local status=0
	wait "$child_pid" || status=$?
	child_pid=""
	return "$status"
}

bin=${XDG_CACHE_HOME:-$HOME/.cache}/parityproof/bin
install() { # install NAME MODULE@VERSION
	if [[ ! -x "$bin/$1" ]]; then
		echo "installing $2 into $bin" >&2
		GOBIN=$bin go install "$2"
	fi
}
versitygw=${VERSITYGW:-}
if [[ -z "$versitygw" ]]; then
	install versitygw github.com/versity/versitygw/cmd/versitygw@v1.8.0
	versitygw=$bin/versitygw
fi
rclone=${RCLONE:-}
if [[ -z "$rclone" ]]; then
	install rclone github.com/rclone/rclone@v1.76.0
	rclone=$bin/rclone
fi

mkdir -p "$work/bin"
(cd "$here" && go build -o "$work/bin/" ./bench/compare/latencyproxy ./bench/compare/seed ./bench/compare/runner)
parityproof=${PARITYPROOF:-}
if [[ -z "$parityproof" ]]; then
	(cd "$here" && go build -o "$work/bin/parityproof" ./cmd/parityproof)
	parityproof=$work/bin/parityproof
fi

export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3

{
	echo "# bench/compare on $(hostname), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# $("$rclone" version | head -1), versitygw $(go version -m "$versitygw" | awk '$1 == "mod" {print $3}'), $("$parityproof" version) ($(cd "$here" && git rev-parse --short HEAD))"
	echo "# cases: $cases; default N $n; rounds $rounds"
} | tee -a "$out/machine.txt"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_gw() { # start_gw DIR: a fresh versitygw over DIR; sets gw_pid and direct
	mkdir -p "$1/root" "$1/meta"
	local port
	port=$(free_port)
	# --keep-alive: S3 keeps a connection for the next request; versitygw
	# v1.8.0 closes it after every answer unless told, which made each HEAD
	# a new TCP connection for the server, the proxy and the tool.
	"$versitygw" --access "$AWS_ACCESS_KEY_ID" --secret "$AWS_SECRET_ACCESS_KEY" --port "127.0.0.1:$port" --quiet --keep-alive \
		posix --sidecar "$1/meta" "$1/root" >"$1/gw.log" 2>&1 &
	gw_pid=$!
	direct=http://127.0.0.1:$port
	for _ in $(seq 100); do
		if curl -s -o /dev/null "$direct/"; then return 0; fi
		if ! kill -0 "$gw_pid" 2>/dev/null; then cat "$1/gw.log" >&2; return 1; fi
		sleep 0.1
	done
	echo "versitygw did not answer on $direct" >&2
	return 1
}

stop() { # stop PID: SIGKILL and reap
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

start_proxy() { # start_proxy DELAY_MS: sets proxy_pid and proxy
	rm -f "$work/proxy.addr"
	"$work/bin/latencyproxy" -upstream "$direct" -delay "${1}ms" -addr-file "$work/proxy.addr" >>"$work/proxy.log" 2>&1 &
	proxy_pid=$!
	for _ in $(seq 100); do
		if [[ -s "$work/proxy.addr" ]]; then
			proxy=$(cat "$work/proxy.addr")
			return 0
		fi
		if ! kill -0 "$proxy_pid" 2>/dev/null; then cat "$work/proxy.log" >&2; return 1; fi
		sleep 0.05
	done
	echo "latencyproxy did not start" >&2
	return 1
}

# Group the cases by workload and size, in the order given, so that each
# data set is seeded once and measured at each of its delays.
declare -A delays=()
groups=()
for c in $cases; do
	IFS=: read -r w d cn <<<"$c"
	cn=${cn:-$n}
	if [[ -z "$w" || -z "$d" || ! "$d" =~ ^[0-9]+$ || ! "$cn" =~ ^[0-9]+$ ]]; then
		echo "run.sh: case \"$c\" is not WORKLOAD:DELAY_MS[:N]" >&2
		exit 2
	fi
	g="$w:$cn"
	if [[ -z "${delays[$g]+set}" ]]; then
		groups+=("$g")
		delays[$g]=""
	fi
	delays[$g]+=" $d"
done

runner_flags=(-parityproof "$parityproof" -rclone "$rclone" -rounds "$rounds" -timeout "${TIMEOUT:-1h}" -results "$out/results.jsonl")
if [[ -n "$tools" ]]; then runner_flags+=(-tools "$tools"); fi
if [[ -n "${PP_EXTRA_YAML:-}" ]]; then runner_flags+=(-pp-extra-yaml "$PP_EXTRA_YAML"); fi
describe() { case "$1" in a) echo "100 folders" ;; b) echo "one flat prefix" ;; c) echo "100 folders, 10% changed" ;; *) echo "$1" ;; esac; }

for g in "${groups[@]}"; do
	IFS=: read -r w cn <<<"$g"
	data=$work/data-$w-$cn
	start_gw "$data"
	legacy=$w-$cn-legacy target=$w-$cn-target
	echo "== workload $w ($(describe "$w")), $cn objects: seeding versitygw at $direct" >&2
	fg "$work/bin/seed" -endpoint "$direct" -workload "$w" -n "$cn" -legacy "$legacy" -target "$target" -expect "$data/expect.json"
	sync # the seeded files' writeback is not charged to the first tool measured
	for d in ${delays[$g]}; do
		start_proxy "$d"
		echo "== workload $w, $cn objects, $d ms per request, $rounds rounds" >&2
		fg "$work/bin/runner" "${runner_flags[@]}" -proxy "$proxy" -direct "$direct" \
			-workload "$w" -describe "$(describe "$w")" -n "$cn" -delay-ms "$d" \
			-legacy "$legacy" -target "$target" -expect "$data/expect.json" -work "$work/run-$w-$cn-$d" \
			-server-pid "$gw_pid" -proxy-pid "$proxy_pid"
		stop "$proxy_pid"
		proxy_pid=""
	done
	stop "$gw_pid"
	gw_pid=""
	rm -rf "$data"
done

"$work/bin/runner" -table "$out/results.jsonl" >"$out/tables.md"
echo
cat "$out/tables.md"
echo
echo "results: $out/results.jsonl, tables: $out/tables.md, machine: $out/machine.txt" >&2
