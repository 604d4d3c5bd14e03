#!/usr/bin/env bash
# ide.sh: the browser IDE (code-server = VS Code in the browser) with the
# osdbg extension, on the project's own source tree.  Used by `make ide`.
#
#   scripts/ide.sh                install if needed, then serve (foreground)
#   scripts/ide.sh --install      install code-server and the extension only
#   scripts/ide.sh --node         print the path of the IDE's own node (installed
#                                 if needed); the browser test runs on it, since
#                                 Playwright needs node 20 and Debian has 18
#   scripts/ide.sh --port N       serve on 127.0.0.1:N (default: a free port)
#   scripts/ide.sh --auth none    no password (it only listens on 127.0.0.1)
#   scripts/ide.sh --user-data D  VS Code's user data (settings, state) in D
#                                 (default build/ide/user-data; the e2e test
#                                 uses a fresh one)
#
# Everything lives in $IDE (build/ide): code-server itself, its user data,
# its extensions and the XDG config/data/cache folders, so nothing is written
# into the home directory.  It serves on loopback only; when serving, the
# script execs code-server, so its pid is code-server's pid.
#
# code-server's npm postinstall downloads binaries from GitHub, which fails
# without network access beyond the npm registry.  So the package is
# installed with --ignore-scripts and its native modules are built here.
#
# code-server runs on its own Node.js 20, like VS Code's own server: Debian 12
# ships node 18, and its npm has no node-gyp of its own.  Both node (the
# official binaries and headers, as the npm package node-linux-<arch>) and
# node-gyp come from the npm registry into build/ide, so the native modules
# are built against the headers of the node that loads them, on any machine.
set -euo pipefail

VERSION=4.100.3 # the newest code-server that runs on node 20
NODE_VERSION=20.20.2
NODE_GYP_VERSION=10.3.1
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
IDE=$BUILD/ide
VSIX=$BUILD/vscode/osdbg.vsix
PREFIX=$IDE/code-server
CS=$PREFIX/node_modules/code-server
STAMP=$IDE/.installed-$VERSION

install_only=0 print_node=0 port= auth=password user_data=
while [ $# -gt 0 ]; do
    case $1 in
    --install) install_only=1 ;;
    --node) print_node=1 ;;
    --port) port=$2; shift ;;
    --auth) auth=$2; shift ;;
    --user-data) user_data=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--install] [--node] [--port N] [--auth password|none] [--user-data DIR]" >&2; exit 2 ;;
    esac
    shift
done

log() { echo "ide.sh: $*" >&2; }

# The IDE's own node and node-gyp (see the top).
TOOLS=$IDE/node-$NODE_VERSION
NODE_PKG=$TOOLS/node_modules/node-linux-$(case $(uname -m) in x86_64) echo x64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac)
NODE=$NODE_PKG/bin/node
NODE_GYP_JS=$TOOLS/node_modules/node-gyp/bin/node-gyp.js
npm_quiet=(--no-audit --no-fund --loglevel=error)

install_node() {
    [ -x "$NODE" ] && [ -f "$NODE_GYP_JS" ] && return 0
    log "installing Node.js $NODE_VERSION and node-gyp $NODE_GYP_VERSION for the IDE into $TOOLS (once)"
    rm -rf "$TOOLS"
    mkdir -p "$TOOLS"
    (cd "$TOOLS" && echo '{"private":true}' >package.json &&
        npm install "${npm_quiet[@]}" --ignore-scripts "$(basename "$NODE_PKG")@$NODE_VERSION" \
            "node-gyp@$NODE_GYP_VERSION" >&2) || { log "npm install of node and node-gyp failed"; exit 1; }
    [ -x "$NODE" ] || { log "no node binary in $NODE_PKG (unsupported machine $(uname -m)?)"; exit 1; }
}

# node-gyp for the IDE's node, against its own headers (include/node).
node_gyp() {
    PATH=$(dirname "$NODE"):$PATH "$NODE" "$NODE_GYP_JS" "$@" --nodedir="$NODE_PKG"
}

