/*
 * Unix stream sockets, the adapter's way to QEMU's chardevs and to its own
 * terminals: listen on a path, connect to one, send a whole buffer.
 */
#ifndef ADAPTER_USOCK_H
#define ADAPTER_USOCK_H

#include <stddef.h>

/* A listening socket at path (close-on-exec), or -1 with a reason in err. */
int usock_listen(const char *path, int backlog, char *err, size_t errlen);
/* A socket connected to path (close-on-exec), or -1 with a reason in err. */
int usock_connect(const char *path, char *err, size_t errlen);
/* Send all of data unless the peer is gone (no SIGPIPE); 0, or -1. */
int usock_send_all(int fd, const void *data, size_t len);

#endif
