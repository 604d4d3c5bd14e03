/*
 * e2e_funcs.S - functions the end-to-end test probes on a real (emulated)
 * hart: a mix of 2- and 4-byte instructions of every class.  They live in a
 * writable+executable section so the test's port can patch them.
 *
 *   probed(n) = sum(helper(k), k = n..1) + konst, through helper2 (identity)
 *   helper(x) = 3 * x
 */
    .option norelax
    .section .probe_text, "awx"
    .balign 4
    .globl probed, probed_end, helper, helper_end, helper2, helper2_end
probed:
    addi sp, sp, -32            /* c.addi16sp   STEP */
    sd ra, 24(sp)               /* c.sdsp       STEP */
    sd s0, 16(sp)
    sd s1, 8(sp)
    mv s0, a0                   /* c.mv         STEP */
    li s1, 0                    /* c.li         STEP */
1:
    .option push
    .option norvc
    beq s0, zero, 2f            /* beq          SIMULATE (4 bytes) */
    .option pop
    mv a0, s0
    jal ra, helper              /* jal          SIMULATE */
    add s1, s1, a0              /* c.add        STEP */
    addi s0, s0, -1             /* c.addi       STEP */
    bltu zero, s0, 1b           /* bltu         SIMULATE */
    j 1b                        /* c.j          SIMULATE (taken once, at n = 0) */
2:
.Lk:
    auipc t1, %pcrel_hi(konst)  /* auipc        SIMULATE */
    ld t1, %pcrel_lo(.Lk)(t1)   /* ld           STEP (4 bytes) */
    add a0, s1, t1              /* add          STEP (4 bytes) */
.Lh:
    auipc t2, %pcrel_hi(helper2)
    addi t2, t2, %pcrel_lo(.Lh)
    jalr t2                     /* c.jalr       SIMULATE */
    ld ra, 24(sp)               /* c.ldsp       STEP */
    ld s0, 16(sp)
    ld s1, 8(sp)
    addi sp, sp, 32
    ret                         /* c.jr         SIMULATE */
probed_end:

helper:
    slli t0, a0, 1              /* slli         STEP (4 bytes) */
    add a0, a0, t0              /* c.add */
    bnez a0, 1f                 /* c.bnez       SIMULATE */
    nop
1:  ret
helper_end:

helper2:
    .option push
    .option norvc
    jalr zero, 0(ra)            /* jalr         SIMULATE (4 bytes) */
    .option pop
helper2_end:

    .section .rodata
    .balign 8
konst:
    .dword 1000