install_code_server() {
    [ -f "$STAMP" ] && [ -f "$CS/out/node/entry.js" ] && return 0
    local t0=$SECONDS
    log "installing code-server $VERSION into $PREFIX (once; about 300 MB)"
    rm -rf "$PREFIX" "$STAMP"
    mkdir -p "$PREFIX"
    (cd "$PREFIX" && echo '{"private":true}' >package.json &&
        npm install "${npm_quiet[@]}" --ignore-scripts "code-server@$VERSION" >&2)
    # The two dependency trees, then the five native modules, are independent:
    # each group runs at once (the time is mostly waiting on the registry and
    # on the C++ compiler, one per core).
    (cd "$CS/lib/vscode" && npm install "${npm_quiet[@]}" --omit=dev --ignore-scripts >&2) &
    local vscode_pid=$!
    (cd "$CS/lib/vscode/extensions" && npm install "${npm_quiet[@]}" --omit=dev --ignore-scripts >&2) &
    local ext_pid=$!
    wait "$vscode_pid" || { log "npm install in lib/vscode failed"; exit 1; }
    wait "$ext_pid" || { log "npm install in lib/vscode/extensions failed"; exit 1; }
    local m pids=() names=()
    for m in node-pty @vscode/spdlog native-watchdog kerberos; do
        log "building $m"
        (cd "$CS/lib/vscode/node_modules/$m" && node_gyp rebuild >/dev/null 2>"$IDE/build-$(basename $m).log") &
        pids+=($!) names+=("$(basename $m)")
    done
    log "building argon2"
    # npm hoists argon2 next to code-server: let node find it.
    local argon2
    argon2=$(dirname "$(cd "$CS" && "$NODE" -p 'require.resolve("argon2/package.json")')")
    # node-pre-gyp run by our node itself, not through npx: npm exports its
    # own node_gyp setting to what it runs, and Debian's (its node-gyp 9 with
    # Debian's addon.gypi, which adds node 18's headers) built an argon2.node
    # that crashed code-server at start.
    local pre_gyp
    pre_gyp=$(dirname "$(cd "$argon2" && "$NODE" -p 'require.resolve("@mapbox/node-pre-gyp/package.json")')")/bin/node-pre-gyp
    (cd "$argon2" && PATH=$(dirname "$NODE"):$PATH npm_config_node_gyp="$NODE_GYP_JS" \
        "$NODE" "$pre_gyp" rebuild --build-from-source --nodedir="$NODE_PKG" >/dev/null 2>"$IDE/build-argon2.log") &
    pids+=($!) names+=(argon2)
    local i failed=0
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { log "building ${names[$i]} failed, see $IDE/build-${names[$i]}.log"; failed=1; }
    done
    [ "$failed" = 0 ] || exit 1
    # Every native module must load in the IDE's node (a wrong ABI crashes
    # code-server with no message at all).
    for m in "$CS/lib/vscode/node_modules/"{node-pty,@vscode/spdlog,native-watchdog,kerberos} "$argon2"; do
        (cd "$CS" && "$NODE" -e 'require(process.argv[1])' "$m") >/dev/null 2>&1 ||
            { log "the native module $(basename "$m") does not load in node $NODE_VERSION"; exit 1; }
    done
    # Debian's ripgrep instead of the one @vscode/ripgrep downloads.
    mkdir -p "$CS/lib/vscode/node_modules/@vscode/ripgrep/bin"
    cp /usr/bin/rg "$CS/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
    # Links code-server's own build would have made.
    ln -sfn node_modules "$CS/lib/vscode/node_modules.asar"
    ln -sfn code-linux.sh "$CS/lib/vscode/bin/remote-cli/code-server"
    ln -sfn browser-linux.sh "$CS/lib/vscode/bin/helpers/browser.sh"
    touch "$STAMP"
    log "code-server $VERSION installed in $((SECONDS - t0)) s"
}

