/* Allocation that cannot fail: octrace aborts when memory runs out (a tracer that half-handles
 * an allocation failure could leave a task in a ptrace-stop). NULL in, NULL out for
 * xstrdup(). */
#pragma once

#include <stdlib.h>
#include <string.h>

static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		abort();
	return p;
}

static inline void *xrealloc(void *p, size_t n, size_t size)
{
	p = realloc(p, (n ? n : 1) * size);
	if (p == NULL)
		abort();
	return p;
}

static inline char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && d == NULL)
		abort();
	return d;
}
