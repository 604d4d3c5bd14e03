# GDB's side of test_rustlog.c: stop the Rust kernel in QEMU where a
# logpoint would fire and say what GDB sees there, as lines the test parses:
#   reg N VALUE            x1..x31 (decimal)
#   mem ADDR HEX           memory the program may read (stack, text of &str)
#   val EXPR VALUE         a variable or member by GDB's own DWARF reading: an integer
#                          (decimal; bool and char as numbers), a pointer or
#                          reference (its address), a &str (its text in hex)
# Settings come from the environment: RUSTLOG_SOCK (QEMU's gdb socket),
# RUSTLOG_PC (hex), RUSTLOG_PROGRAM (a user program's name, or empty),
# RUSTLOG_VARS (expressions, space separated), RUSTLOG_USER_ELF.
import os
import time

import gdb

sock = os.environ["RUSTLOG_SOCK"]
pc = int(os.environ["RUSTLOG_PC"], 16)
program = os.environ.get("RUSTLOG_PROGRAM", "")
names = os.environ.get("RUSTLOG_VARS", "").split()

gdb.execute("set pagination off")
gdb.execute("set confirm off")
for _ in range(100):  # QEMU makes its socket a moment after it starts
    try:
        gdb.execute("target remote " + sock, to_string=True)
        break
    except gdb.error:
        time.sleep(0.1)
inferior = gdb.selected_inferior()

condition = ""
if program:
    # Every program is linked at 0x10000: stop at pc only in the address
    # space exec gave this program (os::task::task::exec_commit's satp).
    gdb.execute("add-symbol-file " + os.environ["RUSTLOG_USER_ELF"], to_string=True)
    gdb.execute("break os::task::task::exec_commit", to_string=True)
    while True:
        gdb.execute("continue", to_string=True)
        path = gdb.parse_and_eval("path")
        text = bytes(inferior.read_memory(int(path["data_ptr"]), int(path["length"])))
        if text.decode() == program:
            condition = " if $satp == %d" % int(gdb.parse_and_eval("satp"))
            break
    gdb.execute("delete", to_string=True)
gdb.execute("break *0x%x%s" % (pc, condition), to_string=True)
gdb.execute("continue", to_string=True)

frame = gdb.selected_frame()
for n in range(1, 32):
    print("reg %d %d" % (n, int(frame.read_register("x%d" % n)) & (2**64 - 1)))


def dump(addr, length):
    print("mem %d %s" % (addr, bytes(inferior.read_memory(addr, length)).hex()))


sp, fp = int(frame.read_register("sp")), int(frame.read_register("s0"))
dump(sp, min(max(fp - sp, 0), 4096))  # the frame: -O0 keeps its slots between sp and fp
for name in names:
    v = gdb.parse_and_eval(name)  # in the stopped frame, in Rust
    t = v.type.strip_typedefs()
    if t.name in ("&str", "&mut str"):
        length = int(v["length"])
        dump(int(v["data_ptr"]), length)
        print("val %s %s" % (name, bytes(inferior.read_memory(int(v["data_ptr"]), length)).hex()))
    else:
        if t.code == gdb.TYPE_CODE_PTR and t.target().sizeof:  # what self.cur reads
            try:
                dump(int(v), t.target().sizeof)
            except gdb.MemoryError:
                pass
        print("val %s %d" % (name, int(v) & (2**64 - 1)))
