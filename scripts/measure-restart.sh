#!/usr/bin/env bash
# Measures recovery after a server restart: the simulator runs as its own
# process with TAGS changing variables; the agent (default settings apart
# from the 100 ms publishing interval of scripts/measure-sim.sh, core NATS)
# subscribes to all of them and publishes to its embedded NATS server. Once
# the agent
# delivers at full rate, the simulator is killed (SIGKILL) and started again
# on the same port, RESTARTS times. For every restart it prints the seconds
# from the new simulator accepting connections to the agent's log lines
# (connected, nodes resolved, subscribed) and to full rate (the first
# one-second window with at least 95% of the offered changes), and the
# agent's RSS and peak RSS (VmHWM) before the first and after every
# restart.
#
#   scripts/measure-restart.sh TAGS RATE RESTARTS
#   scripts/measure-restart.sh 100000 2s 2
#   EDGETAG=./bin/edgetag scripts/measure-restart.sh ...   (use a built binary)
set -euo pipefail
tags=${1:-100000} rate=${2:-2s} restarts=${3:-2}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT
if [ -n "${EDGETAG:-}" ]; then
  cp "$EDGETAG" "$work/edgetag"
else
  CGO_ENABLED=0 go build -trimpath -o "$work/edgetag" ./cmd/edgetag
fi

cat > "$work/site.yaml" <<YAML
site: measure
state_dir: $work/state
log: {level: info, format: json}
http: {listen: 127.0.0.1:19451}
sources:
  - name: sim
    endpoint: opc.tcp://127.0.0.1:14841
    security: {policy: None, mode: None}
    publishing_interval: 100ms
    sampling_interval: 100ms
    queue_size: 10
    nodes:
      - id: "nsu=urn:edgetag:sim;s=Plant.Scale"
        max_nodes: 1000000
tag_processor:
  defaults: |
    msg.meta.location_path = "enterprise.site.area.line"; msg.meta.data_contract = "_historian"; msg.meta.tag_name = msg.meta.opcua_tag_name; return msg;
nats:
  embedded: {listen: 127.0.0.1:14223}
  jetstream: {enabled: false}
YAML

startsim() {
  "$work/edgetag" sim --listen 127.0.0.1:14841 --extra-tags "$tags" --rate "$rate" --cert-dir "$work/sim-pki" >>"$work/sim.log" 2>&1 &
  sim=$!
  for _ in $(seq 1 600); do
    (exec 3<>/dev/tcp/127.0.0.1/14841) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "simulator did not start"; exit 1
}
metric() { curl -s 127.0.0.1:19451/metrics | awk -v m="$1" '$1 ~ "^"m {s+=$2} END {printf "%d", s}'; }
kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
rateS=$(awk -v r="$rate" 'BEGIN {v = r + 0; if (r ~ /ms$/) v /= 1000; else if (r ~ /m$/) v *= 60; print v}')
full=$(awk -v t="$tags" -v r="$rateS" 'BEGIN {printf "%d", 0.95 * t / r}')

# waitfull T0: waits until a one-second window delivers at least $full
# samples and prints the seconds since T0.
waitfull() {
  local prev t p
  prev=$(metric edgetag_source_samples_total)
  for _ in $(seq 1 900); do
    sleep 1
    kill -0 "$agent" 2>/dev/null || { echo "agent ended"; tail -n 5 "$work/agent.log"; exit 1; }
    t=$(now); p=$(metric edgetag_source_samples_total)
    if [ $((p - prev)) -ge "$full" ]; then secs "$1" "$t"; return 0; fi
    prev=$p
  done
  echo "never"
}

# logtime MSG FROM: seconds from FROM (epoch) to the first agent log line
# with that message after FROM.
logtime() {
  awk -v m="\"message\":\"$1" -v from="$2" 'index($0, m) {
      match($0, /"time":"[^"]*"/); ts = substr($0, RSTART + 8, RLENGTH - 9)
      gsub(/[-T:Z]/, " ", ts); split(ts, a, " ")
      frac = 0; if (match(a[6], /\./)) { frac = substr(a[6], RSTART) + 0 }
      e = mktime(a[1] " " a[2] " " a[3] " " a[4] " " a[5] " " int(a[6])) + frac
      if (e >= from - 0.5) { printf "%.1f", e - from; exit } }' "$work/agent.log"
}

startsim
t0=$(now)
TZ=UTC "$work/edgetag" run -c "$work/site.yaml" --show never >"$work/agent.log" 2>&1 &
agent=$!
echo "first start: full rate ($full samples/s) after $(waitfull "$t0") s (subscribed after $(TZ=UTC logtime subscribed "$t0") s); agent RSS $(($(kib $agent VmRSS) / 1024)) MiB, peak $(($(kib $agent VmHWM) / 1024)) MiB"
sleep 10
echo "steady: agent RSS $(($(kib $agent VmRSS) / 1024)) MiB, peak $(($(kib $agent VmHWM) / 1024)) MiB"
for i in $(seq 1 "$restarts"); do
  kill -9 "$sim"; wait "$sim" 2>/dev/null || true
  sleep 2
  startsim
  t0=$(now)
  f=$(waitfull "$t0")
  echo "restart $i: connected $(TZ=UTC logtime connected "$t0") s, nodes resolved $(TZ=UTC logtime "nodes resolved" "$t0") s, subscribed $(TZ=UTC logtime subscribed "$t0") s, full rate $f s; agent RSS $(($(kib $agent VmRSS) / 1024)) MiB, peak $(($(kib $agent VmHWM) / 1024)) MiB"
  sleep 10
  echo "restart $i + 10 s: agent RSS $(($(kib $agent VmRSS) / 1024)) MiB"
done
grep -iE '"level":"(error|fatal)"' "$work/agent.log" | head -5 || true
