/*
 * version.h - the release of osdbg, printed by `osdbg --version` and
 * `ebpf-run --version`.  The VS Code extension's package.json carries the
 * same number (tests/adapter/test_cli.sh checks that they agree).
 */
#ifndef OSDBG_VERSION_H
#define OSDBG_VERSION_H

#define OSDBG_VERSION "0.5.0"

#endif
