// Formatted output to the console, and panic().
//
// printf understands %d %u %x %p %s %c %% with optional l/ll size prefixes (%ld %lu %lx %lld...).
// Output goes character by character through consputc(), which writes the UART synchronously,
// so printf works from any context, including interrupt handlers and before interrupts are on.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "defs.h"

#define PANIC_EXIT_CODE 1   // poweroff code after a panic

typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type)   __builtin_va_arg(ap, type)
#define va_end(ap)         __builtin_va_end(ap)

static struct spinlock print_lock;   // keeps one printf's output together

// Hart that is panicking, or -1.  Once set, other harts stop at their next console output and
// printf stops locking (the panicking hart may have been holding print_lock).
static volatile int panic_owner = -1;

static const char hexdigits[] = "0123456789abcdef";

void
printfinit(void)
{
  initlock(&print_lock, "printf");
}

static void
print_unsigned(uint64 v, int base)
{
  char buf[24];   // 2^64 has 20 decimal digits
  int n = 0;
  do {
    buf[n++] = hexdigits[v % base];
    v /= base;
  } while(v != 0);
  while(n > 0)
    consputc(buf[--n]);
}

static void
print_signed(int64 v)
{
  if(v < 0){
    consputc('-');
    print_unsigned(-(uint64)v, 10);
  } else {
    print_unsigned(v, 10);
  }
}

static void
print_pointer(uint64 v)
{
  consputc('0');
  consputc('x');
  for(int shift = 60; shift >= 0; shift -= 4)
    consputc(hexdigits[(v >> shift) & 0xf]);
}

static void
print_string(const char *s)
{
  if(s == 0)
    s = "(null)";
  while(*s)
    consputc(*s++);
}

// Print one conversion; `longs` counts the l prefixes.  Returns 0 at an unknown conversion.
static int
print_conversion(char conv, int longs, va_list *ap)
{
  switch(conv){
  case 'd':
    print_signed(longs ? va_arg(*ap, int64) : va_arg(*ap, int));
    return 1;
  case 'u':
    print_unsigned(longs ? va_arg(*ap, uint64) : va_arg(*ap, uint), 10);
    return 1;
  case 'x':
    print_unsigned(longs ? va_arg(*ap, uint64) : va_arg(*ap, uint), 16);
    return 1;
  case 'p':
    print_pointer(va_arg(*ap, uint64));
    return 1;
  case 's':
    print_string(va_arg(*ap, char*));
    return 1;
  case 'c':
    consputc(va_arg(*ap, int));
    return 1;
  case '%':
    consputc('%');
    return 1;
  }
  return 0;
}

int
printf(char *fmt, ...)
{
  va_list ap;
  int locking = panic_owner < 0;

  if(fmt == 0)
    panic("printf: null format");
  if(locking)
    acquire(&print_lock);

  va_start(ap, fmt);
  for(const char *f = fmt; *f; f++){
    if(*f != '%'){
      consputc(*f);
      continue;
    }
    const char *spec = f;
    int longs = 0;
    while(f[1] == 'l'){
      longs++;
      f++;
    }
    if(f[1] == 0)
      break;              // lone % at the end
    f++;
    if(!print_conversion(*f, longs, &ap)){
      // unknown: print it as written
      for(; spec <= f; spec++)
        consputc(*spec);
    }
  }
  va_end(ap);

  if(locking)
    release(&print_lock);
  return 0;
}

// Is another hart panicking?  Console output calls this and, if so, stops the calling hart so
// that the panic message comes out whole.  Call with interrupts off.
int
panic_elsewhere(void)
{
  int owner = panic_owner;
  return owner >= 0 && owner != cpuid();
}

// Print the message and power the machine off with a non-zero code: all harts stop.
void
panic(char *s)
{
  intr_off();
  int expected = -1;
  if(!__atomic_compare_exchange_n(&panic_owner, &expected, cpuid(), 0, __ATOMIC_SEQ_CST,
                                  __ATOMIC_SEQ_CST)){
    // A panic is already under way.  If it is ours (we panicked while panicking), give up
    // printing and stop the machine; otherwise let the other hart finish.
    if(expected == cpuid())
      poweroff(PANIC_EXIT_CODE);
    for(;;)
      wfi();
  }
  printf("panic: %s\n", s);
  poweroff(PANIC_EXIT_CODE);
}
