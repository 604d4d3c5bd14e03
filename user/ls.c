/* ls: list the ramdisk's files with their sizes.  Reading the root
 * directory yields one name per line (kernel/file.c). */
#include "ulib.h"

int main(void)
{
    int dir = open("/", O_RDONLY);
    if (dir < 0) {
        printf("ls: %s\n", strerror(dir));
        return 1;
    }
    char name[64];
    while (getline_fd(dir, name, sizeof name) > 0) {
        char *nl = strchr(name, '\n');
        if (nl)
            *nl = 0;
        struct ustat st;
        int fd = open(name, O_RDONLY);
        if (fd >= 0 && fstat(fd, &st) == 0)
            printf("%8lu %s\n", (unsigned long)st.size, name);
        else
            printf("       ? %s\n", name);
        if (fd >= 0)
            close(fd);
    }
    close(dir);
    return 0;
}
