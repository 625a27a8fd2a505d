#include "caps.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static const cap_value_t kept[] = { CAP_SYS_PTRACE, CAP_KILL };

static int drop_bounding_set(void)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		bool keep = false;

		for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
			keep |= kept[i] == c;
		if (!keep && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0 && errno != EINVAL)
			return -1;
	}
	return 0;
}

int caps_drop_to_tracer(void)
{
	cap_t caps = cap_init(); /* empty */
	int rc = -1;

	if (caps == NULL)
		return -1;
	if (cap_set_flag(caps, CAP_PERMITTED, 2, kept, CAP_SET) == 0 &&
	    cap_set_flag(caps, CAP_EFFECTIVE, 2, kept, CAP_SET) == 0 && drop_bounding_set() == 0 &&
	    cap_set_proc(caps) == 0)
		rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	cap_free(caps);
	return rc;
}
