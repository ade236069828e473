#!/usr/bin/env bash
# slurm-cluster.sh - a private, self-contained single-node Slurm cluster
# (munged + slurmctld + slurmd) under one directory, for tests.
#
#   slurm-cluster.sh start  DIR   generate config, pick free ports, start the
#                                 daemons, wait until the node is idle, write DIR/env
#   slurm-cluster.sh stop   DIR   cancel jobs, stop every daemon we started (by pid),
#                                 sweep leftover slurmstepd/job processes, verify
#   slurm-cluster.sh status DIR   show pids and sinfo
#
# Nothing under /etc is read or written except /etc/passwd|group lookups (and the
# munge user, if it exists).  flashrig's cluster tests (tests/cluster/, ctest label
# `cluster`) start it as a FIXTURES_SETUP test and stop it as FIXTURES_CLEANUP, so the
# daemons are stopped by pid even when a test fails or times out.
#
# Needs: root, Debian packages slurm-wlm (22.05) + munge, python3 (free ports), coreutils.
# Environment knobs:
#   SLURM_CLUSTER_MUNGE_USER   user munged runs as: "munge" (default when that user
#                              exists and can reach DIR, as Debian's munge.service
#                              does) or "root".
#   SLURM_CLUSTER_UNPRIVILEGED=1  allow a non-root user: every daemon runs as that
#                              user (SlurmUser=SlurmdUser=$USER); only that user's
#                              jobs can run.  Works with 22.05 but is not a
#                              configuration Slurm supports.
#   SLURM_CLUSTER_TIMEOUT      seconds to wait for the node to become idle (30).
#   SLURM_CLUSTER_FEATURES     node features (comma-separated), e.g. the rigs of a rig farm.
#
# Exit codes: 0 ok, 1 failure (reason on stderr), 2 usage.  There is no "skip"
# code on purpose: a machine that cannot run the cluster is a failure with a reason.

set -u -o pipefail
PROG=${0##*/}
die()  { echo "$PROG: error: $*" >&2; exit 1; }
warn() { echo "$PROG: warning: $*" >&2; }
note() { echo "$PROG: $*" >&2; }

usage() { echo "usage: $PROG start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
CMD=$1
if [ "$CMD" = start ]; then
    mkdir -p -- "$2" 2>/dev/null || die "cannot create directory $2"
elif [ ! -d "$2" ]; then
    echo "$PROG: no cluster in $2 (no such directory)" >&2; exit 0
fi
DIR=$(cd -- "$2" && pwd -P) || die "cannot enter $2"

CONF=$DIR/slurm.conf
PIDS=$DIR/pids          # lines: "name pid"
MUNGE_SOCK=$DIR/munge/run/munge.socket
TIMEOUT=${SLURM_CLUSTER_TIMEOUT:-30}

# ---------------------------------------------------------------- helpers
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# wait_gone SECONDS PID... ; returns 0 when all are gone
wait_gone() {
    local t=$(( $1 * 10 )); shift
    local p any
    while [ $t -gt 0 ]; do
        any=0
        for p in "$@"; do alive "$p" && any=1; done
        [ $any = 0 ] && return 0
        sleep 0.1; t=$((t - 1))
    done
    return 1
}

# pids of processes that belong to this cluster and outlived (or will outlive)
# the daemons: our daemons (their command line names DIR, or their environment
# names our slurm.conf), slurmstepd (inherits slurmd's environment) and job
# processes (SLURM_JOB_ID set and SLURM_CONF = our slurm.conf).  A user's shell
# that merely sourced DIR/env is not matched.
cluster_procs() {
    local d p comm env
    for d in /proc/[0-9]*; do
        p=${d#/proc/}
        [ "$p" = $$ ] && continue
        comm=$(cat "$d/comm" 2>/dev/null) || continue
        env=$( { tr '\0' '\n' < "$d/environ"; } 2>/dev/null ) || continue
        [ -n "$env" ] || continue
        case $comm in
            munged|slurmctld|slurmd|slurmstepd|slurmscriptd)
                if grep -qxF -e "SLURM_CONF=$CONF" -e "SLURM_CLUSTER_DIR=$DIR" <<<"$env" \
                   || { tr '\0' ' ' < "$d/cmdline"; } 2>/dev/null | grep -qF -- "$DIR/"; then
                    echo "$p"
                fi ;;
            *)
                if grep -qxF "SLURM_CONF=$CONF" <<<"$env" && grep -q '^SLURM_JOB_ID=' <<<"$env"; then
                    echo "$p"
                fi ;;
        esac
    done
}

free_port() {   # print a free TCP port (the kernel picks it), not in $*
    local p i
    for i in $(seq 1 20); do
        p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("0.0.0.0", 0)); print(s.getsockname()[1])') || return 1
        case " $* " in *" $p "*) continue;; esac
        echo "$p"; return 0
    done
    return 1
}

