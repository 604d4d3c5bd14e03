/*
 * The identity of an ELF file, for telling whether a recording still fits
 * the kernel and programs it was made with (recording.c): the linker's
 * NT_GNU_BUILD_ID note (ld --build-id), in hex, or for an ELF without one
 * "sha:" and a content hash of the whole file.
 */
#ifndef ADAPTER_MACHINE_BUILDID_H
#define ADAPTER_MACHINE_BUILDID_H

#include <stdbool.h>
#include <stddef.h>

#define BUILDID_MAX 128 /* hex of a 64-byte note, or "sha:" and 16 hex digits */

/* True if path is an ELF executable (ET_EXEC or ET_DYN): what a user
 * program folder holds besides objects and data files. */
bool buildid_is_executable(const char *path);

/* The build id of the ELF at path into out ("0f3a..." or "sha:..."). 0, or
 * -1 with err (the file cannot be read, or is not an ELF). */
int buildid_of(const char *path, char *out, size_t n, char *err, size_t errlen);

/* The content hash of any file ("sha:" and 16 hex digits), as buildid_of
 * gives for an ELF without a note: a disk image's identity.  0, or -1 with
 * err. */
int buildid_content_of(const char *path, char *out, size_t n, char *err, size_t errlen);

#endif
