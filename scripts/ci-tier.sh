#!/usr/bin/env bash
# The parts of tox's `ci` environment, run in the order given (default: type offline live). Every
# part runs even when one before it failed; the exit status is non-zero when any failed.
#   type     mypy on harness/, reference/ and the HNP adapter
#   offline  the offline tier (no NetBox), on every core and one worker more
#   live     the harness's own live tests against the managed NetBox (port 8765, 8775)
# `make test` runs `type offline` first, then `live` beside the HNP tier (scripts/beside.sh): the live
# tiers mostly wait on NetBox, the offline tier keeps both cores busy on its own. With
# HARNESS_TIMINGS_DIR set, each part's seconds go to ci-PART.s there (the benchmarks' budget rows).
set -uo pipefail
status=0
for part in "${@:-type offline live}"; do
    for p in $part; do
        echo "ci-tier: $p started $(date +%T)"
        began=$SECONDS
        case $p in
            type)  # all three, whichever fails
                t=0
                mypy harness || t=1
                mypy --strict reference/hh_reference reference/hh_reference_harness || t=1
                mypy --strict adapters/hnp/hh_hnp_harness || t=1
                [ "$t" -eq 0 ] ;;
            # a worker more than cores: a fifth of the tier's time is its subprocesses' start-up and
            # waits on sockets (168 s -> 125 s with 2 workers, 102 s with 3, 104 s with 4 on 2 cores)
            offline) pytest -m "not live and not defects" -q -n "${PYTEST_XDIST_AUTO_NUM_WORKERS:-$(($(nproc) + 1))}" --durations=15 ;;
            live) pytest -m "live and not hnp and not defects" tests -q --durations=15 ;;
            *) echo "ci-tier: no part '$p' (parts: type, offline, live)" >&2; false ;;
        esac || { echo "ci-tier: $p failed"; status=1; }
        echo "ci-tier: $p ended $(date +%T) ($((SECONDS - began)) s)"
        [ -n "${HARNESS_TIMINGS_DIR:-}" ] && mkdir -p "$HARNESS_TIMINGS_DIR" && echo $((SECONDS - began)) >"$HARNESS_TIMINGS_DIR/ci-$p.s"
    done
done
exit $status
