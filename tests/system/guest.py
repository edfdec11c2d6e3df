"""Driving the xv6 guest from system tests: boot a board to the shell, type a command; and one
pytest item per guest subtest (below)."""

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import List, NamedTuple, Optional

import pytest

from rvemu import xv6fs
from rvemu.board import Board, ExpectTimeout
from rvemu.machine import StopReason


def boot(image, harts, ram_mib=128):
    """A board with `harts` harts booted from image to the shell prompt."""
    b = Board(ram_mib=ram_mib, harts=harts)
    b.boot_image(image)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    return b


def sh(b, line, timeout):
    """Type a command; what it printed before the next prompt."""
    start = len(b.output)
    b.send(line + "\n")
    m = b.expect(r"\n\$ ", timeout_instructions=timeout, start=start)
    return bytes(b.output[start:m.start()]).decode(errors="replace")


# ---- one pytest item per guest subtest -------------------------------------------------------
#
# Every guest test program keeps its subtests in one table (user/check.h); `subtests(prog)`
# reads that table from the C source, so collection boots nothing.  A test function is
# parametrized with cases(Run(...)), one Case per subtest, and calls GuestRuns.check(case)
# (the session fixture `guest_runs`).  Each Run boots once per session and types its command
# when its first item runs; the items then look up their own result lines.  When only some of
# a run's items are selected (pytest -k NAME), the command names just those subtests.

USER = Path(__file__).resolve().parents[2] / "xv6" / "user"

_TABLE = re.compile(r"static\s+struct\s+subtest\s+tests\[\]\s*=\s*\{(.*?)\n\};", re.S)
_ENTRY = re.compile(r'\{\s*"([\w-]+)"\s*,\s*\w+\s*(?:,\s*(\d+)\s*)?(?:,\s*(\d+)\s*)?\}')


class Subtest(NamedTuple):
    name: str
    slow: bool


def subtests(prog: str) -> List[Subtest]:
    """The table of user/PROG.c (check.h's `static struct subtest tests[]`), in order."""
    text = (USER / f"{prog}.c").read_text()
    m = _TABLE.search(text)
    if m is None:
        raise ValueError(f"user/{prog}.c: no `static struct subtest tests[] = {{...}};` table")
    body = re.sub(r"//[^\n]*", "", m.group(1))
    entries = [Subtest(e.group(1), e.group(2) not in (None, "0")) for e in _ENTRY.finditer(body)]
    if len(entries) != body.count("{"):
        raise ValueError(f"user/{prog}.c: a subtest entry is not {{\"name\", fn[, slow, ticks]}}")
    return entries


@dataclass(frozen=True)
class Run:
    """One boot and one command: `prog` (with -q when quick) on a board with `harts` harts."""
    prog: str
    harts: int = 1
    quick: bool = False
    image: str = "xv6_image"          # the session fixture giving the image (copied per run)
    ram_mib: int = 128
    readonly: bool = False
    timeout: int = 5_000_000_000      # instructions for the whole command

    def names(self) -> List[str]:
        """The subtests the command runs when it names none."""
        return [t.name for t in subtests(self.prog) if not (self.quick and t.slow)]

    def command(self, names: Optional[List[str]] = None) -> str:
        return " ".join([self.prog] + (["-q"] if self.quick else []) + (names or []))


@dataclass(frozen=True)
class Case:
    run: Run
    name: Optional[str]               # None: the run as a whole


def cases(run: Run):
    """pytest params, one per subtest of run, with ids like 1-cowfork (harts, name)."""
    return [pytest.param(Case(run, name), id=f"{run.harts}-{name}") for name in run.names()]


def whole(run: Run, label: Optional[str] = None):
    """The pytest param for run as a whole (GuestRuns.check_whole), with id PROG-HARTS (or
    LABEL-HARTS)."""
    return pytest.param(Case(run, None), id=f"{label or run.prog}-{run.harts}")


