"""QEMU's command line, as xv6's Makefile and the course graders write it.

Owns: which single-dash QEMU options ``rvemu`` accepts, what each means here, and the one-line
error for anything else.  ``split(argv)`` takes the QEMU options out of an argument list and
returns them as a ``QemuConfig`` plus the arguments left for rvemu's own parser (cli.py).

Accepted, each with QEMU's meaning (qemu-system-riscv64's manual):

    -machine virt | -M virt     the board (the only one; ``type=virt`` too)
    -bios none                  no firmware: every hart starts at the kernel's entry in M-mode
    -kernel ELF                 the kernel
    -m SIZE                     RAM: a number of MiB, or with a suffix K M G T (``size=`` too);
                                a whole number of MiB
    -smp N | -smp cpus=N        harts (``maxcpus`` only equal to cpus: no hotplug)
    -nographic, -display none, -serial stdio | mon:stdio
                                the console on stdio (what rvemu always does)
    -global virtio-mmio.force-legacy=false
                                virtio-mmio version 2 (the only version rvemu has)
    -drive file=F,if=none,format=raw,id=ID[,readonly=on|off]
    -device virtio-blk-device,drive=ID[,bus=virtio-mmio-bus.N]
                                a disk in virtio-mmio slot N; without bus=, the highest free
                                slot, as QEMU's virt board does (slot 7 first)
    -S                          hold every hart until a debugger continues (needs -gdb or -s)
    -gdb tcp::PORT | tcp:localhost:PORT | tcp:127.0.0.1:PORT
    -s                          -gdb tcp::1234
    -help, -version             rvemu's --help (which lists these) and --version

Anything else that looks like a QEMU option, and any property value rvemu cannot give (force-
legacy=true, if=virtio, format=qcow2, another machine, ...), raises QemuOptionError naming it:
rvemu never runs a machine different from the one asked for.  The gdb stub listens on
127.0.0.1 only, also for ``tcp::PORT`` (where QEMU listens on every address).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

DEFAULT_GDB_PORT = 1234           # what -s means
VIRTIO_SLOTS = 8                  # QEMU virt's virtio-mmio transports
MIN_MIB, MAX_MIB = 1, 16384
MAX_HARTS = 64

# The help text's QEMU section: each option at the start of a line, as QEMU's -help prints
# them (xv6's Makefile greps for '^-gdb').
HELP = """\
QEMU options (qemu-system-riscv64 -machine virt syntax, QEMU's meaning):
-machine virt, -M virt   the QEMU virt board (the only one)
-bios none               no firmware: harts start at the kernel entry in M-mode
-kernel ELF              the kernel ELF to boot
-m SIZE                  RAM size: MiB, or with suffix K/M/G/T (e.g. 128M, 1G)
-smp N, -smp cpus=N      number of harts
-nographic               console on stdio (always; also -display none, -serial mon:stdio)
-global virtio-mmio.force-legacy=false
                         virtio-mmio version 2 (rvemu has no legacy mode)
-drive file=IMG,if=none,format=raw,id=ID[,readonly=on]
                         a raw disk image, bound by -device
-device virtio-blk-device,drive=ID[,bus=virtio-mmio-bus.N]
                         the disk in virtio-mmio slot N (default: highest free slot)
-S                       hold every hart until the debugger continues
-gdb tcp::PORT           gdb server on 127.0.0.1:PORT (the guest runs until gdb connects)
-s                       shorthand for -gdb tcp::1234
-help, -version          this help, the version
"""


class QemuOptionError(Exception):
    """A QEMU option or property value rvemu does not support (the message names it)."""


@dataclass
class QemuDrive:
    file: str
    readonly: bool = False
    used: bool = False


@dataclass
class QemuConfig:
    """What the QEMU options asked for; None where they said nothing."""
    kernel: Optional[str] = None
    memory_mib: Optional[int] = None
    smp: Optional[int] = None
    drive: Optional[str] = None           # the disk bound to a virtio-blk-device
    drive_readonly: bool = False
    drive_slot: Optional[int] = None
    gdb_port: Optional[int] = None
    hold: bool = False                    # -S
    given: List[str] = field(default_factory=list)   # the options seen, in order


# ---- option values ----------------------------------------------------------------------------

def props(text: str, implied: Optional[str] = None) -> List[Tuple[str, str]]:
    """QEMU's key=value,key=value list (",," is a literal comma).  A first item without "="
    is the value of the implied key (``-smp 3`` is cpus=3)."""
    items, cur, i = [], [], 0
    while i < len(text):
        if text[i] == ",":
            if text[i + 1:i + 2] == ",":
                cur.append(",")
                i += 2
                continue
            items.append("".join(cur))
            cur = []
        else:
            cur.append(text[i])
        i += 1
    items.append("".join(cur))
    out = []
    for n, item in enumerate(items):
        key, eq, value = item.partition("=")
        if not eq:
            if n == 0 and implied is not None:
                key, value = implied, item
            else:
                raise QemuOptionError(f"{item!r}: expected key=value")
        out.append((key, value))
    return out


def parse_bool(option: str, key: str, value: str) -> bool:
    v = value.lower()
    if v in ("on", "yes", "true", "y"):
        return True
    if v in ("off", "no", "false", "n"):
        return False
    raise QemuOptionError(f"{option} {key}={value}: not a boolean (on/off)")


_SIZE = re.compile(r"(\d+(?:\.\d+)?)([bkmgtBKMGT]?)")
_SHIFT = {"": 20, "b": 0, "k": 10, "m": 20, "g": 30, "t": 40}


def parse_mib(text: str) -> int:
    """A QEMU -m size in MiB: '128', '128M', '1G', '1.5G', '131072K'.  A plain number is MiB."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise QemuOptionError(f"-m {text}: not a size (use e.g. 128, 128M or 1G)")
    whole, _, frac = m.group(1).partition(".")
    shift = _SHIFT[m.group(2).lower()]
    num, den = int(whole + frac), 10 ** len(frac)
    nbytes, rem = divmod(num << shift, den)
    if rem or nbytes % (1 << 20):
        raise QemuOptionError(f"-m {text}: rvemu needs a whole number of MiB")
    mib = nbytes >> 20
    if not MIN_MIB <= mib <= MAX_MIB:
        raise QemuOptionError(f"-m {text}: RAM must be between {MIN_MIB} MiB and {MAX_MIB} MiB")
    return mib


def parse_gdb(text: str) -> int:
    """-gdb's device: tcp::PORT, tcp:localhost:PORT or tcp:127.0.0.1:PORT."""
    m = re.fullmatch(r"tcp:([^:,]*):(\d+)", text)
    if not m:
        raise QemuOptionError(f"-gdb {text}: rvemu's gdb server takes tcp::PORT")
    if m.group(1) not in ("", "localhost", "127.0.0.1"):
        raise QemuOptionError(f"-gdb {text}: rvemu's gdb server listens on 127.0.0.1 only")
    port = int(m.group(2))
    if not 0 <= port <= 65535:
        raise QemuOptionError(f"-gdb {text}: port must be between 0 and 65535")
    return port


# ---- the options ------------------------------------------------------------------------------

NO_VALUE = {"-nographic", "-S", "-s", "-help", "-h", "-version"}
WITH_VALUE = {"-machine", "-M", "-bios", "-kernel", "-m", "-smp", "-global", "-drive",
              "-device", "-gdb", "-display", "-serial"}


class _Parser:
    def __init__(self):
        self.cfg = QemuConfig()
        self.drives: Dict[str, QemuDrive] = {}
        self.devices: List[Tuple[str, Optional[int]]] = []   # (drive id, slot or None)

    def option(self, opt: str, value: Optional[str]) -> None:
        self.cfg.given.append(opt)
        getattr(self, "opt_" + {"-M": "machine", "-s": "s_small", "-S": "S_hold",
                                "-h": "help"}.get(opt, opt[1:]))(opt, value)

    def opt_machine(self, opt, value):
        for key, v in props(value, "type"):
            if key == "type" and v == "virt":
                continue
            if key == "type":
                raise QemuOptionError(f"{opt} {v}: rvemu has only the virt machine")
            raise QemuOptionError(f"{opt} {key}={v}: machine property not supported")

    def opt_bios(self, opt, value):
        if value != "none":
            raise QemuOptionError(f"-bios {value}: rvemu runs no firmware; use -bios none "
                                  "(harts start at the kernel entry in M-mode)")

    def opt_kernel(self, opt, value):
        self.cfg.kernel = value

    def opt_m(self, opt, value):
        size = None
        for key, v in props(value, "size"):
            if key != "size":
                raise QemuOptionError(f"-m {key}={v}: not supported (only the RAM size)")
            size = v
        self.cfg.memory_mib = parse_mib(size or "")

    def opt_smp(self, opt, value):
        cpus = maxcpus = None
        for key, v in props(value, "cpus"):
            if key not in ("cpus", "maxcpus"):
                raise QemuOptionError(f"-smp {key}={v}: not supported (only cpus=N)")
            if not v.isdigit() or not 1 <= int(v) <= MAX_HARTS:
                raise QemuOptionError(f"-smp {key}={v}: must be between 1 and {MAX_HARTS}")
            if key == "cpus":
                cpus = int(v)
            else:
                maxcpus = int(v)
        if cpus is None:
            raise QemuOptionError(f"-smp {value}: give the number of harts (cpus=N)")
        if maxcpus is not None and maxcpus != cpus:
            raise QemuOptionError(f"-smp {value}: maxcpus must equal cpus (no hart hotplug)")
        self.cfg.smp = cpus

    def opt_nographic(self, opt, value):
        pass                               # the console is always on stdio

    def opt_display(self, opt, value):
        if value != "none":
            raise QemuOptionError(f"-display {value}: rvemu has no display (use -display none)")

    def opt_serial(self, opt, value):
        if value not in ("stdio", "mon:stdio"):
            raise QemuOptionError(f"-serial {value}: rvemu's UART is on stdio only")

    def opt_global(self, opt, value):
        name, eq, v = value.partition("=")
        if not eq:
            raise QemuOptionError(f"-global {value}: expected DRIVER.PROPERTY=VALUE")
        if name != "virtio-mmio.force-legacy":
            raise QemuOptionError(f"-global {name}: property not supported")
        if parse_bool("-global", name, v):
            raise QemuOptionError(f"-global {value}: rvemu's virtio-mmio is version 2 only "
                                  "(no legacy mode)")

    def opt_drive(self, opt, value):
        kv = props(value)
        keys = dict(kv)
        for key, v in kv:
            if key not in ("file", "if", "format", "id", "readonly", "media"):
                raise QemuOptionError(f"-drive {key}={v}: drive property not supported")
        if "file" not in keys or not keys["file"]:
            raise QemuOptionError(f"-drive {value}: needs file=IMAGE")
        if keys.get("if", "virtio") != "none":
            raise QemuOptionError(f"-drive if={keys.get('if', 'virtio (the default)')}: "
                                  "rvemu has no PCI; use if=none with -device virtio-blk-device")
        if keys.get("format", "raw") != "raw":
            raise QemuOptionError(f"-drive format={keys['format']}: only raw images")
        if keys.get("media", "disk") != "disk":
            raise QemuOptionError(f"-drive media={keys['media']}: only disks")
        if not keys.get("id"):
            raise QemuOptionError(f"-drive {value}: needs id=NAME for -device to bind it")
        if keys["id"] in self.drives:
            raise QemuOptionError(f"-drive id={keys['id']}: duplicate drive id")
        ro = parse_bool("-drive", "readonly", keys["readonly"]) if "readonly" in keys else False
        self.drives[keys["id"]] = QemuDrive(keys["file"], ro)

    def opt_device(self, opt, value):
        kv = props(value, "driver")
        driver = kv[0][1] if kv[0][0] == "driver" else ""
        if driver != "virtio-blk-device":
            raise QemuOptionError(f"-device {driver or value}: device not supported "
                                  "(only virtio-blk-device)")
        drive, slot = None, None
        for key, v in kv[1:]:
            if key == "drive":
                drive = v
            elif key == "bus":
                m = re.fullmatch(r"virtio-mmio-bus\.(\d+)", v)
                if not m or int(m.group(1)) >= VIRTIO_SLOTS:
                    raise QemuOptionError(f"-device bus={v}: no such bus (virtio-mmio-bus.0 "
                                          f"to virtio-mmio-bus.{VIRTIO_SLOTS - 1})")
                slot = int(m.group(1))
            else:
                raise QemuOptionError(f"-device virtio-blk-device {key}={v}: property not "
                                      "supported")
        if drive is None:
            raise QemuOptionError("-device virtio-blk-device: needs drive=ID")
        self.devices.append((drive, slot))

    def opt_S_hold(self, opt, value):
        self.cfg.hold = True

    def opt_s_small(self, opt, value):
        self._gdb(DEFAULT_GDB_PORT)

    def opt_gdb(self, opt, value):
        self._gdb(parse_gdb(value))

    def _gdb(self, port: int) -> None:
        if self.cfg.gdb_port is not None:
            raise QemuOptionError("-gdb/-s: only one gdb server")
        self.cfg.gdb_port = port

    def finish(self) -> QemuConfig:
        cfg = self.cfg
        taken = {slot for _, slot in self.devices if slot is not None}
        for drive_id, slot in self.devices:
            d = self.drives.get(drive_id)
            if d is None:
                raise QemuOptionError(f"-device virtio-blk-device,drive={drive_id}: no -drive "
                                      f"with id={drive_id}")
            if d.used:
                raise QemuOptionError(f"-device drive={drive_id}: drive already in use")
            if cfg.drive is not None:
                raise QemuOptionError("-device virtio-blk-device: rvemu has one disk")
            if slot is None:                  # QEMU virt: the highest free transport first
                slot = max(s for s in range(VIRTIO_SLOTS) if s not in taken)
            d.used = True
            cfg.drive, cfg.drive_readonly, cfg.drive_slot = d.file, d.readonly, slot
        return cfg


def split(argv: List[str]) -> Tuple[QemuConfig, List[str]]:
    """Take the QEMU options out of argv: (their config, the remaining arguments).  -help and
    -version become --help and --version.  Raises QemuOptionError naming a bad option."""
    p = _Parser()
    rest: List[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest += argv[i:]
            break
        if a in ("-help", "-h"):
            rest.append("--help")
        elif a == "-version":
            rest.append("--version")
        elif a in NO_VALUE:
            p.option(a, None)
        elif a in WITH_VALUE:
            if i + 1 >= len(argv):
                raise QemuOptionError(f"{a}: needs a value")
            p.option(a, argv[i + 1])
            i += 1
        elif re.fullmatch(r"-[a-zA-Z][\w.-]+", a) and not a.startswith("--"):
            raise QemuOptionError(f"{a}: option not supported")
        else:
            rest.append(a)
        i += 1
    return p.finish(), rest
