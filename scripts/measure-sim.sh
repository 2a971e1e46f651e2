#!/usr/bin/env bash
# Measures the whole agent against the simulator running as its own process:
# samples/s (from /metrics), the agent's CPU (from /proc), its RSS and peak
# RSS, and, apart from it, the simulator's.
#
#   scripts/measure-sim.sh TAGS RATE SECONDS [jetstream|core]
#   scripts/measure-sim.sh 10000 100ms 30 core
#   EDGETAG=./bin/edgetag scripts/measure-sim.sh ...   (use a built binary)
#   MEMLIMIT=160MiB HEADERS='[opcua_node_id]' COMPRESSION=none DUPWIN=5s scripts/measure-sim.sh ...
#                                   (site memory_limit, nats.headers, nats.jetstream.compression
#                                    and duplicate_window; unset: the site defaults)
#   PORTS=29450,24840,24222 scripts/measure-sim.sh ...  (other ports)
#   HEAPPROFILE=heap.pb.gz scripts/measure-sim.sh ...  (also save the agent's heap profile)
#   RSS_TRACE=rss.tsv scripts/measure-sim.sh ...  (also write the agent's seconds since start,
#                                   RSS and Go heap in use, in MiB, every half second)
#   SIM_PORT=24840 NATS_PORT=24222 HTTP_PORT=29450 scripts/measure-sim.sh ...
#                                   (other ports, to run beside another measurement)
#   BROWSE_CP=5 [HIDE_BROWSE_LIMIT=1] scripts/measure-sim.sh ...
#                                   (the simulator allows 5 browse continuation points per
#                                   session, announced or not; above 5,000 tags they sit in
#                                   folders of 1,000)
#
# The simulator changes TAGS extra Double variables every RATE; the agent
# subscribes to all of them (publishing interval 100 ms) and runs the engine
# benchmark's config C, publishing to its embedded NATS server.
#
# With jetstream, measure for at least 150 seconds: the file store keeps each
# 8 MB block's per-subject state for two minutes after the block's last write,
# so the resident memory grows for the first two minutes of a steady rate. The
# line printed at the end gives the RSS at the end and its mean over the last
# minute of the measurement (or its second half, if shorter).
set -euo pipefail
tags=${1:-10000} rate=${2:-1s} secs=${3:-30} mode=${4:-core}
# PORTS=http,opcua,nats moves the listeners (runs side by side); HTTP_PORT, SIM_PORT and
# NATS_PORT set one each.
IFS=, read -r http_port opc_port nats_port <<<"${PORTS:-${HTTP_PORT:-19450},${SIM_PORT:-14840},${NATS_PORT:-14222}}"
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -n "${EDGETAG:-}" ]; then
  cp "$EDGETAG" "$work/edgetag"
else
  CGO_ENABLED=0 go build -trimpath -o "$work/edgetag" ./cmd/edgetag
fi

js=false; [ "$mode" = jetstream ] && js=true
cat > "$work/site.yaml" <<YAML
site: measure
state_dir: $work/state
log: {level: warn}
http: {listen: 127.0.0.1:$http_port, pprof: true}   # HEAPPROFILE reads /debug/pprof/heap
sources:
  - name: sim
    endpoint: opc.tcp://127.0.0.1:$opc_port
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
  conditions:
    - if: msg.meta.opcua_tag_name.startsWith("temp")
      then: msg.meta.virtual_path = "temperature"; return msg;
    - if: msg.payload > 100
      then: msg.meta.virtual_path = "alarm"; return msg;
    - if: msg.meta.opcua_tag_group === "axis"
      then: msg.payload = msg.payload * 2; return msg;
  advancedProcessing: |
    msg.payload = Math.round(msg.payload * 100) / 100; return msg;
nats:
  embedded: {listen: 127.0.0.1:$nats_port}
  jetstream: {enabled: $js${COMPRESSION:+, compression: $COMPRESSION}${DUPWIN:+, duplicate_window: $DUPWIN}}
${HEADERS:+  headers: $HEADERS}
${MEMLIMIT:+memory_limit: $MEMLIMIT}
YAML

simflags=()
[ -n "${BROWSE_CP:-}" ] && simflags+=(--browse-continuation-points "$BROWSE_CP")
[ -n "${HIDE_BROWSE_LIMIT:-}" ] && simflags+=(--hide-browse-limit)
"$work/edgetag" sim --listen 127.0.0.1:$opc_port --extra-tags "$tags" --rate "$rate" --cert-dir "$work/sim-pki" "${simflags[@]}" >"$work/sim.log" 2>&1 &
sim=$!
"$work/edgetag" run -c "$work/site.yaml" --show never >"$work/agent.log" 2>&1 &
agent=$!

