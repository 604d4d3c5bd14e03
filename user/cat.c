/* cat: print files of the ramdisk (or standard input) to standard output. */
#include "ulib.h"

static int copy(int fd)
{
    char buf[256];
    long n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        write(1, buf, (size_t)n);
    return n < 0 ? (int)n : 0;
}

int main(int argc, char *argv[])
{
    if (argc < 2)
        return copy(0) < 0;
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            printf("cat: %s: %s\n", argv[i], strerror(fd));
            status = 1;
            continue;
        }
        if (copy(fd) < 0)
            status = 1;
        close(fd);
    }
    return status;
}