pid_of() { awk -v n="$1" '$1==n {print $2}' "$PIDS" 2>/dev/null | tail -n1; }

# ---------------------------------------------------------------- stop
do_stop() {
    local rc=0 ctld slurmd munged p left shut=0
    [ -f "$CONF" ] || { note "no cluster in $DIR (no slurm.conf)"; return 0; }
    ctld=$(pid_of slurmctld); slurmd=$(pid_of slurmd); munged=$(pid_of munged)
    export SLURM_CONF=$CONF

    # 1. cancel jobs while the controller is up: slurmd/slurmctld shutdown does
    #    NOT kill running jobs (slurmstepd keeps them alive on purpose).
    if alive "$ctld"; then
        local jobs
        jobs=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
        if [ -n "${jobs// }" ]; then
            note "cancelling jobs: $jobs"
            timeout 10 scancel $jobs 2>/dev/null
            local t=100
            while [ $t -gt 0 ] && [ -n "$(timeout 5 squeue -h -o %A 2>/dev/null)" ]; do sleep 0.1; t=$((t-1)); done
        fi
        # 2. graceful shutdown of slurmctld + slurmd (saves state)
        if timeout 15 scontrol shutdown >/dev/null 2>&1; then shut=1; else warn "scontrol shutdown failed"; fi
    fi
    # 3. by pid: give 'scontrol shutdown' 10 s, then TERM, then KILL
    [ $shut = 1 ] && wait_gone 10 $slurmd $ctld
    for p in $slurmd $ctld; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
    wait_gone 10 $slurmd $ctld || { warn "slurm daemons ignored SIGTERM, sending SIGKILL"; kill -KILL $slurmd $ctld 2>/dev/null; rc=1; }
    if alive "$munged"; then
        kill -TERM "$munged" 2>/dev/null
        wait_gone 10 "$munged" || { warn "munged ignored SIGTERM, sending SIGKILL"; kill -KILL "$munged" 2>/dev/null; rc=1; }
    fi
    # 4. sweep: slurmstepd and job processes that outlived the daemons
    left=$(cluster_procs | tr '\n' ' ')
    if [ -n "${left// }" ]; then
        warn "leftover cluster processes, killing: $(for p in $left; do printf '%s(%s) ' "$p" "$( { tr '\0' ' ' < /proc/$p/cmdline; } 2>/dev/null | cut -c1-60)"; done)"
        kill -KILL $left 2>/dev/null
        wait_gone 5 $left
    fi
    # 5. verify
    left=""
    for p in $slurmd $ctld $munged $(cluster_procs); do alive "$p" && left="$left $p"; done
    if [ -n "$left" ]; then
        echo "$PROG: error: processes still alive after stop:$left" >&2
        return 1
    fi
    rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
    [ -f "$PIDS" ] && mv -f "$PIDS" "$PIDS.stopped"
    note "stopped (munged=${munged:--} slurmctld=${ctld:--} slurmd=${slurmd:--}); nothing left running"
    return $rc
}

# ---------------------------------------------------------------- start
start_fail() {
    trap '' PIPE INT TERM HUP
    # clean up first: the caller may stop reading our stderr at any moment
    do_stop >/dev/null 2>&1
    echo "$PROG: error: $*" >&2
    local f
    for f in "$DIR"/munge/log/munged.log "$DIR"/slurm/log/slurmctld.log "$DIR"/slurm/log/slurmd.log "$DIR"/slurm/log/*.out; do
        [ -s "$f" ] && { echo "---- last lines of $f" >&2; tail -n 15 "$f" >&2; }
    done
    exit 1
}

do_start() {
    trap 'start_fail "interrupted by a signal"' INT TERM HUP
    # --- preconditions, each with a reason
    local su=root
    if [ "$(id -u)" != 0 ]; then
        [ "${SLURM_CLUSTER_UNPRIVILEGED:-0}" = 1 ] \
            || die "must be run as root (uid $(id -u) here): the cluster runs munged, slurmctld and slurmd with SlurmUser=root, as a real site does, and slurmd needs root to start job steps as other users. Run the cluster tests as root, leave out the 'cluster' label, or set SLURM_CLUSTER_UNPRIVILEGED=1 for an unsupported single-user cluster."
        su=$(id -un)
        note "unprivileged mode: all daemons run as $su and only $su can run jobs"
    fi
    local b
    for b in munged mungekey munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel python3; do
        command -v "$b" >/dev/null || die "'$b' not found: install the Debian packages slurm-wlm and munge (apt-get install -y slurm-wlm munge)"
    done
    if [ -f "$PIDS" ]; then
        local n p
        while read -r n p; do alive "$p" && die "a cluster is already running in $DIR ($n pid $p); run '$PROG stop $DIR' first"; done < "$PIDS"
    fi
    # unix socket paths are limited to 108 bytes (sun_path); slurmd puts
    # <spool>/<node>_<jobid>.<stepid> sockets in its spool dir
    local host; host=$(hostname -s 2>/dev/null || hostname)
    [ -n "$host" ] || die "empty hostname"
    local longest="$DIR/slurm/spool/${host}_4294967295.4294967295"
    [ ${#longest} -lt 108 ] || die "DIR is too long (${#DIR} chars): unix socket paths under it would exceed 108 bytes ($longest). Use a shorter directory."
    # munged refuses group/world-writable ancestors without the sticky bit
    local a=$DIR
    while [ "$a" != / ]; do
        a=$(dirname "$a")
        local m; m=$(stat -c %a "$a")
        if [ $(( 8#$m & 8#022 )) -ne 0 ] && [ $(( 8#$m & 8#1000 )) -eq 0 ]; then
            die "ancestor directory $a is group/world-writable (mode $m) without the sticky bit; munged refuses to use key, log and socket files below it"
        fi
    done

    # --- fresh layout
    rm -rf "$DIR/munge" "$DIR/slurm" "$CONF" "$DIR/env" "$PIDS" "$PIDS.stopped"
    mkdir -p "$DIR"/munge/{etc,run,lib,log} "$DIR"/slurm/{state,spool,log,run,tmp} || die "cannot create layout under $DIR"
    chmod 0755 "$DIR/munge" "$DIR/munge/run"
    chmod 0700 "$DIR/munge/etc" "$DIR/munge/log"
    chmod 0711 "$DIR/munge/lib"

    # --- munge user: as Debian (munge.service: User=munge; key munge:munge, dir 0700)
    local mu=${SLURM_CLUSTER_MUNGE_USER:-}
    [ "$su" != root ] && mu=$su
    if [ -z "$mu" ]; then
        if id munge >/dev/null 2>&1 && setpriv --reuid=munge --regid=munge --clear-groups test -x "$DIR/munge/run" 2>/dev/null; then
            mu=munge
        else
            mu=root
            id munge >/dev/null 2>&1 && note "munge user cannot reach $DIR (an ancestor lacks o+x); running munged as root"
        fi
    fi
    local asmu=()
    if [ "$mu" != root ] && [ "$mu" != "$su" ]; then
        chown "$mu:$mu" "$DIR"/munge/{etc,run,lib,log} || die "chown to $mu failed"
        asmu=(setpriv --reuid="$mu" --regid="$mu" --init-groups)
    fi
    # key: created by mungekey as the daemon's user, then 0400 (Debian postinst
    # does 'mungekey -c' as munge, and chmod 0400 on upgrade). munged requires the
    # key to be owned by its own euid and not accessible by group/other.
    "${asmu[@]}" mungekey -c -k "$DIR/munge/etc/munge.key" 2>/dev/null || die "mungekey -c failed"
    chmod 0400 "$DIR/munge/etc/munge.key"

    # --- machine description from slurmd itself (avoids 'Low RealMemory' drains)
    local cline cpus boards spb cps tpc mem
    cline=$(slurmd -C 2>/dev/null | head -n1) || die "slurmd -C failed"
    cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$cline")
    boards=$(sed -n 's/.*Boards=\([0-9]*\).*/\1/p' <<<"$cline")
    spb=$(sed -n 's/.*SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$cline")
    cps=$(sed -n 's/.*CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$cline")
    tpc=$(sed -n 's/.*ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$cline")
    mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$cline")
    [ -n "$cpus" ] && [ -n "$mem" ] || die "cannot parse 'slurmd -C' output: $cline"
    mem=$(( mem * 95 / 100 ))     # a little below: RealMemory above the real value drains the node

    local tries ctld_port slurmd_port
    for tries in 1 2 3; do
        ctld_port=$(free_port) && slurmd_port=$(free_port "$ctld_port") || die "no free TCP port found"

        cat > "$CONF" <<EOF
# generated by $PROG for a private single-node cluster in $DIR
ClusterName=flashrig
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$su
SlurmdUser=$su
AuthType=auth/munge
CredType=cred/munge
# socket: our private munged; cred_expire: also the delay before a requeued job may start
# again (Slurm default 120 s; 5 is the least it accepts, "cred_expire=2 invalid")
AuthInfo=socket=$MUNGE_SOCK,cred_expire=${SLURM_CLUSTER_CRED_EXPIRE:-5}
# No CommunicationParameters=NoInAddrAny: with it slurmd binds to the address its
# hostname resolves to and dies when the hostname does not resolve.  Addresses are
# given explicitly (127.0.0.1) so nothing here needs name resolution; the ports
# listen on 0.0.0.0 but only holders of this cluster's munge key get answers.
StateSaveLocation=$DIR/slurm/state
SlurmdSpoolDir=$DIR/slurm/spool
TmpFS=$DIR/slurm/tmp
SlurmctldPidFile=$DIR/slurm/run/slurmctld.pid
SlurmdPidFile=$DIR/slurm/run/slurmd.pid
SlurmctldLogFile=$DIR/slurm/log/slurmctld.log
SlurmdLogFile=$DIR/slurm/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/slurm/plugstack.conf
MailProg=/bin/true
# no cgroups: processes tracked by parent pid, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# one line per finished job (JobState, ExitCode, ...): a record that outlives MinJobAge, without slurmdbd
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/slurm/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1,bf_interval=1
# an afterok job whose dependency failed is cancelled instead of pending forever
DependencyParameters=kill_invalid_depend
ReturnToService=2
# keep finished jobs in slurmctld memory (scontrol show job) for an hour: there is no accounting DB
MinJobAge=3600
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
JobRequeue=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus Boards=${boards:-1} SocketsPerBoard=${spb:-1} CoresPerSocket=${cps:-$cpus} ThreadsPerCore=${tpc:-1} RealMemory=$mem${SLURM_CLUSTER_FEATURES:+ Features=$SLURM_CLUSTER_FEATURES} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
        : > "$DIR/slurm/plugstack.conf"

        # env read by daemons (so leftovers can be found) and by clients
        export SLURM_CONF=$CONF SLURM_CLUSTER_DIR=$DIR
        cat > "$DIR/env" <<EOF
export SLURM_CONF=$CONF
export SLURM_CLUSTER_DIR=$DIR
export MUNGE_SOCKET=$MUNGE_SOCK
EOF

        # --- munged (daemonizes; exits non-zero on any config/permission error)
        if ! alive "$(pid_of munged)"; then
            local err
            err=$(cd / && "${asmu[@]}" munged --socket="$MUNGE_SOCK" --key-file="$DIR/munge/etc/munge.key" \
                    --pid-file="$DIR/munge/run/munged.pid" --log-file="$DIR/munge/log/munged.log" \
                    --seed-file="$DIR/munge/lib/munged.seed" --num-threads=2 2>&1) \
                || start_fail "munged did not start (as $mu): $err"
            echo "munged $(cat "$DIR/munge/run/munged.pid")" >> "$PIDS"
            munge -n -S "$MUNGE_SOCK" | unmunge -S "$MUNGE_SOCK" >/dev/null 2>&1 \
                || start_fail "munged is running but a credential round trip failed"
        fi

        # --- slurmctld, slurmd: foreground (-D) in their own session, so $! is
        # the daemon's pid and a start-up fatal is seen as an exit
        local t0 cpid dpid
        t0=$(date +%s%N)
        rm -rf "$DIR/slurm/state"/* "$DIR/slurm/spool"/*
        (cd / && exec setsid slurmctld -D -i -f "$CONF" </dev/null >>"$DIR/slurm/log/slurmctld.out" 2>&1) &
        cpid=$!
        echo "slurmctld $cpid" >> "$PIDS"
        local up=0 i
        for i in $(seq 1 $((TIMEOUT * 10))); do
            alive "$cpid" || break
            timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' && { up=1; break; }
            sleep 0.1
        done
        if [ $up = 0 ]; then
            if ! alive "$cpid" && grep -qiE 'address already in use|Unable to bind' "$DIR/slurm/log/slurmctld.log" 2>/dev/null && [ $tries -lt 3 ]; then
                note "port $ctld_port taken, retrying"; sed -i '/^slurmctld /d' "$PIDS"; continue
            fi
            start_fail "slurmctld did not come up within ${TIMEOUT}s"
        fi
        (cd / && exec setsid slurmd -D -f "$CONF" -N "$host" </dev/null >>"$DIR/slurm/log/slurmd.out" 2>&1) &
        dpid=$!
        echo "slurmd $dpid" >> "$PIDS"
        local state=""
        for i in $(seq 1 $((TIMEOUT * 10))); do
            alive "$dpid" || break
            state=$(timeout 5 sinfo -h -N -o %T -n "$host" 2>/dev/null)
            [ "$state" = idle ] && break
            case $state in inval*|drain*|down*|fail*)
                # e.g. "Low RealMemory" or a CPU count above what slurmd found
                start_fail "node $host is '$state': $(timeout 5 sinfo -h -N -o '%E' 2>/dev/null)";;
            esac
            sleep 0.1
        done
        if [ "$state" != idle ]; then
            if ! alive "$dpid" && grep -qiE 'address already in use|Unable to bind' "$DIR/slurm/log/slurmd.log" 2>/dev/null && [ $tries -lt 3 ]; then
                note "port $slurmd_port taken, retrying"; do_stop >/dev/null 2>&1; continue
            fi
            start_fail "node $host is '${state:-not registered}' instead of idle after ${TIMEOUT}s ($(timeout 5 sinfo -h -N -o '%T %E' 2>/dev/null))"
        fi
        local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        echo "ports $ctld_port $slurmd_port" > "$DIR/ports"
        note "cluster up in ${ms} ms: node $host idle, CPUs=$cpus RealMemory=$mem, slurmctld:$ctld_port slurmd:$slurmd_port, munged as $mu"
        note "source $DIR/env   # sets SLURM_CONF for sbatch/squeue/scontrol"
        trap - INT TERM HUP
        return 0
    done
    start_fail "could not find free ports"
}

do_status() {
    [ -f "$PIDS" ] || { echo "not running"; return 1; }
    local n p rc=0
    while read -r n p; do
        if alive "$p"; then echo "$n $p running"; else echo "$n $p dead"; rc=1; fi
    done < "$PIDS"
    SLURM_CONF=$CONF timeout 5 sinfo -N
    return $rc
}

case $CMD in
    start)  do_start ;;
    stop)   do_stop ;;
    status) do_status ;;
    *) usage ;;
esac
