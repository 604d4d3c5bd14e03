/*
 * bughunt: a small bank whose audit finds money missing.
 *
 * DELIBERATELY BUGGY, for docs/bug-hunt.md: a student's off-by-one in
 * copy_name() writes one byte past an 8-byte name, into the low byte of the
 * next field (ledger[2].balance: 1000 = 0x3e8 becomes 0x300 = 768).  The audit
 * reports it long after, in another part of the program.  Do not fix it: the
 * walk-through and tests/kernel/bughunt.test.mjs rely on the bug.
 *
 * Shape: open the accounts, register their owners, fork; the child does
 * transactions on its own copy of the ledger (account 2 among them), the
 * parent on accounts 0, 1 and 3 only; the parent waits and audits by replaying
 * its journal from the opening balances.
 */
#include "ulib.h"

#define N 4
#define INITIAL 1000
#define ROUNDS 25

struct account {
    char owner[8]; /* not NUL-terminated when the name has 8 characters */
    long balance;  /* follows owner directly: offset 8 */
};

struct account ledger[N];

/* The parent's journal of transfers, which the audit replays. */
struct transfer {
    int from, to;
    long amount;
};
static struct transfer journal[3 * ROUNDS];
static int journalled;

static const char *const owners[N] = {"amy", "ben", "studentC", "dora"};

/* Copy the name src into dst, a field of n bytes. */
void copy_name(char *dst, const char *src, int n)
{
    /* the bug: */
    for (int i = 0; i <= n; i++) {
        dst[i] = src[i]; /* writes dst[n] too */
        if (src[i] == 0)
            break;
    }
}

static void transfer(int from, int to, long amount)
{
    ledger[from].balance -= amount;
    ledger[to].balance += amount;
    journal[journalled++] = (struct transfer){from, to, amount};
}

static void open_accounts(void)
{
    for (int i = 0; i < N; i++)
        ledger[i].balance = INITIAL;
    for (int i = 0; i < N; i++)
        copy_name(ledger[i].owner, owners[i], sizeof ledger[i].owner);
}

/* The child's transactions: account 2 pays and is paid, in its own copy. */
static void child_business(void)
{
    for (int r = 0; r < ROUNDS; r++) {
        transfer(2, r % 2, 10);
        transfer(3, 2, 7);
    }
    printf("bughunt: child %d did %d transactions\n", getpid(), journalled);
    exit(0);
}

/* Replay the journal from the opening balances; compare with the ledger. */
static int audit(void)
{
    long expected[N];
    for (int i = 0; i < N; i++)
        expected[i] = INITIAL;
    for (int k = 0; k < journalled; k++) {
        expected[journal[k].from] -= journal[k].amount;
        expected[journal[k].to] += journal[k].amount;
    }
    for (int i = 0; i < N; i++)
        if (ledger[i].balance != expected[i]) {
            long has = ledger[i].balance, want = expected[i];
            printf("bughunt: ledger corrupted: account %d has %d, expected %d\n", i, (int)has, (int)want); /* the symptom */
            return 1;
        }
    return 0;
}

int main(void)
{
    open_accounts();
    printf("bughunt: %d accounts opened with %d each\n", N, INITIAL);
    int pid = fork();
    if (pid == 0)
        child_business();
    for (int r = 0; r < ROUNDS; r++) {
        transfer(0, 1, 30);
        transfer(1, 3, 20);
        transfer(3, 0, 5 + r);
    }
    int status = -1;
    wait(pid, &status);
    if (audit())
        return 1;
    printf("bughunt: ledger ok\n");
    return 0;
}
