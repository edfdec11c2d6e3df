"""Threads: clone, join, texit, gettid (user/threadtest.c), on one hart and on three.  Every
subtest is an item of its own, test_threadtest[HARTS-NAME]: shared memory and files, join
errors, exit/texit/kill/exec/fork with several threads, concurrent sbrk and faults, TLB
shootdown on munmap and mprotect, running out of process slots, and a stress run."""

import pytest
from guest import Run, boot, cases, sh, whole

from rvemu.machine import StopReason

RUNS = [Run("threadtest", harts) for harts in (1, 3)]
SHOOTDOWNS = ("munmapshoot", "mprotectshoot")


@pytest.mark.parametrize("case", [c for run in RUNS for c in cases(run)])
def test_threadtest(guest_runs, case, request):
    out = guest_runs.check(case, request)
    if case.name in SHOOTDOWNS:
        # the children die of their spinning thread's fault; on several harts the spinner
        # must have been running on another hart when munmap/mprotect was called
        assert "segmentation fault" in out, out
        if case.run.harts > 1:
            assert "spinner: concurrent" in out and "not concurrent" not in out, out


@pytest.mark.parametrize("case", [whole(run) for run in RUNS])
def test_threadtest_whole_run(guest_runs, case, request):
    """Threads wrote, mapped and removed files at the same time: the file system is intact."""
    guest_runs.check_whole(case, request)


def test_threadtest_runs_the_named_subtests(fresh_image):
    """`threadtest NAME...` runs just those, in the order given (check.h's command line)."""
    b = boot(fresh_image, 3)
    out = sh(b, "threadtest joinerr basic", timeout=1_000_000_000).splitlines()
    assert [ln for ln in out if ln.startswith("ok ")] == ["ok joinerr", "ok basic"], out
    assert "threadtest: 2 passed, 0 failed" in out and out[-1] == "threadtest: ALL OK", out
    assert not any(ln.startswith("FAIL") for ln in out), out
    b.send("poweroff\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT
    b.poweroff()
