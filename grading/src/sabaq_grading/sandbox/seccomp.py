"""The sandbox's system call filter: the kernel's key management calls, refused.

Kernel keyrings are not tied to any of the namespaces the sandbox has of its own (they belong
to the user namespace, which it shares with the machine), so a key a submission adds, with
permissions open to every user, outlives the submission and can be read by any later or
concurrent one, in any sandbox. No grading needs them: ``add_key``, ``request_key`` and
``keyctl`` fail with ENOSYS, as on a kernel built without keys. System calls of another ABI
than the interpreter's own (32-bit calls from a 64-bit process, x32) are refused the same way:
their numbers differ, so they would slip past the filter.

The program is classic BPF as bubblewrap's ``--seccomp`` takes it (what libseccomp's
``seccomp_export_bpf`` writes), built here for x86-64 and AArch64.
"""

from __future__ import annotations

import contextlib
import os
import platform
import struct
from collections.abc import Iterator

_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K = 0x20, 0x15, 0x45, 0x06
_ARCH_OFFSET, _NR_OFFSET = 4, 0  # struct seccomp_data: int nr; __u32 arch; ...
_ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
_ENOSYS = 0x00050000 | 38  # SECCOMP_RET_ERRNO | ENOSYS

# machine -> (AUDIT_ARCH_*, bit that marks another ABI's calls, add_key, request_key, keyctl)
_ABIS = {
    "x86_64": (0xC000003E, 0x40000000, (248, 249, 250)),  # the x32 bit
    "aarch64": (0xC00000B7, 0, (217, 218, 219)),
}
REFUSED = ("add_key", "request_key", "keyctl")


def supported() -> bool:
    """Whether this machine's architecture has a filter (else the sandbox starts without one)."""
    return platform.machine() in _ABIS


def program(machine: str | None = None) -> bytes:
    """The filter for ``machine`` (this one by default)."""
    arch, foreign_bit, numbers = _ABIS[machine or platform.machine()]
    checks = ([(_JSET_K, foreign_bit)] if foreign_bit else []) + [(_JEQ_K, number) for number in numbers]
    deny = 4 + len(checks) + 1  # the index of the final "refuse", after the checks and "allow"
    code = [(_LD_W_ABS, 0, 0, _ARCH_OFFSET),
            (_JEQ_K, 1, 0, arch),  # our own ABI: go on; any other: refused
            (_RET_K, 0, 0, _ENOSYS),
            (_LD_W_ABS, 0, 0, _NR_OFFSET)]
    for index, (op, value) in enumerate(checks, start=4):
        code.append((op, deny - index - 1, 0, value))
    code += [(_RET_K, 0, 0, _ALLOW), (_RET_K, 0, 0, _ENOSYS)]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


@contextlib.contextmanager
def program_fd() -> Iterator[int | None]:
    """A file descriptor holding :func:`program`, positioned at its start, for bubblewrap to
    read (``--seccomp FD``; pass it to the child), or None on a machine without a filter;
    closed on leaving."""
    if not supported():
        yield None
        return
    fd = os.memfd_create("sabaq-seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, program())
        os.lseek(fd, 0, os.SEEK_SET)
        yield fd
    finally:
        os.close(fd)
