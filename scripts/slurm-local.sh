#!/usr/bin/env bash
# A one-node SLURM cluster on this machine (CPU only, as root), for the `slurm` tests:
#
#   bash scripts/slurm-local.sh          # install (apt), configure, start; idempotent
#   sinfo && sacct                       # it is up, with job accounting
#
# Debian's packages: slurm-wlm (slurmctld + slurmd), slurmdbd + mariadb-server (so that
# `sacct` works: SLURM's accounting needs slurmdbd, and slurmdbd needs MySQL/MariaDB;
# submitit also polls job states with sacct), munge (authentication).
# The configuration is minimal: no cgroups (proctrack/linuxproc, task/none), one partition
# `debug` holding this node, cores as the consumable resource. If the cluster already
# answers (`scontrol ping` and the node is up), the script says so and exits 0.
set -euo pipefail

CLUSTER=senbench
HOST="$(hostname -s)"
CONF_DIR=/etc/slurm
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
LOG_DIR=/var/log/slurm
RUN_DIR=/run/slurm
DB_PASS="${SLURM_LOCAL_DB_PASS:-senbench-local}"

log() { echo "slurm-local: $*"; }

cluster_up() {
    command -v scontrol >/dev/null 2>&1 || return 1
    scontrol ping 2>/dev/null | grep -q "UP" || return 1
    local state
    state="$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n1)"
    [[ "$state" == idle* || "$state" == mix* || "$state" == alloc* ]]
}

if cluster_up && sacct -n -X -S now-1minute >/dev/null 2>&1; then
    log "already running (node $HOST: $(sinfo -h -n "$HOST" -o %T))"
    exit 0
fi

# --- packages -------------------------------------------------------------------------
need=()
for pkg in slurm-wlm slurmdbd munge mariadb-server; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p "$CONF_DIR" "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR" "$RUN_DIR"

# --- munge ----------------------------------------------------------------------------
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "starting munged"
    [[ -s /etc/munge/munge.key ]] || { mungekey --create --force; chown munge:munge /etc/munge/munge.key; }
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 20); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
fi

# --- MariaDB (for slurmdbd) -------------------------------------------------------------
if ! mysqladmin ping >/dev/null 2>&1; then
    log "starting mariadb"
    /etc/init.d/mariadb start >/dev/null
fi
mysql -u root <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '${DB_PASS}';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
SQL

# --- configuration (written to temp names, then renamed) --------------------------------
cpus="$(nproc)"
mem_mb="$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)"

write_conf() {  # write_conf FILE MODE < content
    local tmp="$1.tmp.$$"
    cat >"$tmp"
    chmod "$2" "$tmp"
    mv -f "$tmp" "$1"
}

write_conf "$CONF_DIR/slurmdbd.conf" 600 <<EOF
# written by scripts/slurm-local.sh
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
LogFile=$LOG_DIR/slurmdbd.log
PidFile=$RUN_DIR/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF

write_conf "$CONF_DIR/slurm.conf" 644 <<EOF
# written by scripts/slurm-local.sh: one node, CPU only, no cgroups
ClusterName=$CLUSTER
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
KillWait=30
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
NodeName=$HOST CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons ----------------------------------------------------------------------------
running() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

if ! running "$RUN_DIR/slurmdbd.pid"; then
    log "starting slurmdbd"
    slurmdbd
    for _ in $(seq 60); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.5; done
fi
sacctmgr -n show cluster format=cluster | grep -qw "$CLUSTER" \
    || sacctmgr -i add cluster "$CLUSTER" >/dev/null

if ! running "$RUN_DIR/slurmctld.pid"; then
    log "starting slurmctld"
    slurmctld
    for _ in $(seq 60); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.5; done
fi
if ! running "$RUN_DIR/slurmd.pid"; then
    log "starting slurmd"
    slurmd
fi
for _ in $(seq 60); do cluster_up && break; sleep 0.5; done
if ! cluster_up; then
    scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
    sleep 1
fi
cluster_up || { log "error: node $HOST did not come up; see $LOG_DIR/*.log"; exit 1; }
log "up: $(sinfo -h -o '%P %D node(s) %T %c cpus')"
