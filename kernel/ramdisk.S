// The read-only file system image (a cpio newc archive, see ramfs.c), built
// by user/user.mk and included here.  RAMDISK_PATH comes from the Makefile.
        .section .rodata
        .balign 16
        .globl ramdisk_start, ramdisk_end
ramdisk_start:
        .incbin RAMDISK_PATH
ramdisk_end:
