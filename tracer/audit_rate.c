/* Counting for the audit rate limit (see audit_rate.h). */
#include "audit_rate.h"

#include <string.h>

#include "cleanup.h"
#include "summary.h"

static const char *const event_names[AUDIT_EV_COUNT] = {
    [AUDIT_EV_CLONE] = "clone", [AUDIT_EV_FORK] = "fork", [AUDIT_EV_VFORK] = "vfork",
    [AUDIT_EV_EXEC] = "exec",	[AUDIT_EV_EXIT] = "exit", [AUDIT_EV_EXIT_GROUP] = "exit_group",
};

const char *audit_rated_event_name(enum audit_rated_event e)
{
	return e < AUDIT_EV_COUNT ? event_names[e] : "?";
}

int audit_rated_event_of(const char *name)
{
	for (size_t i = 0; i < N_ELEMENTS(event_names); i++)
		if (strcmp(name, event_names[i]) == 0)
			return (int)i;
	return -1;
}

bool audit_rate_expired(const struct audit_rate *r, time_t now)
{
	return r->dropped > 0 && now != r->second;
}

void audit_rate_reset(struct audit_rate *r, time_t now)
{
	unsigned limit = r->limit;

	memset(r, 0, sizeof(*r));
	r->limit = limit;
	r->second = now;
}

bool audit_rate_full(const struct audit_rate *r, time_t now)
{
	return r->limit && now == r->second && r->used >= r->limit;
}

bool audit_rate_take(struct audit_rate *r, time_t now)
{
	if (r->limit == 0)
		return true;
	if (now != r->second) {
		/* a window without drops ends silently */
		r->second = now;
		r->used = 0;
	}
	if (r->used >= r->limit)
		return false;
	r->used++;
	return true;
}

void audit_rate_drop_syscall(struct audit_rate *r, uint32_t arch, int nr)
{
	nr = summary_nr(nr);
	r->dropped++;
	for (size_t i = 0; i < r->n_rows; i++) {
		if (r->rows[i].arch == arch && r->rows[i].nr == nr) {
			r->rows[i].dropped++;
			return;
		}
	}
	if (r->n_rows == AUDIT_RATE_ROWS) {
		r->unlisted++;
		return;
	}
	r->rows[r->n_rows++] = (struct audit_rate_row){arch, nr, 1};
}

void audit_rate_drop_event(struct audit_rate *r, enum audit_rated_event e)
{
	r->dropped++;
	r->events[e]++;
}
