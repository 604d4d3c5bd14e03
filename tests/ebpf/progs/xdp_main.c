/* --elf test: `main` in a section of its own, as bpf_conformance_runner
 * --xdp_prolog true writes it (section "xdp", function "main"). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int main(void)
{
    return 7;
}

char LICENSE[] SEC("license") = "GPL";
