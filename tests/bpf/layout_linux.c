/* Offsets of union bpf_attr fields and uapi numbers, from Linux's own
 * header (linux-libc-dev), to compare with include/osdbg/bpf_attr.h. */
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>

#define OFF(name, field) printf("%s %zu\n", name, offsetof(union bpf_attr, field))

int main(void)
{
    OFF("map_create.map_type", map_type);
    OFF("map_create.key_size", key_size);
    OFF("map_create.value_size", value_size);
    OFF("map_create.max_entries", max_entries);
    OFF("map_create.map_flags", map_flags);
    OFF("map_create.map_name", map_name);
    OFF("map_elem.map_fd", map_fd);
    OFF("map_elem.key", key);
    OFF("map_elem.value", value);
    OFF("map_elem.flags", flags);
    OFF("prog_load.prog_type", prog_type);
    OFF("prog_load.insn_cnt", insn_cnt);
    OFF("prog_load.insns", insns);
    OFF("prog_load.license", license);
    OFF("prog_load.log_level", log_level);
    OFF("prog_load.log_size", log_size);
    OFF("prog_load.log_buf", log_buf);
    OFF("prog_load.prog_name", prog_name);
    OFF("test_run.prog_fd", test.prog_fd);
    OFF("test_run.retval", test.retval);
    OFF("test_run.repeat", test.repeat);
    OFF("test_run.duration", test.duration);
    OFF("test_run.ctx_size_in", test.ctx_size_in);
    OFF("test_run.ctx_in", test.ctx_in);
    OFF("test_run.ctx_out", test.ctx_out);
    OFF("link_create.prog_fd", link_create.prog_fd);
    OFF("link_create.attach_type", link_create.attach_type);
    OFF("link_create.kprobe_multi.flags", link_create.kprobe_multi.flags);
    OFF("link_create.kprobe_multi.cnt", link_create.kprobe_multi.cnt);
    OFF("link_create.kprobe_multi.syms", link_create.kprobe_multi.syms);
    OFF("link_create.kprobe_multi.addrs", link_create.kprobe_multi.addrs);
    printf("BPF_MAP_CREATE %d\nBPF_PROG_LOAD %d\nBPF_PROG_TEST_RUN %d\nBPF_LINK_CREATE %d\n",
           BPF_MAP_CREATE, BPF_PROG_LOAD, BPF_PROG_TEST_RUN, BPF_LINK_CREATE);
    printf("BPF_TRACE_KPROBE_MULTI %d\nBPF_F_KPROBE_MULTI_RETURN %d\nsizeof %zu\n",
           BPF_TRACE_KPROBE_MULTI, BPF_F_KPROBE_MULTI_RETURN, sizeof(union bpf_attr));
    return 0;
}
