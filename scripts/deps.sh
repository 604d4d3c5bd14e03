#!/usr/bin/env bash
# Install every Debian package osdbg needs, and nothing that is already there.
# Idempotent and cheap when all is present (one dpkg-query), so `make` and
# `make test` call it every time.  Needs root or sudo only when something is
# missing.  Node.js/npm are taken from the machine if present (the project
# needs node >= 18 for node:test), else from Debian; the browser IDE brings
# its own node 20 from the npm registry (scripts/ide.sh).
#
# Installs go with --no-install-recommends, so a package that another one
# only *recommends* must be named here (libc6-dev-riscv64-cross, python3 for
# node-gyp, ca-certificates for npm).  `make fresh-check` proves the list on
# a new Debian root.
set -euo pipefail

packages=(
    # building the reference kernel and its C user programs
    gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf cpio
    # the Rust user program and the Rust kernel (rkernel/): Debian's rustc with the
    # core and alloc sources, and the crates the kernel uses
    rustc rust-src librust-compiler-builtins-dev librust-spin-dev librust-lazy-static-dev
    librust-bitflags-dev
    # Rust values as rust-gdb shows them: the pretty-printers Rust ships
    rust-gdb
    # running and debugging it; qemu-img (qemu-utils) makes a recording's snapshot image
    qemu-system-misc qemu-utils opensbi gdb-multiarch
    # eBPF toolchain and the JIT's tests under user-mode emulation
    # (gcc-riscv64-linux-gnu only recommends its libc headers)
    clang lld llvm qemu-user gcc-riscv64-linux-gnu libc6-dev-riscv64-cross libbpf-dev
    # Linux uapi headers: tests/bpf compares the bpf() layouts with linux/bpf.h
    linux-libc-dev
    # libFuzzer and the sanitizer runtimes for clang (only Recommended by clang)
    libclang-rt-14-dev
    # host program libraries and unit tests
    build-essential pkg-config libjansson-dev libelf-dev libdw-dev libiberty-dev libcmocka-dev
    # the VS Code extension's .vsix; code-server's native modules (make ide: node-gyp runs
    # python3); npm's HTTPS to the registry; the browser e2e test
    zip libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev python3 ripgrep ca-certificates chromium
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
for p in "${packages[@]}"; do
    grep -qx "$p installed" <<<"$installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
sudo=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; refresh them when they are missing or old.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -1)" ]; then
    $sudo apt-get update -qq
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
