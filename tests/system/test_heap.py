"""The heap and the stack are regions: user/heaptest in the guest (lazy sbrk heap, shrink
unmaps, fork shares it copy-on-write, exec starts afresh, the stack's guard page kills), on 1
and 3 harts, every subtest an item of its own (test_heaptest[HARTS-NAME])."""

import pytest
from guest import Run, cases, whole

HEAP = [Run("heaptest", harts) for harts in (1, 3)]
# the children it lets the kernel kill say why: the heap above the break, the guard page
KILLED = {"shrink": "segmentation fault", "stack": "segmentation fault"}


@pytest.mark.parametrize("case", [c for run in HEAP for c in cases(run)])
def test_heaptest(guest_runs, case, request):
    out = guest_runs.check(case, request)
    if case.name in KILLED:
        assert KILLED[case.name] in out, out


@pytest.mark.parametrize("case", [whole(run) for run in HEAP])
def test_heaptest_whole_run(guest_runs, case, request):
    guest_runs.check_whole(case, request)
