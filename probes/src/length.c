/*
 * length.c - instruction lengths and instruction boundaries.
 *
 * RISC-V instructions are a sequence of 16-bit parcels; the length is coded
 * in the low bits of the first parcel (unprivileged spec §1.5, "Expanded
 * Instruction-Length Encoding"):
 *
 *     xxxxxxxxxxxxxxaa  aa != 11       16-bit (C extension)
 *     xxxxxxxxxxxbbb11  bbb != 111     32-bit
 *     xxxxxxxxxx011111                 48-bit
 *     xxxxxxxxx0111111                 64-bit
 *     xnnnxxxxx1111111 nnn != 111      (80 + 16*nnn)-bit  (not decoded: reserved)
 *     x111xxxxx1111111                 >= 192-bit, reserved
 *
 * Code is not self-synchronising: the only way to know whether an address
 * starts an instruction is to decode lengths forward from a known start.
 */
#include "internal.h"

unsigned rvprobe_insn_len(uint16_t first)
{
    if ((first & 0x3) != 0x3)
        return 2;
    if ((first & 0x1c) != 0x1c)
        return 4;
    if ((first & 0x3f) == 0x1f)
        return 6;
    if ((first & 0x7f) == 0x3f)
        return 8;
    /* 80..176-bit encodings have no ratified instructions; the engine
       treats them, like the >= 192-bit space, as undecodable. */
    return 0;
}

int rvprobe_check_boundary(const uint8_t *code, size_t len, uint64_t func_start, uint64_t addr)
{
    if (!code)
        return RVPROBE_EINVAL;
    if (addr < func_start || addr - func_start >= len)
        return RVPROBE_ERANGE;
    uint64_t want = addr - func_start;
    uint64_t off = 0;
    while (off < want) {
        if (len - off < 2)
            return RVPROBE_ENOTBOUNDARY;
        unsigned n = rvprobe_insn_len((uint16_t)rvp_le(code + off, 2));
        if (n == 0)
            return RVPROBE_ENOTBOUNDARY; /* cannot decode past this point */
        off += n;
    }
    if (off != want)
        return RVPROBE_ENOTBOUNDARY;
    if (len - off < 2)
        return RVPROBE_ERANGE;
    unsigned n = rvprobe_insn_len((uint16_t)rvp_le(code + off, 2));
    if (n == 0)
        return RVPROBE_EREFUSED;
    if (n > len - off)
        return RVPROBE_ERANGE; /* the instruction runs past the code given */
    return (int)n;
}

const char *rvprobe_strerror(int err)
{
    switch (err) {
    case RVPROBE_OK:
        return "ok";
    case RVPROBE_EINVAL:
        return "invalid argument";
    case RVPROBE_ENOTBOUNDARY:
        return "address is not an instruction boundary";
    case RVPROBE_ERANGE:
        return "address is outside the function";
    case RVPROBE_EREFUSED:
        return "instruction cannot be probed";
    case RVPROBE_EEXIST:
        return "a probe is already armed at this address";
    case RVPROBE_ENOSPC:
        return "no free probe entry or slot";
    case RVPROBE_EPORT:
        return "the port failed (read, write, slot or trampoline)";
    case RVPROBE_EBUSY:
        return "return probes still in flight";
    case RVPROBE_ESTATE:
        return "probe is not in the right state";
    }
    return "unknown error";
}
