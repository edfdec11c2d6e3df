"""The harness of the guest test programs (xv6/user/check.h) and its pytest side (guest.py):
the subtest tables read from the C source are the ones the programs run, a command line names
subtests, a failed check reaches the pytest item with the guest's message, and a -k selection
runs just the selected subtests."""

from types import SimpleNamespace

import pytest
from guest import Case, Run, boot, cases, sh, subtests

from rvemu.board import Board

PROGRAMS = ["xv6test", "threadtest", "mmaptest", "mmap2test", "mapfiletest", "mmapargs",
            "heaptest", "mmapstress", "commitfill", "rotest"]


def names(text):
    """The bare names a `PROG -l` printed (other lines, such as mapfiletest's note on dirty
    tracking, have a colon)."""
    return [ln for ln in text.splitlines()[1:] if ln and ":" not in ln]


def test_tables_read_from_the_source_are_what_the_programs_run(fresh_image):
    b = boot(fresh_image, 1)
    for prog in PROGRAMS:
        table = subtests(prog)
        assert names(sh(b, f"{prog} -l", 200_000_000)) == [t.name for t in table], prog
        quick = names(sh(b, f"{prog} -q -l", 200_000_000))
        assert quick == [t.name for t in table if not t.slow], prog
    assert [t.name for t in subtests("xv6test") if t.slow] == ["bigdir", "oom"]


def test_command_line_errors_run_nothing(fresh_image):
    b = boot(fresh_image, 1)
    out = sh(b, "mmaptest basic nosuch", 200_000_000)
    assert out.splitlines()[1:] == ["mmaptest: no subtest named nosuch (mmaptest -l lists them)"]
    out = sh(b, "xv6test -x", 200_000_000)
    assert out.splitlines()[1:] == ["xv6test: unknown option -x (usage: xv6test [-q] [-l] "
                                    "[NAME ...])"]


def test_failed_check_shows_the_guests_message(guest_runs, request):
    """rotest on a writable disk: its checks fail, and the item says what the guest said."""
    run = Run("rotest", timeout=500_000_000)
    with pytest.raises(pytest.fail.Exception) as e:
        guest_runs.check(Case(run, "open"), request)
    msg = str(e.value)
    assert msg.startswith('FAIL open: open("README", O_RDWR) returned 3, errno 0 (-); want -1, '
                          'EROFS (rotest.c:'), msg
    assert "---- the guest's output (rotest):\nrotest: open\n" in msg, msg
    assert "rotest: names" not in msg          # only the section of that subtest
    out = guest_runs.outcome(run, request)
    assert "rotest: 0 passed, 3 failed: open names fd" in out.lines()
    assert out.lines()[-1] == "rotest: FAILED"


def test_selection_names_just_the_selected_subtests():
    """With some of a run's items selected, the run's command names them (in table order);
    with all, or with the whole-run item, none."""
    from guest import GuestRuns, whole
    run, other = Run("mmaptest", 1), Run("mmaptest", 3)

    def session(params):
        items = [SimpleNamespace(callspec=SimpleNamespace(params={"case": p.values[0]}))
                 for p in params]
        return GuestRuns(SimpleNamespace(items=items), None)

    some = [p for p in cases(run) if p.values[0].name in ("fork", "basic")]
    assert session(some + cases(other)).selected(run) == ["basic", "fork"]
    assert run.command(["basic", "fork"]) == "mmaptest basic fork"
    assert session(cases(run)).selected(run) is None
    assert session(some + [whole(run)]).selected(run) is None
    assert Run("xv6test", quick=True).command(["oom"]) == "xv6test -q oom"


def test_failed_require_ends_a_child_subtest(fresh_image):
    """xv6test runs each subtest in a child: on a read-only disk `files` stops at its first
    REQUIRE (one FAIL line, from the child), and the next subtest still runs."""
    b = Board(ram_mib=128, harts=1)
    b.boot_image(fresh_image, readonly=True)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    out = sh(b, "xv6test -q files ulib", 2_000_000_000).splitlines()[1:]
    fails = [ln for ln in out if ln.startswith("FAIL")]
    assert len(fails) == 1 and fails[0].startswith("FAIL files: "), out
    assert "read-only file system (xv6test.c:" in fails[0], out
    assert out[-4:] == ["ok ulib", "xv6test: 1 passed, 1 failed: files", "xv6test: FAILED",
                        "SOME TESTS FAILED"], out
