#!/usr/bin/env bash
# Run two commands side by side: the first's output as it comes, the second's into a log printed
# whole when both have ended (so the two never interleave). Each one's time is printed; the exit
# status is non-zero when either failed.
# Usage: scripts/beside.sh LOG 'COMMAND 1' 'COMMAND 2'
set -uo pipefail
log=$1 first=$2 second=$3
mkdir -p "$(dirname "$log")"
start=$SECONDS
( bash -c "$second" >"$log" 2>&1; echo $? >"$log.rc"; echo $((SECONDS - start)) >"$log.s" ) &
beside=$!
bash -c "$first"
first_rc=$?
echo "beside: '$first' exited $first_rc after $((SECONDS - start)) s"
wait "$beside"
second_rc=$(cat "$log.rc" 2>/dev/null || echo 1)
echo "beside: the output of '$second' ($log):"
cat "$log"
echo "beside: '$second' exited $second_rc after $(cat "$log.s" 2>/dev/null || echo '?') s"
[ "$first_rc" -eq 0 ] && [ "$second_rc" -eq 0 ]