if [ -n "${RSS_TRACE:-}" ]; then
  (t0=$(date +%s.%N)
   printf 'seconds\trss_mib\theap_inuse_mib\n'
   while kill -0 $agent 2>/dev/null; do
     heap=$(curl -s 127.0.0.1:$http_port/metrics | awk '$1 == "go_memstats_heap_inuse_bytes" {printf "%.0f", $2/1048576}') || heap=
     awk -v t0="$t0" -v t="$(date +%s.%N)" -v h="${heap:-}" '$1 == "VmRSS:" {printf "%.1f\t%.0f\t%s\n", t-t0, $2/1024, h}' /proc/$agent/status 2>/dev/null || break
     sleep 0.5
   done) >"$RSS_TRACE" &
fi
metric() { curl -s 127.0.0.1:$http_port/metrics | awk -v m="$1" '$1 ~ "^"m {s+=$2} END {printf "%d", s}'; }
cpu() { awk '{print $14+$15}' /proc/$agent/stat; }
kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; } # kib PID VmRSS|VmHWM

# Wait until every tag is subscribed and values flow.
start=$(date +%s)
for _ in $(seq 1 600); do
  for p in $agent $sim; do
    kill -0 "$p" 2>/dev/null || { echo "process $p ended early"; tail -n 5 "$work/agent.log" "$work/sim.log"; exit 1; }
  done
  nodes=$(metric edgetag_source_nodes) || nodes=0
  [ "${nodes:-0}" -ge "$tags" ] && [ "$(metric edgetag_nats_published_total)" -gt 0 ] && break
  sleep 1
done
echo "subscribed nodes: $(metric edgetag_source_nodes) after $(($(date +%s) - start)) s (browse $(curl -s 127.0.0.1:$http_port/metrics | awk '$1 ~ "^edgetag_source_browse_seconds" {print $2}') s, failed $(metric edgetag_source_failed_items), pending browse $(metric edgetag_source_browse_pending_nodes))"
sleep 5 # let the first burst settle
hz=$(getconf CLK_TCK)
s0=$(metric edgetag_source_samples_total) p0=$(metric edgetag_nats_published_total) c0=$(cpu) t0=$(date +%s.%N)
# Sample the agent's RSS once a second; the mean covers the last minute (or
# the second half of a shorter measurement).
tail_secs=$(( secs / 2 < 60 ? secs / 2 : 60 ))
rss_sum=0 rss_n=0
for ((i = 1; i <= secs; i++)); do
  sleep 1
  if (( i > secs - tail_secs )); then
    r=$(kib $agent VmRSS 2>/dev/null) || { echo "agent ended during the measurement"; tail -n 5 "$work/agent.log"; exit 1; }
    rss_sum=$((rss_sum + ${r:-0})) rss_n=$((rss_n + 1))
  fi
done
[ -n "${HEAPPROFILE:-}" ] && curl -s -o "$HEAPPROFILE" "127.0.0.1:$http_port/debug/pprof/heap?gc=1"
s1=$(metric edgetag_source_samples_total) p1=$(metric edgetag_nats_published_total) c1=$(cpu) t1=$(date +%s.%N)
awk -v s="$((s1-s0))" -v p="$((p1-p0))" -v c="$((c1-c0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" -v rss="$(kib $agent VmRSS)" -v hwm="$(kib $agent VmHWM)" -v srss="$(kib $sim VmRSS)" -v shwm="$(kib $sim VmHWM)" -v tags="$tags" -v rate="$rate" -v mode="$mode" -v rsum="$rss_sum" -v rn="$rss_n" -v rt="$tail_secs" 'BEGIN {
  dt = t1 - t0; cpu = c / hz
  printf "tags=%d rate=%s nats=%s: %.0f samples/s in, %.0f msgs/s published, agent CPU %.2f cores (%.2f us/sample), agent RSS %.0f MiB (mean of the last %d s %.0f MiB, peak %.0f MiB), simulator RSS %.0f MiB (peak %.0f MiB)\n",
    tags, rate, mode, s/dt, p/dt, cpu/dt, (s > 0 ? cpu*1e6/s : 0), rss/1024, rt, (rn > 0 ? rsum/rn/1024 : 0), hwm/1024, srss/1024, shwm/1024 }'
grep -iE '"level":"(error|fatal)"' "$work/agent.log" | head -5 || true
