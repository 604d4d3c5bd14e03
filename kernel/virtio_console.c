/* Placeholder until the virtio console driver lands: no device. */
#include "virtio_console.h"

int virtio_console_init(void)
{
    return -1;
}

bool dbgchan_present(void)
{
    return false;
}

size_t dbgchan_send(const void *data, size_t len)
{
    (void)data;
    (void)len;
    return 0;
}

void dbgchan_set_receiver(dbgchan_receiver fn)
{
    (void)fn;
}

void dbgchan_echo_mode(void)
{
}

void virtio_console_intr(int irq)
{
    (void)irq;
}