export XDG_CONFIG_HOME=$IDE/xdg/config XDG_DATA_HOME=$IDE/xdg/data XDG_CACHE_HOME=$IDE/xdg/cache
USER_DATA=${user_data:-$IDE/user-data}
EXTENSIONS=$IDE/extensions
code_server() {
    "$NODE" "$CS/out/node/entry.js" --user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS" "$@"
}

# Reinstall the extension whenever the .vsix is newer than the last install.
install_extension() {
    [ -f "$VSIX" ] || { log "$VSIX is missing: run make first"; exit 1; }
    local stamp=$IDE/.extension-installed
    [ -f "$stamp" ] && [ "$stamp" -nt "$VSIX" ] && return 0
    log "installing the osdbg extension"
    code_server --install-extension "$VSIX" --force >&2
    touch "$stamp"
}

# The workspace is the project itself; F5 needs a launch configuration.
prepare_workspace() {
    mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$USER_DATA/User"
    # (The project commits one; this is for a tree where it was removed.)
    if [ ! -f "$TOP/.vscode/launch.json" ]; then
        mkdir -p "$TOP/.vscode"
        cat >"$TOP/.vscode/launch.json" <<'EOF'
{
  "version": "0.2.0",
  "configurations": [
    {
      "type": "osdbg",
      "request": "launch",
      "name": "osdbg: boot the reference OS (run=hello)",
      "profile": "${workspaceFolder}/profiles/osdbg-kernel.json",
      "bootArgs": "run=hello",
      "stopOnEntry": false
    }
  ]
}
EOF
    fi
    # Quiet first start: no welcome page, no trust prompt, nothing phones home.
    [ -f "$USER_DATA/User/settings.json" ] || cat >"$USER_DATA/User/settings.json" <<'EOF'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "debug.focusEditorOnBreak": false,
  "files.autoSave": "off"
}
EOF
}

free_port() {
    "$NODE" -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

mkdir -p "$IDE"
install_node
if [ "$print_node" = 1 ]; then
    echo "$NODE"
    exit 0
fi
install_code_server
install_extension
prepare_workspace
[ "$install_only" = 1 ] && exit 0

# One server per user data folder: a second one on the same folder fought
# the first over its state (and its Ctrl-C removed the first one's
# code-server-ipc.sock).  A second `make ide` tells where the first serves.
RUNNING=$USER_DATA/osdbg-ide.running # pid, URL, password note; mode 0600
if [ -f "$RUNNING" ]; then
    read -r old_pid <"$RUNNING" || old_pid=
    if [ -n "$old_pid" ] && kill -0 "$old_pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$old_pid/cmdline" 2>/dev/null | grep -q -- "--user-data-dir $USER_DATA "; then
        log "already running (pid $old_pid) on this user data; not starting a second one"
        tail -n +2 "$RUNNING"
        exit 0
    fi
fi

port=${port:-$(free_port)}
args=(--bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check --disable-workspace-trust
    --disable-getting-started-override --ignore-last-opened)
if [ "$auth" = none ]; then
    args+=(--auth none)
    note="no password: it listens on 127.0.0.1 only, but anyone logged in to this machine can open it"
else
    # A fresh password per start, kept out of the command line (PASSWORD).
    PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    export PASSWORD
    args+=(--auth password)
    note="password: $PASSWORD"
fi
echo "osdbg IDE: http://127.0.0.1:$port/?folder=$TOP"
echo "osdbg IDE: $note"
echo "osdbg IDE: F5 boots the reference OS under the debugger; Ctrl-C here stops the IDE"
# exec keeps this pid: it is code-server's.
(umask 077 && printf '%s\nosdbg IDE: http://127.0.0.1:%s/?folder=%s\nosdbg IDE: %s\n' "$$" "$port" "$TOP" \
    "$note" >"$RUNNING")
exec "$NODE" "$CS/out/node/entry.js" --user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS" \
    "${args[@]}" "$TOP"
