// The console device (major number CONSOLE): a line discipline between the UART and
// read()/write() on file descriptors 0, 1, 2.
//
// Input is edited a line at a time; read() returns only completed lines.  Special keys:
//   backspace / DEL   erase the previous character
//   ^U                erase the whole line being typed
//   ^D                end of file: read() returns what the line holds so far, 0 on an empty line
//   ^P                list the processes (procdump)
// A carriage return is turned into a newline.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "proc.h"
#include "errno.h"
#include "defs.h"

#define CTRL(x)   ((x) - '@')
#define ERASE_ONE 0x100     // consputc() argument: rub out the character before the cursor

#define INPUT_BUF_SIZE 128

// Input buffer.  The indices only grow; a byte lives at buf[i % INPUT_BUF_SIZE].
//   [rd, ready)    completed lines (and ^D marks), waiting for read()
//   [ready, edit)  the line still being typed
// When the buffer fills up, the console stops taking bytes from the UART (rx_stopped) until
// a reader makes room, so input typed or piped far ahead of the readers is never dropped.
static struct {
  struct spinlock lock;
  char buf[INPUT_BUF_SIZE];
  uint rd;
  uint ready;
  uint edit;
  int rx_stopped;
} cons;

// Output one character (or ERASE_ONE) synchronously: used by printf and for echo.
void
consputc(int c)
{
  if(c == ERASE_ONE){
    uartputc_sync('\b');
    uartputc_sync(' ');
    uartputc_sync('\b');
  } else {
    uartputc_sync(c);
  }
}

// write() on the console: queue the bytes to the UART.
static int
consolewrite(int user_src, uint64 src, int n)
{
  char chunk[64];
  int done = 0;

  if(user_src && uvmcheck(myproc()->mm->pagetable, src, n, 0) != 0)
    return -EFAULT;

  while(done < n){
    int len = n - done;
    if(len > sizeof(chunk))
      len = sizeof(chunk);
    if(either_copyin(chunk, user_src, src + done, len) < 0)
      return done > 0 ? done : -EFAULT;
    for(int i = 0; i < len; i++)
      uartputc(chunk[i]);
    done += len;
  }
  return done;
}

// read() on the console: wait for a completed line, return at most n bytes of it (up to and
// including the newline).
static int
consoleread(int user_dst, uint64 dst, int n)
{
  int got = 0;

  // A buffer we could not fill is refused now, not after waiting for the user to type.
  if(user_dst && uvmcheck(myproc()->mm->pagetable, dst, n, 1) != 0)
    return -EFAULT;

  acquire(&cons.lock);
  while(got < n){
    while(cons.rd == cons.ready){
      if(killed(myproc())){
        release(&cons.lock);
        return -EINTR;
      }
      sleep(&cons.rd, &cons.lock);
    }

    char c = cons.buf[cons.rd % INPUT_BUF_SIZE];
    cons.rd++;
    if(c == CTRL('D')){
      // End of file.  If this read already has data, leave the ^D for the next read, which
      // then returns 0.
      if(got > 0)
        cons.rd--;
      break;
    }
    if(either_copyout(user_dst, dst + got, &c, 1) < 0){
      cons.rd--;                      // not delivered: keep it for the next read
      if(got == 0)
        got = -EFAULT;
      break;
    }
    got++;
    if(c == '\n')
      break;
  }
  if(cons.rx_stopped && cons.edit - cons.rd < INPUT_BUF_SIZE){
    cons.rx_stopped = 0;
    uart_rx_enable(1);
  }
  release(&cons.lock);
  return got;
}

// Rub out the last typed character, or (whole_line) the whole unfinished line.  Completed
// lines, [rd, ready), belong to the readers and are never erased.
static void
erase_input(int whole_line)
{
  do {
    if(cons.edit == cons.ready)
      return;
    cons.edit--;
    consputc(ERASE_ONE);
  } while(whole_line);
}

// A byte arrived from the UART (interrupt context).
void
consoleintr(int c)
{
  acquire(&cons.lock);
  switch(c){
  case CTRL('P'):
    procdump();
    break;
  case CTRL('U'):
    erase_input(1);
    break;
  case CTRL('H'):
  case 0x7f:
    erase_input(0);
    break;
  default:
    if(c == 0 || cons.edit - cons.rd >= INPUT_BUF_SIZE)
      break;                          // NUL, or no room (cannot happen: see below): drop it
    if(c == '\r')
      c = '\n';
    if(c != CTRL('D'))
      consputc(c);                    // echo
    cons.buf[cons.edit % INPUT_BUF_SIZE] = c;
    cons.edit++;
    if(c == '\n' || c == CTRL('D') || cons.edit - cons.rd == INPUT_BUF_SIZE){
      cons.ready = cons.edit;         // the line is complete: readers may have it
      wakeup(&cons.rd);
    }
    if(cons.edit - cons.rd == INPUT_BUF_SIZE){
      cons.rx_stopped = 1;            // full: leave further input in the UART
      uart_rx_enable(0);
    }
    break;
  }
  release(&cons.lock);
}

void
consoleinit(void)
{
  initlock(&cons.lock, "cons");
  uartinit();
  devsw[CONSOLE].read = consoleread;
  devsw[CONSOLE].write = consolewrite;
}
