"""Pure-Python reference models the tests check the compiled emulator against.

They are written from the RISC-V specifications alone and share no code with ``rvemu``.
"""
