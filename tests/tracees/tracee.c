#include "tracee.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__asm__(".text\n"
	".globl raw_syscall\n"
	".type raw_syscall, @function\n"
	"raw_syscall:\n"
	"	movq %rdi, %rax\n"
	"	movq %rsi, %rdi\n"
	"	movq %rdx, %rsi\n"
	"	movq %rcx, %rdx\n"
	"	movq %r8, %r10\n"
	"	movq %r9, %r8\n"
	"	movq 8(%rsp), %r9\n"
	"	syscall\n"
	".globl raw_syscall_ret\n"
	"raw_syscall_ret:\n"
	"	ret\n"
	".size raw_syscall, . - raw_syscall\n"
	".globl raw_int80\n"
	".type raw_int80, @function\n"
	"raw_int80:\n"
	"	pushq %rbx\n"
	"	pushq %rbp\n"
	"	movq 24(%rsp), %rbp\n"
	"	movq %rdi, %rax\n"
	"	movq %rsi, %rbx\n"
	"	movq %rcx, %r11\n"
	"	movq %rdx, %rcx\n"
	"	movq %r11, %rdx\n"
	"	movq %r8, %rsi\n"
	"	movq %r9, %rdi\n"
	"	int $0x80\n"
	".globl raw_int80_ret\n"
	"raw_int80_ret:\n"
	"	cltq\n"
	"	popq %rbp\n"
	"	popq %rbx\n"
	"	ret\n"
	".size raw_int80, . - raw_int80\n");

long probe(long arg) { return raw_syscall(SYS_getppid, arg, 0, 0, 0, 0, 0); }

static void vsay(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);

	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(fd, buf, n) != n)
		_exit(100);
}

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(1, "", fmt, ap);
	va_end(ap);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(2, "FAIL: ", fmt, ap);
	va_end(ap);
	exit(1);
}

pthread_t start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, arg);

	if (err)
		fail("pthread_create: %s", strerror(err));
	return t;
}
