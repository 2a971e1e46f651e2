#!/usr/bin/env bash
# Sums a heap profile of the agent by part: the embedded nats-server's
# per-block subject state (fss), its stream subject index (psim), the
# duplicate window's ids, its block buffers, the rest of nats-server, the
# engine, the OPC UA client, the sink, and everything else. Each sampled
# stack counts once, in the first part that matches it. Heap profiles are
# sampled: parts of a few MB are approximate.
#
#   HEAPPROFILE=heap.pb.gz scripts/measure-sim.sh 100000 10s 170 jetstream
#   scripts/heap-parts.sh heap.pb.gz
set -euo pipefail
go tool pprof -traces -sample_index=inuse_space "${1:?usage: heap-parts.sh PROFILE}" 2>/dev/null | awk '
/^-----------/ { if (bytes != "") add(); bytes = ""; stack = ""; next }
# The first line of a stack: its bytes and the allocating function.
/^ *[0-9.]+[kMG]?B / && bytes == "" {
  v = $1; m = 1 / 1048576
  if (v ~ /kB$/) m = 1 / 1024; else if (v ~ /MB$/) m = 1; else if (v ~ /GB$/) m = 1024
  sub(/[kMG]?B$/, "", v); bytes = v * m; stack = $0; next
}
{ stack = stack "\n" $0 }
function add(   c) {
  c = "other"
  if (stack ~ /stree/ && stack ~ /Msgs uint64/) c = "nats-server fss (block subjects)"
  else if (stack ~ /stree/) c = "nats-server psim (subject index)"
  # The ids, the map and its expiry list; the entries are allocated in
  # processJetStreamMsgWithBatch itself.
  else if (stack ~ /storeMsgId|getMsgId/ || stack ~ /^ *[0-9.]+[kMG]?B +[^ ]*processJetStreamMsgWithBatch/) c = "nats-server duplicate window ids"
  else if (stack ~ /getMsgBlockBuf|filestore.go:10[0-9][0-9]/) c = "nats-server block buffers"
  else if (stack ~ /nats-server/) c = "nats-server other"
  else if (stack ~ /edgetag\/engine/) c = "agent engine"
  else if (stack ~ /edgetag\/opcua/) c = "agent opcua"
  else if (stack ~ /edgetag\/sink/ || stack ~ /nats\.go/) c = "agent sink, nats.go"
  t[c] += bytes; tot += bytes
}
END {
  if (bytes != "") add()
  for (c in t) printf "%-34s %7.1f MB\n", c, t[c]
  printf "%-34s %7.1f MB\n", "total", tot
}' | sort
