"""The sandbox's system call filter, read instruction by instruction: what each call gets.

The live attack (a submission calling ``add_key``) is in ``test_limits.py``; this checks the
program for both architectures it is built for, including the paths this machine cannot take
(another ABI's calls), with a small classic-BPF interpreter."""

from __future__ import annotations

import struct

import pytest

from sabaq_grading.sandbox import seccomp

ALLOW, ENOSYS = 0x7FFF0000, 0x00050000 | 38


def verdict(program: bytes, arch: int, nr: int) -> int:
    """Run ``program`` on a call (struct seccomp_data: nr at 0, arch at 4) as the kernel does."""
    code = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    data, accumulator, pc = {0: nr, 4: arch}, 0, 0
    while True:
        op, jt, jf, k = code[pc]
        if op == 0x20:  # ld [k]
            accumulator = data[k]
        elif op == 0x15:  # jeq #k
            pc += jt if accumulator == k else jf
        elif op == 0x45:  # jset #k
            pc += jt if accumulator & k else jf
        elif op == 0x06:  # ret #k
            return k
        else:
            raise AssertionError(f"unexpected instruction {op:#x}")
        pc += 1


@pytest.mark.parametrize(("machine", "arch", "keys", "other"), [
    ("x86_64", 0xC000003E, (248, 249, 250), (0, 1, 57, 59, 435)),
    ("aarch64", 0xC00000B7, (217, 218, 219), (63, 64, 220, 221, 435)),
])
def test_only_the_key_calls_and_foreign_abis_are_refused(machine: str, arch: int, keys: tuple[int, ...],
                                                         other: tuple[int, ...]) -> None:
    program = seccomp.program(machine)
    for nr in keys:
        assert verdict(program, arch, nr) == ENOSYS
    for nr in other:  # read, write, clone, execve, clone3 ...
        assert verdict(program, arch, nr) == ALLOW
    assert verdict(program, 0x40000003, 5) == ENOSYS  # i386 (int 0x80 from a 64-bit process)
    assert verdict(program, 0x40000028, 5) == ENOSYS  # 32-bit ARM
    if machine == "x86_64":
        assert verdict(program, arch, 0x40000000 | 0) == ENOSYS  # x32: another ABI's numbering