@dataclass
class Outcome:
    command: str
    output: str                       # what the command printed (its echo included)
    error: Optional[str]              # why it did not reach the next prompt, or None
    powered_off: bool
    disk_problems: List[str]          # fsck's complaints (none on a read-only disk)
    image: str                        # the image after poweroff

    def lines(self) -> List[str]:
        return self.output.replace("\r", "").split("\n")

    def failures(self, name: str) -> List[str]:
        """The FAIL lines of subtest name, and of the program outside its subtests."""
        prog = self.command.split()[0]
        return [ln for ln in self.lines()
                if ln.startswith(f"FAIL {name}: ") or ln.startswith(f"FAIL {prog}: ")]

    def passes(self, name: str) -> int:
        return sum(ln == f"ok {name}" for ln in self.lines())

    def section(self, name: str) -> str:
        """The output of subtest name: from its start line to its result (or the next start)."""
        prog = self.command.split()[0]
        lines = self.lines()
        if f"{prog}: {name}" not in lines:
            return ""
        out = []
        for ln in lines[lines.index(f"{prog}: {name}"):]:
            if out and (re.fullmatch(rf"{prog}: [\w-]+", ln) or ln.startswith(f"{prog}: ")
                        and " passed, " in ln):
                break
            out.append(ln)
            if ln == f"ok {name}":
                break
        return "\n".join(out)


class GuestRuns:
    """The session's guest runs, each made once, when its first item asks."""

    def __init__(self, session, tmp_path_factory):
        self.session = session
        self.tmp = tmp_path_factory
        self.done = {}

    def selected(self, run: Run) -> Optional[List[str]]:
        """The subtests of run that this session's items ask for: None means all of them."""
        wanted = set()
        for item in self.session.items:
            case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
            if isinstance(case, Case) and case.run == run:
                if case.name is None:
                    return None
                wanted.add(case.name)
        names = run.names()
        if wanted >= set(names):
            return None
        return [n for n in names if n in wanted]

    def outcome(self, run: Run, request) -> Outcome:
        """run's outcome; the first call makes it (an error is kept and raised to every item)."""
        if run not in self.done:
            try:
                image = Path(request.getfixturevalue(run.image))
                copy = self.tmp.mktemp(f"{run.prog}-{run.harts}") / image.name
                shutil.copyfile(image, copy)
                self.done[run] = execute(run, self.selected(run), str(copy))
            except Exception as e:
                self.done[run] = e
        if isinstance(self.done[run], Exception):
            raise self.done[run]
        return self.done[run]

    def check(self, case: Case, request) -> str:
        """Assert that case's subtest passed; its section of the output."""
        out = self.outcome(case.run, request)
        fails = out.failures(case.name)
        if fails or out.passes(case.name) == 0:
            why = "\n".join(fails) if fails else f"no result line for {case.name}"
            if out.error:
                why += f"\n({out.command}: {out.error})"
            shown = out.section(case.name) or out.output[-3000:]
            pytest.fail(f"{why}\n---- the guest's output ({out.command}):\n{shown}",
                        pytrace=False)
        return out.section(case.name)

    def check_whole(self, case: Case, request) -> Outcome:
        """Assert that case's run ended well: every subtest passed, the guest powered off and
        fsck finds its disk clean; the outcome."""
        out = self.outcome(case.run, request)
        prog = case.run.prog
        assert out.error is None, f"{out.command}: {out.error}\n{out.output[-3000:]}"
        assert f"{prog}: ALL OK" in out.lines(), out.output[-3000:]
        assert out.powered_off, f"{out.command}: poweroff did not stop the guest"
        assert out.disk_problems == [], out.disk_problems
        return out


def execute(run: Run, names: Optional[List[str]], image: str) -> Outcome:
    """Boot image, type run's command (naming `names` when not None), power off."""
    b = Board(ram_mib=run.ram_mib, harts=run.harts)
    b.boot_image(image, readonly=run.readonly)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    command = run.command(names)
    start = len(b.output)
    b.send(command + "\n")
    error, end = None, None
    try:
        end = b.expect(r"\n\$ ", timeout_instructions=run.timeout, start=start).start()
    except (ExpectTimeout, EOFError) as e:
        error = str(e)[:300]
    output = bytes(b.output[start:end]).decode(errors="replace")
    powered_off = False
    if error is None:
        b.send("poweroff\n")
        powered_off = b.run(max_instructions=200_000_000) is StopReason.EXIT
    b.poweroff()
    problems = [] if run.readonly else xv6fs.fsck(image)
    return Outcome(command, output, error, powered_off, problems, image)
