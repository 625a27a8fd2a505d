/* The audit log's rate limit (`--audit-rate N`): at most N events a second are written; the
 * others are counted, per syscall (or per lifecycle event), and written as one "suppressed"
 * event for that second. Pure counting: the caller supplies the time and writes the event.
 *
 * Bounded whatever the traced program does: at most AUDIT_RATE_ROWS syscalls are told
 * apart in one second (the drops of any other are counted as "unlisted"), and numbers
 * outside the syscall tables share one row (summary_nr()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define AUDIT_RATE_ROWS 64

/* The lifecycle events a rate applies to (attach, armed, join, detach, teardown, leave and
 * suppressed itself are always written). */
enum audit_rated_event {
	AUDIT_EV_CLONE,
	AUDIT_EV_FORK,
	AUDIT_EV_VFORK,
	AUDIT_EV_EXEC,
	AUDIT_EV_EXIT,
	AUDIT_EV_EXIT_GROUP,
	AUDIT_EV_COUNT,
};

struct audit_rate_row {
	uint32_t arch;
	int nr; /* summary_nr() */
	uint64_t dropped;
};

struct audit_rate {
	unsigned limit; /* events a second; 0: no limit */
	time_t second; /* the window: a CLOCK_MONOTONIC second */
	unsigned used; /* events written in it */
	uint64_t dropped; /* every event dropped in it */
	struct audit_rate_row rows[AUDIT_RATE_ROWS];
	size_t n_rows;
	uint64_t unlisted; /* syscall events dropped past the rows */
	uint64_t events[AUDIT_EV_COUNT];
};

const char *audit_rated_event_name(enum audit_rated_event e);
/* The event of that name, or -1 for one that is always written. */
int audit_rated_event_of(const char *name);

/* Whether the second `now` has ended an earlier one with drops: then the caller writes its
 * suppressed event and calls audit_rate_reset(). */
bool audit_rate_expired(const struct audit_rate *r, time_t now);
void audit_rate_reset(struct audit_rate *r, time_t now);
/* Take one event in second `now` (after any expired window was written and reset): true if
 * it may be written. */
bool audit_rate_take(struct audit_rate *r, time_t now);
/* Whether an event now would be dropped (to skip the work of building it). */
bool audit_rate_full(const struct audit_rate *r, time_t now);
void audit_rate_drop_syscall(struct audit_rate *r, uint32_t arch, int nr);
void audit_rate_drop_event(struct audit_rate *r, enum audit_rated_event e);
