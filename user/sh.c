/*
 * sh: the shell.  Reads a line, splits it into words, runs the program named
 * by the first word with the words as its arguments, waits for it.
 * Built-ins: exit, help.  Programs are files of the ramdisk (`ls` lists them).
 */
#include "ulib.h"

#define MAXWORDS 16

static void help(void)
{
    printf("commands: any program in the ramdisk (try `ls`), with arguments;\n"
           "built-ins: help, exit (powers the machine off)\n");
}

static int split(char *line, char *words[])
{
    int n = 0;
    char *s = line;
    while (*s && n < MAXWORDS) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            *s++ = 0;
        if (!*s)
            break;
        words[n++] = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n')
            s++;
    }
    words[n] = 0;
    return n;
}

int main(void)
{
    char line[128];
    char *words[MAXWORDS + 1];
    printf("osdbg shell; `help` lists what you can do\n");
    for (;;) {
        printf("$ ");
        if (getline_fd(0, line, sizeof line) == 0)
            break; /* end of input */
        int n = split(line, words);
        if (n == 0)
            continue;
        if (strcmp(words[0], "exit") == 0)
            break;
        if (strcmp(words[0], "help") == 0) {
            help();
            continue;
        }
        int pid = fork();
        if (pid < 0) {
            printf("sh: fork: %s\n", strerror(pid));
            continue;
        }
        if (pid == 0) {
            int err = exec(words[0], words);
            printf("sh: %s: %s\n", words[0], strerror(err));
            exit(127);
        }
        int status;
        wait(pid, &status);
        if (status != 0)
            printf("sh: %s exited with status %d\n", words[0], status);
    }
    return 0;
}
