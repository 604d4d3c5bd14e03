/* matrix: multiply two small matrices in work() and print a checksum. */
#include "ulib.h"

#define N 8

static long a[N][N], b[N][N], c[N][N];

/* c = a * b; returns the sum of c's elements. */
long work(int n)
{
    long sum = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            long acc = 0;
            for (int k = 0; k < n; k++)
                acc += a[i][k] * b[k][j];
            c[i][j] = acc;
            sum += acc;
        }
    }
    return sum;
}

int main(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            a[i][j] = i + j;
            b[i][j] = i == j ? 2 : 0; /* 2 * identity: c = 2a */
        }
    }
    long sum = work(N);
    printf("matrix: %dx%d product checksum %ld\n", N, N, sum);
    return 0;
}
