"""mmap and friends on anonymous memory: user/mmaptest and user/mmap2test in the guest, on 1
and 3 harts, every subtest an item of its own (test_mmaptest[HARTS-NAME], ...)."""

import pytest
from guest import Run, cases, whole

MMAP = [Run("mmaptest", harts) for harts in (1, 3)]
MMAP2 = [Run("mmap2test", harts) for harts in (1, 3)]
# what the children that mmap2test lets the kernel kill must have said (subtest: message)
KILLED = {"noreserve": "out of memory", "growsdown": "segmentation fault"}


@pytest.mark.parametrize("case", [c for run in MMAP for c in cases(run)])
def test_mmaptest(guest_runs, case, request):
    """Anonymous private mmap, munmap, mprotect (user/mmaptest.c)."""
    guest_runs.check(case, request)


@pytest.mark.parametrize("case", [c for run in MMAP2 for c in cases(run)])
def test_mmap2test(guest_runs, case, request):
    """madvise, mincore, mlock/MAP_LOCKED, MAP_NORESERVE and commit accounting, MAP_GROWSDOWN,
    MAP_DENYWRITE (user/mmap2test.c)."""
    out = guest_runs.check(case, request)
    if case.name in KILLED:
        assert KILLED[case.name] in out, out


@pytest.mark.parametrize("case", [whole(run) for run in MMAP + MMAP2])
def test_mmap_programs_whole_run(guest_runs, case, request):
    guest_runs.check_whole(case, request)
