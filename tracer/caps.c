#include "caps.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/capability.h>
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

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

static int set_caps(const cap_value_t *list, int n)
{
	cap_t caps = cap_init(); /* empty */
	int rc = -1;

	if (caps == NULL)
		return -1;
	if ((n == 0 || (cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) == 0 &&
			cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) == 0)) &&
	    cap_set_proc(caps) == 0)
		rc = 0;
	cap_free(caps);
	return rc;
}

/* Effective: `list` only (n >= 0), or every permitted capability (n < 0). */
static int set_effective(const cap_value_t *list, int n)
{
	cap_t caps = cap_get_proc();
	int rc = -1;

	if (caps == NULL)
		return -1;
	if (n >= 0) {
		if (cap_clear_flag(caps, CAP_EFFECTIVE) == 0 &&
		    (n == 0 || cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) == 0))
			rc = cap_set_proc(caps);
	} else {
		for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
			cap_flag_value_t v = CAP_CLEAR;

			if (CAP_IS_SUPPORTED(c) && cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 &&
			    v == CAP_SET)
				cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET);
		}
		rc = cap_set_proc(caps);
	}
	cap_free(caps);
	return rc;
}

int caps_limit_effective(void)
{
	return set_effective(kept, 2);
}

int caps_become_tracer(uid_t uid, gid_t gid)
{
	/* the bounding set needs CAP_SETPCAP, the ids CAP_SETUID/SETGID: first, as root */
	if (set_effective(NULL, -1) < 0 || drop_bounding_set() < 0)
		return -1;
	if (uid != 0 || gid != 0) {
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(uid, uid, uid) < 0)
			return -1;
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (set_caps(kept, 2) < 0)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int caps_drop_all(void)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0 && errno != EINVAL)
			return -1;
	if (set_caps(NULL, 0) < 0)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
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
