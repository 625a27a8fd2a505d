/* A tiny TAP producer for the unit tests (after bubblewrap's tests/test-utils.c).
 * Each check prints "ok N - what" or "not ok N - what" plus a diagnostic; tap_done() prints
 * the plan and gives the exit status. Exit 77 = skip, 99 = harness error (strace's
 * convention, which meson's TAP parser understands). */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failures;

/* One line only: TAP descriptions cannot hold newlines. */
static inline void tap_print_line(const char *s)
{
	for (; *s; s++)
		putchar(*s == '\n' ? ' ' : *s == '#' ? '_' : *s);
}

static inline bool tap_vcheck(bool pass, const char *fmt, va_list ap)
{
	char *what = NULL;

	if (vasprintf(&what, fmt, ap) < 0)
		exit(99);
	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	tap_print_line(what);
	putchar('\n');
	free(what);
	if (!pass)
		tap_failures++;
	fflush(stdout);
	return pass;
}

static inline bool __attribute__((format(printf, 2, 3))) ok(bool pass, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vcheck(pass, fmt, ap);
	va_end(ap);
	return r;
}

/* A string comparison that shows both sides when they differ. */
static inline bool __attribute__((format(printf, 3, 4)))
is_str(const char *got, const char *want, const char *fmt, ...)
{
	bool pass = got != NULL && want != NULL ? strcmp(got, want) == 0 : got == want;
	va_list ap;

	va_start(ap, fmt);
	tap_vcheck(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		printf("#   got:  ");
		tap_print_line(got ? got : "(null)");
		printf("\n#   want: ");
		tap_print_line(want ? want : "(null)");
		putchar('\n');
	}
	return pass;
}

static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}
