#!/usr/bin/env bash
# Runs the hostile scripts of the engine's limits through the real binary
# and reports, per script, the wall time and peak RSS of `edgetag process`
# (two input lines: the first triggers the script, the second must still
# be published), the failure reason and the number of messages written;
# then the wall time and peak RSS of `edgetag check` on deeply nested
# snippets; then how long `edgetag run` takes to exit on SIGTERM while a
# script keeps getting stuck in a regular expression, and its exit code.
#
#   scripts/measure-hostile.sh
#   EDGETAG=./bin/edgetag scripts/measure-hostile.sh   (use a built binary)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -n "${EDGETAG:-}" ]; then
  cp "$EDGETAG" "$work/edgetag"
else
  CGO_ENABLED=0 go build -trimpath -o "$work/edgetag" ./cmd/edgetag
fi
bin=$work/edgetag

site() { # site FILE SNIPPET [TIMEOUT]: a site whose defaults run SNIPPET on payload 1
  {
    echo "site: hostile"
    echo "simulator: {}"
    echo "tag_processor:"
    echo "  timeout: ${3:-100ms}"
    echo "  defaults: |"
    echo '    msg.meta.location_path = "acme.test"; msg.meta.data_contract = "_raw"; msg.meta.tag_name = "t";'
    echo "    if (msg.payload === 1) {"
    echo "      $2"
    echo "    }"
    echo "    return msg;"
  } > "$1"
}

printf '%-34s %8s %10s  %-8s %-22s %s\n' case seconds peak_MiB reason limit messages
run_case() { # run_case NAME SNIPPET [TIMEOUT]
  site "$work/s.yaml" "$2" "${3:-}"
  printf '{"payload":1}\n{"payload":2}\n' > "$work/in.jsonl"
  /usr/bin/time -f '%e %M' -o "$work/time" "$bin" process -c "$work/s.yaml" -i "$work/in.jsonl" \
    > "$work/out" 2> "$work/err" || true
  read -r secs kib < <(tail -1 "$work/time")
  reason=$(grep -o '"reason":"[a-z_]*"' "$work/err" | head -1 | cut -d'"' -f4 || true)
  limit=$(grep -o 'limit [a-z_]*' "$work/err" | head -1 | cut -d' ' -f2 || true)
  printf '%-34s %8s %10d  %-8s %-22s %s\n' "$1" "$secs" $((kib / 1024)) "${reason:--}" "${limit:--}" "$(wc -l < "$work/out")"
}
run_case "fan-out length 2^32-1"        'var a = []; a.length = 4294967295; a[0] = msg; return a;'
run_case "fan-out length 1e8"           'var a = []; a.length = 1e8; a[0] = msg; return a;'
run_case "new Array(5e7).fill(0)"       'new Array(5e7).fill(0);'
run_case "new Array(2e8).fill(0)"       'new Array(2e8).fill(0);'
run_case '"x".repeat(1<<30)'            'msg.payload = "x".repeat(1 << 30);'
run_case "sparse payload length 1e8"    'var a = []; a.length = 1e8; msg.payload = a;'
run_case "payload 1e9 bytes of arrays"  'var a = []; for (var i = 0; i < 1000; i++) a.push("x".repeat(1000)); var b = []; for (var i = 0; i < 1000; i++) b.push(a); msg.payload = b;'
run_case "cache 40 x 2 MB (timeout 10s)" 'for (var i = 0; i < 40; i++) cache.set("k" + i, "x".repeat(2000000));' 10s
run_case "throw {toString: endless}"    'throw {toString: function() { for (;;) {} }};'
run_case "regex backtracking (stuck)"   '/^(a+)+\1$/.test("a".repeat(26) + "b");'

printf '\n%-34s %8s %10s  %s\n' "check of a nested snippet" seconds peak_MiB result
check_case() { # check_case NAME OPEN CLOSE N
  python3 -c "import sys; n=int(sys.argv[3]); print('site: hostile\nsimulator: {}\ntag_processor:\n  defaults: |\n    var z = ' + sys.argv[1]*n + '1' + sys.argv[2]*n + ';\n    return msg;')" "$2" "$3" "$4" > "$work/n.yaml"
  /usr/bin/time -f '%e %M' -o "$work/time" "$bin" check -c "$work/n.yaml" > "$work/out" 2>&1 || true
  read -r secs kib < <(tail -1 "$work/time")
  printf '%-34s %8s %10d  %s\n' "$1" "$secs" $((kib / 1024)) "$(head -c 110 "$work/out" | tr '\n' ' ')"
}
check_case "1,000,000 parentheses" "(" ")" 1000000
check_case "100,000 parentheses" "(" ")" 100000

# SIGTERM while a script keeps getting stuck: every Temperature sample of
# the simulator runs a regular expression that backtracks for seconds.
cat > "$work/run.yaml" <<YAML
site: hostile
state_dir: $work/state
log: {level: warn}
http: {listen: 127.0.0.1:19473}
simulator: {listen: 127.0.0.1:14873, rate: 100ms}
sources:
  - name: sim
    endpoint: opc.tcp://127.0.0.1:14873
    security: {policy: None, mode: None}
    publishing_interval: 100ms
    sampling_interval: 100ms
    nodes: [{id: "nsu=urn:edgetag:sim;s=Plant", include: ["Line*/**"], max_depth: 4}]
shutdown_timeout: 3s
nats: {embedded: {listen: 127.0.0.1:14273}}
tag_processor:
  defaults: |
    if (msg.meta.opcua_tag_name === "Temperature") { /^(a+)+\1\$/.test("a".repeat(30) + "b"); }
    msg.meta.location_path = "acme.test"; msg.meta.data_contract = "_raw"; msg.meta.tag_name = msg.meta.opcua_tag_name;
    return msg;
YAML
"$bin" run -c "$work/run.yaml" > "$work/run.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  kill -0 $pid 2>/dev/null || { echo "edgetag run ended early:"; tail -n 5 "$work/run.log"; exit 1; }
  if curl -fsS http://127.0.0.1:19473/metrics 2>/dev/null | grep -q '^edgetag_engine_stuck_runtimes{[^}]*} [1-9]'; then break; fi
  sleep 0.1
done
published=$(curl -fsS http://127.0.0.1:19473/metrics | grep '^edgetag_pipeline_published_total' | awk '{print $2}')
start=$(date +%s.%N)
kill -TERM $pid
code=0; wait $pid || code=$?
end=$(date +%s.%N)
printf '\nrun: SIGTERM with a runtime stuck (shutdown_timeout 3s): exited after %.2f s with code %d (%s messages published before)\n' \
  "$(echo "$end - $start" | bc)" "$code" "$published"
grep -o '"message":"[^"]*shutdown[^"]*"' "$work/run.log" | sort | uniq -c || true
