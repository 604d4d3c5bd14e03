/* The same facts from include/osdbg/bpf_attr.h (see layout_linux.c). */
#include <osdbg/bpf_attr.h>
#include <stddef.h>
#include <stdio.h>

#define OFF(name, type, field) printf("%s %zu\n", name, offsetof(struct type, field))

int main(void)
{
    OFF("map_create.map_type", bpf_attr_map_create, map_type);
    OFF("map_create.key_size", bpf_attr_map_create, key_size);
    OFF("map_create.value_size", bpf_attr_map_create, value_size);
    OFF("map_create.max_entries", bpf_attr_map_create, max_entries);
    OFF("map_create.map_flags", bpf_attr_map_create, map_flags);
    OFF("map_create.map_name", bpf_attr_map_create, map_name);
    OFF("map_elem.map_fd", bpf_attr_map_elem, map_fd);
    OFF("map_elem.key", bpf_attr_map_elem, key);
    OFF("map_elem.value", bpf_attr_map_elem, value);
    OFF("map_elem.flags", bpf_attr_map_elem, flags);
    OFF("prog_load.prog_type", bpf_attr_prog_load, prog_type);
    OFF("prog_load.insn_cnt", bpf_attr_prog_load, insn_cnt);
    OFF("prog_load.insns", bpf_attr_prog_load, insns);
    OFF("prog_load.license", bpf_attr_prog_load, license);
    OFF("prog_load.log_level", bpf_attr_prog_load, log_level);
    OFF("prog_load.log_size", bpf_attr_prog_load, log_size);
    OFF("prog_load.log_buf", bpf_attr_prog_load, log_buf);
    OFF("prog_load.prog_name", bpf_attr_prog_load, prog_name);
    OFF("test_run.prog_fd", bpf_attr_test_run, prog_fd);
    OFF("test_run.retval", bpf_attr_test_run, retval);
    OFF("test_run.repeat", bpf_attr_test_run, repeat);
    OFF("test_run.duration", bpf_attr_test_run, duration);
    OFF("test_run.ctx_size_in", bpf_attr_test_run, ctx_size_in);
    OFF("test_run.ctx_in", bpf_attr_test_run, ctx_in);
    OFF("test_run.ctx_out", bpf_attr_test_run, ctx_out);
    OFF("link_create.prog_fd", bpf_attr_link_create, prog_fd);
    OFF("link_create.attach_type", bpf_attr_link_create, attach_type);
    OFF("link_create.kprobe_multi.flags", bpf_attr_link_create, kprobe_multi.flags);
    OFF("link_create.kprobe_multi.cnt", bpf_attr_link_create, kprobe_multi.cnt);
    OFF("link_create.kprobe_multi.syms", bpf_attr_link_create, kprobe_multi.syms);
    OFF("link_create.kprobe_multi.addrs", bpf_attr_link_create, kprobe_multi.addrs);
    printf("BPF_MAP_CREATE %d\nBPF_PROG_LOAD %d\nBPF_PROG_TEST_RUN %d\nBPF_LINK_CREATE %d\n",
           BPF_MAP_CREATE, BPF_PROG_LOAD, BPF_PROG_TEST_RUN, BPF_LINK_CREATE);
    printf("BPF_TRACE_KPROBE_MULTI %d\nBPF_F_KPROBE_MULTI_RETURN %d\nsizeof %d\n",
           BPF_TRACE_KPROBE_MULTI, (int)BPF_F_KPROBE_MULTI_RETURN, BPF_ATTR_SIZE);
    return 0;
}
