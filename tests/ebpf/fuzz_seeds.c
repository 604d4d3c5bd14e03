/*
 * fuzz_seeds.c DIR - writes a seed corpus for fuzz_ebpf: every program of
 * the RFC 9669 instruction table, plus programs that use maps and the ring
 * buffer the way the verifier accepts them, so the fuzzer starts from
 * inputs that reach the interpreter.
 */
#include <stdio.h>
#include <string.h>

#include "insn_cases.h"

static void put(const char *dir, const char *tag, unsigned i, const void *p, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s-%03u", dir, tag, i);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return;
    }
    fwrite(p, 1, len, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 1;
    for (unsigned i = 0; i < N_INSN_CASES; i++)
        put(argv[1], "rfc", i, insn_cases[i].prog, insn_cases[i].n * sizeof(struct ebpf_insn));
    static const struct ebpf_insn lookup[] = {MOV64_REG(6, 1),
                                              ST(BPF_W, 10, -4, 1),
                                              MOV64_REG(2, 10),
                                              ALU64_IMM(BPF_ADD, 2, -4),
                                              LD_MAP(1, 0),
                                              CALL(BPF_FUNC_map_lookup_elem),
                                              JMP_IMM(BPF_JEQ, 0, 0, 5),
                                              LDX(BPF_W, 1, 6, 0),
                                              ALU64_IMM(BPF_AND, 1, 15),
                                              ALU64_REG(BPF_ADD, 0, 1),
                                              LDX(BPF_B, 0, 0, 0),
                                              EXIT,
                                              MOV64_IMM(0, 0),
                                              EXIT};
    put(argv[1], "map", 0, lookup, sizeof(lookup));
    static const struct ebpf_insn ring[] = {LD_MAP(1, 2),
                                            MOV64_IMM(2, 8),
                                            MOV64_IMM(3, 0),
                                            CALL(BPF_FUNC_ringbuf_reserve),
                                            JMP_IMM(BPF_JEQ, 0, 0, 4),
                                            ST(BPF_DW, 0, 0, 7),
                                            MOV64_REG(1, 0),
                                            MOV64_IMM(2, 0),
                                            CALL(BPF_FUNC_ringbuf_submit),
                                            MOV64_IMM(0, 0),
                                            EXIT};
    put(argv[1], "ring", 0, ring, sizeof(ring));
    static const struct ebpf_insn loop[] = {LDX(BPF_B, 2, 1, 0),
                                            ALU64_IMM(BPF_AND, 2, 15),
                                            MOV64_IMM(0, 0),
                                            MOV64_IMM(1, 0),
                                            JMP_REG(BPF_JGE, 1, 2, 3),
                                            ALU64_IMM(BPF_ADD, 0, 2),
                                            ALU64_IMM(BPF_ADD, 1, 1),
                                            JA(-4),
                                            EXIT};
    put(argv[1], "loop", 0, loop, sizeof(loop));
    static const struct ebpf_insn probe[] = {MOV64_REG(1, 10),
                                             ALU64_IMM(BPF_ADD, 1, -16),
                                             MOV64_IMM(2, 16),
                                             MOV64_IMM(3, 0),
                                             CALL(BPF_FUNC_probe_read_kernel),
                                             LDX(BPF_DW, 0, 10, -16),
                                             EXIT};
    put(argv[1], "probe", 0, probe, sizeof(probe));
    return 0;
}
