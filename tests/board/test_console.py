"""The interactive console in a real pseudo-terminal (pexpect): raw keys reach the UART, output
reaches the screen, Ctrl-A H helps, Ctrl-A X quits and the terminal comes back as it was."""

import sys

import pytest

pexpect = pytest.importorskip("pexpect")


def spawn(elf, tmp_path):
    return pexpect.spawn(sys.executable, ["-m", "rvemu.cli", "--kernel", str(elf)],
                         cwd=str(tmp_path), timeout=30)


def test_keys_reach_the_guest_and_exit_status_comes_back(board_program, tmp_path):
    child = spawn(board_program("hello"), tmp_path)
    child.expect("hello from rvemu")
    child.send("hi\n")
    child.expect("hi")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 7


def test_ctrl_a_help_and_quit(board_program, tmp_path):
    child = spawn(board_program("hello"), tmp_path)
    child.expect("hello from rvemu")
    child.send("\x01h")
    child.expect("C-a x")
    child.send("\x01x")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_terminal_restored_after_quit(board_program, tmp_path):
    """Run rvemu inside a shell on the pty, quit it, and ask stty whether echo is back."""
    elf = board_program("hello")
    child = pexpect.spawn("/bin/sh", cwd=str(tmp_path), timeout=30, encoding="utf-8")
    child.sendline(f"{sys.executable} -m rvemu.cli --kernel {elf}; stty -a | tr ' ' '\\n' | "
                   "grep -x -e echo -e -echo -e icanon -e -icanon | tr '\\n' ' '; echo STTY-END")
    child.expect("hello from rvemu")
    child.send("\x01x")
    child.expect(r"((?:-?\w+ )+)STTY-END")
    assert sorted(child.match.group(1).split()) == ["echo", "icanon"]
    child.sendline("exit")
    child.expect(pexpect.EOF)
