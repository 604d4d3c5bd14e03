#!/usr/bin/env bash
# fresh-check.sh - do the README's two commands work on a new Debian 12 machine?
# (`make fresh-check`; docs/fresh-check.md)
#
#   1. a minimal Debian 12 root: debootstrap --variant=minbase bookworm, from
#      the apt mirror this machine already uses (never a hard-coded host);
#   2. a new user `student` in it, with sudo, git and make (the README's one
#      prerequisite), and a clone of this repository's committed HEAD (the
#      work tree's uncommitted files cannot help);
#   3. as that user: `make test` to its summary line, then `make ide` until it
#      prints its URL, then stop it;
#   4. one verdict line: "fresh-check: PASS ..." or "fresh-check: FAIL ...".
#
# Every mount is undone and every process in the root is stopped on any
# ending (also Ctrl-C).  The root stays in $ROOT for a look afterwards; the
# next run starts from scratch.  Options (environment):
#   FRESH_ROOT=DIR   where the root goes (default build/fresh-check/root)
#   FRESH_MIRROR=URL override the mirror read from the apt sources
#   FRESH_IDE_WAIT=S seconds `make ide` may take to print its URL (default 1800)
# Needs root (debootstrap, chroot, mount) and the package debootstrap.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${FRESH_ROOT:-$TOP/build/fresh-check/root}
LOGDIR=$(dirname "$ROOT")
LOG=$LOGDIR/fresh-check.log
IDE_WAIT=${FRESH_IDE_WAIT:-1800}
t0=$SECONDS

say() { echo "fresh-check: $*" >&2; }
verdict() { # verdict PASS|FAIL text
    echo "fresh-check: $1 $2 ($(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s; log $LOG)"
}
fail() {
    verdict FAIL "$*"
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot and mount)"
command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
git -C "$TOP" rev-parse --verify -q HEAD >/dev/null || fail "$TOP has no commit to clone"

