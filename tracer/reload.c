#include "reload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"
#include "audit.h"
#include "cleanup.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "summary.h"
#include "xalloc.h"

#define RELOAD_POLICY_MAX (64u << 20) /* as oci_policy_load() */
/* The kernel's limit on the instructions of a task's filters, with 4 more counted for each
 * filter (MAX_INSNS_PER_PATH, kernel/seccomp.c): seccomp(2) fails with ENOMEM beyond it */
#define SECCOMP_PATH_INSNS_MAX 32768u

void reload_channel_init(struct reload_channel *rc, const char *name, int fd)
{
	memset(rc, 0, sizeof(*rc));
	rc->name = name;
	rc->fd = fd;
	rc->policy_fd = -1;
}

void reload_channel_free(struct reload_channel *rc)
{
	for (size_t i = 0; i < rc->n_filters; i++)
		oci_filter_free(rc->filters[i]);
	for (size_t i = 0; i < rc->n_policies; i++)
		oci_policy_free(rc->policies[i]);
	if (rc->policy_fd >= 0)
		close(rc->policy_fd);
	free(rc->janitor_error);
	rc->n_filters = rc->n_policies = 0;
	rc->policy_fd = -1;
	rc->janitor_error = NULL;
}

static void send_text(struct reload_channel *rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void send_text(struct reload_channel *rc, const char *fmt, ...)
{
	char buf[RELOAD_MSG_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (send(rc->fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_warn_errno("reload: to the janitor");
}

void reload_ask(struct session *s)
{
	if (s->reload == NULL || s->reload->fd < 0 || s->reload->closed)
		return;
	send_text(s->reload, "reload");
}

/* One message: "policy" with a descriptor, or "error MESSAGE". 0, or -1 when none is left. */
static int receive_one(struct reload_channel *rc)
{
	char buf[RELOAD_MSG_MAX];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.space,
			    .msg_controllen = sizeof(c.space) };
	ssize_t n = recvmsg(rc->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	struct cmsghdr *h;
	int fd = -1;

	if (n <= 0) {
		/* the janitor is gone: no more reloads (the doorbell stops watching the fd,
		 * which stays open until the session ends) */
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			rc->closed = true;
		return -1;
	}
	buf[n] = '\0';
	for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
		    h->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(h), sizeof(int));
	/* the newest request wins: an older one not applied yet is dropped */
	if (rc->policy_fd >= 0)
		close(rc->policy_fd);
	free(rc->janitor_error);
	rc->policy_fd = -1;
	rc->janitor_error = NULL;
	if (strcmp(buf, "policy") == 0 && fd >= 0) {
		rc->policy_fd = fd;
		return 0;
	}
	if (fd >= 0)
		close(fd);
	rc->janitor_error = xstrdup(strncmp(buf, "error ", 6) == 0 ? buf + 6 : "bad message");
	return 0;
}

void reload_receive(struct session *s)
{
	if (s->reload == NULL)
		return;
	while (s->reload->fd >= 0 && !s->reload->closed && receive_one(s->reload) == 0)
		;
}

/* The new program is the current one: same instructions, same slots (the current filter may
 * have more: slots a reload added only to name older counts, see remap_data()). */
static bool same_filter(const struct oci_filter *new, const struct oci_filter *cur)
{
	return new && cur && new->len == cur->len && new->n_slots <= cur->n_slots &&
	       new->flags == cur->flags &&
	       memcmp(new->insns, cur->insns, new->len * sizeof(*new->insns)) == 0 &&
	       memcmp(new->slots, cur->slots, new->n_slots * sizeof(*new->slots)) == 0;
}

/* The summary counts under a slot's data: the old filter's slots are found (or added) among
 * the new one's, so that the teardown names every earlier count by its action. */
struct remap {
	const struct oci_filter *old;
	struct oci_filter *new;
};

static uint32_t remap_data(uint32_t data, void *ctx)
{
	struct remap *r = ctx;
	const struct oci_slot *sl;
	size_t i;

	if (data < OCI_TRACE_DATA_BASE || data - OCI_TRACE_DATA_BASE >= r->old->n_slots)
		return data; /* a guard's, SUMMARY_ALLOWED, a foreign filter's */
	sl = &r->old->slots[data - OCI_TRACE_DATA_BASE];
	for (i = 0; i < r->new->n_slots; i++)
		if (memcmp(&r->new->slots[i], sl, sizeof(*sl)) == 0)
			return OCI_TRACE_DATA_BASE + (uint32_t)i;
	if (r->new->n_slots >= OCI_MAX_SLOTS)
		return data;
	/* no instruction returns it: it only names old counts */
	r->new->slots = xrealloc(r->new->slots, r->new->n_slots + 1, sizeof(*sl));
	r->new->slots[r->new->n_slots] = *sl;
	return OCI_TRACE_DATA_BASE + (uint32_t)r->new->n_slots++;
}

static void remap_task(struct tracee *t, void *ctx)
{
	if (t->sc_decided)
		t->sc_data = remap_data(t->sc_data, ctx);
}

static void event(struct session *s, const char *result, const struct restack_result *rr,
		  const char *error)
{
	struct audit_field f[] = {
		AUDIT_STR("policy", s->policy ? s->policy->source : NULL),
		AUDIT_STR("result", result),
		AUDIT_UINT("processes", rr ? rr->processes : 0),
		AUDIT_UINT("deferred", rr ? rr->deferred : 0),
		AUDIT_UINT("failed", rr ? rr->failed : 0),
		AUDIT_STR("error", error),
	};

	audit_event(s->audit, "policy_reload", s->root, s->root, f, N_ELEMENTS(f));
}

static void refuse(struct session *s, const char *why)
{
	log_warn("container %s: policy reload refused: %s; the policy in force stays",
		 s->reload->name, why);
	metrics_reload(s->metrics, METRICS_RELOAD_REFUSED);
	event(s, "refused", NULL, why);
	send_text(s->reload, "error %s", why);
}

static const struct oci_filter *stack_form(const struct session *s)
{
	return s->mode == MODE_ENFORCE ? s->arm_filter : s->filter;
}

static size_t path_insns(const struct oci_filter *f)
{
	return f ? f->len + 4 : 0;
}

/* Read, parse and compile the policy file; NULL and *why on error. */
static struct oci_policy *load(struct session *s, int fd, struct oci_filter **tracer,
			       struct oci_filter **arm, char **why)
{
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_free char *buf = NULL;
	struct oci_policy *p = NULL;
	struct stat st;
	size_t len;

	*tracer = *arm = NULL;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* the janitor sends regular files only: reading anything else could block */
		if (asprintf(why, "%s: not a regular file", s->policy->source) < 0)
			abort();
		return NULL;
	}
	if (oci_read_fd(fd, RELOAD_POLICY_MAX, &buf, &len) < 0) {
		if (asprintf(why, "%s: cannot read: %s", s->policy->source, strerror(errno)) < 0)
			abort();
		return NULL;
	}
	if (oci_policy_parse(s->policy->source, buf, len, &p, &err) < 0 ||
	    oci_policy_compile(p, OCI_COMPILE_TRACER, stderr, tracer, &err) < 0 ||
	    (s->mode == MODE_ENFORCE && oci_filter_to_enforce(*tracer, arm) < 0 &&
	     oci_fail(&err, EINVAL, "%s: the enforce-mode filter", s->policy->source) < 0)) {
		*why = xstrdup(err ? err->msg : "?");
		oci_filter_free(*tracer);
		oci_policy_free(p);
		*tracer = NULL;
		return NULL;
	}
	return p;
}

static void apply(struct session *s, int fd)
{
	struct reload_channel *rc = s->reload;
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_free char *why = NULL;
	struct oci_filter *tracer, *arm;
	struct oci_policy *p;
	struct restack_result rr;
	const struct oci_filter *old;

	if (s->policy == NULL || s->mode == MODE_TRACE)
		return refuse(s, "the container is traced without a policy");
	if (s->profile)
		return refuse(s, "the tracer is learning a profile");
	if (rc->n_policies >= RELOAD_MAX)
		return refuse(s, "too many reloads stacked: restart the container to change its "
				 "policy again");
	p = load(s, fd, &tracer, &arm, &why);
	if (p == NULL)
		return refuse(s, why);
	if (same_filter(tracer, s->filter)) {
		oci_filter_free(tracer);
		oci_filter_free(arm);
		oci_policy_free(p);
		log_info("container %s: policy reload: %s unchanged", rc->name, s->policy->source);
		event(s, "unchanged", NULL, NULL);
		metrics_reload(s->metrics, METRICS_RELOAD_UNCHANGED);
		send_text(rc, "ok %s unchanged", s->policy->source);
		return;
	}
	/* A reload every process could not take (it would be killed) is refused. Counted: the
	 * tracer-mode and enforce-mode filters of the start (a process carries at most their
	 * sizes), each reload's; not the program's or the runtime's own filters. */
	if (rc->stacked_insns == 0)
		rc->stacked_insns = path_insns(s->filter) + path_insns(s->arm_filter);
	if (rc->stacked_insns + path_insns(arm ? arm : tracer) > SECCOMP_PATH_INSNS_MAX) {
		if (asprintf(&why, "its filter would take the container's processes past the "
				   "kernel's %u BPF instructions (%zu with it): restart the "
				   "container to change its policy",
			     SECCOMP_PATH_INSNS_MAX,
			     rc->stacked_insns + path_insns(arm ? arm : tracer)) < 0)
			abort();
		oci_filter_free(tracer);
		oci_filter_free(arm);
		oci_policy_free(p);
		return refuse(s, why);
	}
	rc->stacked_insns += path_insns(arm ? arm : tracer);
	/* from now on the new policy decides; the tasks get its filter below */
	old = s->filter;
	rc->policies[rc->n_policies++] = p;
	rc->filters[rc->n_filters++] = tracer;
	if (arm)
		rc->filters[rc->n_filters++] = arm;
	struct remap r = { old, tracer };

	summary_remap(&s->summary, remap_data, &r);
	tracee_for_each(&s->tasks, remap_task, &r);
	if (s->own_data_end < OCI_TRACE_DATA_BASE + old->n_slots)
		s->own_data_end = OCI_TRACE_DATA_BASE + (uint32_t)old->n_slots;
	s->policy = p;
	s->filter = tracer;
	s->arm_filter = arm;
	s->policy_gen++;
	if (attach_restack(s, stack_form(s), s->policy_gen, &rr, &err) < 0)
		log_warn("container %s: policy reload: %s", rc->name, err->msg);
	log_info("container %s: policy reloaded from %s (%zu rules): its filter stacked on %zu "
		 "processes, %zu more at their next stop, %zu failed",
		 rc->name, p->source, p->n_rules, rr.processes, rr.deferred, rr.failed);
	event(s, "applied", &rr, err ? err->msg : NULL);
	metrics_reload(s->metrics, METRICS_RELOAD_APPLIED);
	send_text(rc, "ok %s: filter stacked on %zu processes (%zu deferred, %zu failed)",
		  p->source, rr.processes, rr.deferred, rr.failed);
}

void reload_apply_pending(struct session *s)
{
	struct reload_channel *rc = s->reload;

	if (rc->janitor_error) {
		cleanup_free char *why = rc->janitor_error;

		rc->janitor_error = NULL;
		refuse(s, why);
	}
	if (rc->policy_fd >= 0) {
		int fd = rc->policy_fd;

		rc->policy_fd = -1;
		apply(s, fd);
		close(fd);
		audit_flush(s->audit);
	}
	if (s->restack_pending) {
		cleanup_oci_error struct oci_error *err = NULL;
		struct restack_result rr;

		s->restack_pending = false;
		if (attach_restack(s, stack_form(s), s->policy_gen, &rr, &err) < 0)
			log_warn("container %s: policy reload: %s", rc->name, err->msg);
		log_debug("policy reload: deferred filter stacked on %zu processes", rr.processes);
	}
}