# ---- the mirror this machine uses ------------------------------------------
# deb822 files (URIs:) first, then one-line sources.list entries; only Debian's
# main archive (not -security, not third-party lists).
mirror_of_machine() {
    local f u
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        grep -q '^Suites:.*\bbookworm\b' "$f" || continue
        u=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
        [ -n "$u" ] && { echo "$u"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        u=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")
        [ -n "$u" ] && { echo "$u"; return; }
    done
}
MIRROR=${FRESH_MIRROR:-$(mirror_of_machine)}
[ -n "$MIRROR" ] || fail "no Debian mirror found in /etc/apt/sources.list{,.d}"

# ---- cleanup: processes in the root, then its mounts ------------------------
mounted_under() { awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r; }

stop_processes_in_root() {
    local p sig pids
    for sig in TERM KILL; do
        pids=()
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && pids+=("${p#/proc/}")
        done
        [ ${#pids[@]} -eq 0 ] && return 0
        kill -"$sig" "${pids[@]}" 2>/dev/null
        sleep 2
    done
}

# Long steps run in the background, output to the log, and are waited for:
# bash runs a trap only between commands, and `wait` is one it interrupts (a
# foreground debootstrap or make test would delay Ctrl-C until it ended).
# The redirection is the step's own, not the call's: the trap's verdict
# must reach the terminal, not the log.
child=
run() {
    "$@" >>"$LOG" 2>&1 &
    child=$!
    wait "$child"
    local rc=$?
    child=
    return $rc
}

cleaned=0
cleanup() {
    [ "$cleaned" = 1 ] && return
    cleaned=1
    if [ -n "$child" ]; then
        pkill -TERM -P "$child" 2>/dev/null
        kill -TERM "$child" 2>/dev/null
        sleep 1
        pkill -KILL -P "$child" 2>/dev/null
        kill -KILL "$child" 2>/dev/null
    fi
    stop_processes_in_root
    local m
    for m in $(mounted_under "$ROOT"); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
    done
}
trap cleanup EXIT
trap 'say "interrupted"; cleanup; verdict FAIL "interrupted"; trap - EXIT; exit 130' INT TERM HUP

# ---- a new root ------------------------------------------------------------
mkdir -p "$LOGDIR"
: >"$LOG"
if [ -e "$ROOT" ]; then
    cleanup
    cleaned=0
    [ -z "$(mounted_under "$ROOT")" ] || fail "$ROOT still has mounts; not removing it"
    rm -rf --one-file-system "$ROOT" || fail "could not remove the old $ROOT"
fi
say "debootstrap --variant=minbase bookworm from $MIRROR (about 3 minutes)"
run debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" ||
    fail "debootstrap failed (see the log)"

# The machine's own apt sources and settings: the new machine would be set up
# the same way (the same mirror, security archive and Acquire options).
rm -f "$ROOT"/etc/apt/sources.list
cp /etc/apt/sources.list.d/*.sources "$ROOT"/etc/apt/sources.list.d/ 2>/dev/null
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$ROOT"/etc/apt/
for f in /etc/apt/apt.conf.d/*; do
    grep -q '^Acquire::' "$f" 2>/dev/null && cp "$f" "$ROOT"/etc/apt/apt.conf.d/
done
cp /etc/resolv.conf "$ROOT"/etc/resolv.conf 2>/dev/null
cp /etc/hosts "$ROOT"/etc/hosts 2>/dev/null

mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
mount --make-rslave "$ROOT/dev"
mount -t tmpfs tmpfs "$ROOT/tmp"

in_root() { chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# What a new user has before reading the README: sudo, git and make (the
# README's prerequisites).  ca-certificates comes with git's recommends on a
# real machine; here it also carries this workplace's own certificate
# authority, which the registries are reached through (plumbing, not a step a
# user needs: see docs/fresh-check.md).
say "the user's prerequisites: sudo git make"
in_root apt-get update -qq >>"$LOG" 2>&1 || fail "apt-get update in the root failed"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    sudo git make ca-certificates >>"$LOG" 2>&1 || fail "installing sudo git make failed"
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$ROOT"/usr/local/share/ca-certificates/
    in_root update-ca-certificates >>"$LOG" 2>&1
fi
in_root useradd -m -s /bin/bash student || fail "useradd failed"
echo 'student ALL=(ALL) NOPASSWD: ALL' >"$ROOT"/etc/sudoers.d/student

# The committed HEAD only: a bare bundle of it, cloned in the root.
rev=$(git -C "$TOP" rev-parse --short HEAD)
git -C "$TOP" bundle create "$ROOT/tmp/osdbg.bundle" HEAD >>"$LOG" 2>&1 || fail "git bundle failed"
chmod 644 "$ROOT/tmp/osdbg.bundle"

as_student() {
    chroot --userspec=student:student "$ROOT" /usr/bin/env -i HOME=/home/student USER=student \
        PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TERM=dumb \
        NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
        bash -c "cd /home/student && $1"
}
as_student 'git clone -q /tmp/osdbg.bundle osdbg && git -C osdbg checkout -q -B main' >>"$LOG" 2>&1 ||
    fail "git clone of HEAD failed"

# ---- the README's commands -------------------------------------------------
say "make test in the new root (HEAD $rev; about 20 minutes with the packages)"
run as_student 'cd osdbg && make test'
test_rc=$?
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG" | tail -1)
[ -n "$summary" ] || summary="no summary line"
if [ "$test_rc" -ne 0 ]; then
    fail "HEAD $rev: make test exited $test_rc ($summary)"
fi

say "make ide in the new root, until it prints its URL"
url_file=$ROOT/tmp/ide.out
as_student 'cd osdbg && exec make ide' >"$url_file" 2>>"$LOG" &
ide_pid=$!
url=
for ((i = 0; i < IDE_WAIT; i++)); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*/[^ ]*' "$url_file" 2>/dev/null | head -1)
    [ -n "$url" ] && break
    kill -0 "$ide_pid" 2>/dev/null || break
    sleep 1
done
cat "$url_file" >>"$LOG"
# The IDE must also answer on that URL, not only print it.
answered=no
if [ -n "$url" ]; then
    for ((i = 0; i < 60; i++)); do
        if in_root bash -c "exec 3<>/dev/tcp/127.0.0.1/$(echo "$url" | sed 's|.*:\([0-9]*\)/.*|\1|') && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && head -1 <&3" 2>/dev/null | grep -q ' 200 '; then
            answered=yes
            break
        fi
        sleep 1
    done
fi
stop_processes_in_root
wait "$ide_pid" 2>/dev/null
[ -n "$url" ] || fail "HEAD $rev: $summary, but make ide printed no URL"
[ "$answered" = yes ] || fail "HEAD $rev: $summary; make ide printed $url but it did not answer"
verdict PASS "HEAD $rev: make test: $summary; make ide served $url"
