#include "runtime_args.h"

#include <stddef.h>
#include <string.h>

#include "cleanup.h"

/* Where a flag's value goes; most are skipped over and only need their value consumed. */
enum target { T_NONE, T_ROOT, T_LOG, T_LOG_FORMAT, T_BUNDLE, T_CONFIG, T_HELP };

struct flag {
	const char *name; /* long name: -name and --name alike (Go's flag package) */
	char short_name;  /* 0: none */
	bool has_value;
	enum target target;
};

/* runc 1.1 and crun 1.8 global options. A value flag missing here would make its value look
 * like the subcommand; a boolean missing here is harmless (unknown flags are booleans). */
static const struct flag global_flags[] = {
    {"root", 0, true, T_ROOT},
    {"log", 0, true, T_LOG},
    {"log-format", 0, true, T_LOG_FORMAT},
    {"log-level", 0, true, T_NONE}, /* crun */
    {"criu", 0, true, T_NONE},	    /* runc */
    {"rootless", 0, true, T_NONE},
    {"cgroup-manager", 0, true, T_NONE}, /* crun */
    {"debug", 0, false, T_NONE},
    {"systemd-cgroup", 0, false, T_NONE},
    {"help", 'h', false, T_NONE},
    {"version", 'v', false, T_NONE},
};

/* Options of `create` and `run` in runc and crun. The booleans are listed only to document
 * them: an unknown flag is a boolean anyway. */
static const struct flag create_flags[] = {
    {"bundle", 'b', true, T_BUNDLE},
    {"config", 'f', true, T_CONFIG}, /* crun: the config file, relative to the bundle */
    {"console-socket", 0, true, T_NONE},
    {"pid-file", 0, true, T_NONE},
    {"preserve-fds", 0, true, T_NONE},
    {"help", 'h', false, T_HELP},
    {"detach", 'd', false, T_NONE}, /* run */
    {"keep", 0, false, T_NONE},
    {"no-pivot", 0, false, T_NONE},
    {"no-new-keyring", 0, false, T_NONE},
    {"no-subreaper", 0, false, T_NONE},
};

/* Options of `exec` in runc and crun that take a value (booleans need no entry). */
static const struct flag exec_flags[] = {
    {"console-socket", 0, true, T_NONE},
    {"pid-file", 0, true, T_NONE},
    {"preserve-fds", 0, true, T_NONE},
    {"cwd", 0, true, T_NONE},
    {"env", 'e', true, T_NONE},
    {"env-file", 0, true, T_NONE}, /* crun */
    {"user", 'u', true, T_NONE},
    {"additional-gids", 'g', true, T_NONE},
    {"process", 'p', true, T_NONE},
    {"process-label", 0, true, T_NONE},
    {"apparmor", 0, true, T_NONE},
    {"cap", 'c', true, T_NONE},
    {"cgroup", 0, true, T_NONE},
    {"help", 'h', false, T_HELP},
};

static bool is_flag(const char *arg) { return arg[0] == '-' && arg[1] != '\0'; }

static const struct flag *match_long(const struct flag *t, size_t n, const char *name,
				     const char **value)
{
	size_t len = strcspn(name, "=");

	for (size_t i = 0; i < n; i++) {
		if (strlen(t[i].name) == len && strncmp(t[i].name, name, len) == 0) {
			*value = name[len] == '=' ? name + len + 1 : NULL;
			return &t[i];
		}
	}
	return NULL;
}

/* -b DIR, -b=DIR (Go), -bDIR (argp); --b and --b=DIR are Go's too. */
static const struct flag *match_short(const struct flag *t, size_t n, const char *name,
				      bool double_dash, const char **value)
{
	bool attached = name[1] != '\0' && name[1] != '=';

	if (double_dash && attached)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (t[i].short_name != name[0] || (attached && !t[i].has_value))
			continue;
		*value = name[1] == '\0' ? NULL : name + 1 + (name[1] == '=');
		return &t[i];
	}
	return NULL;
}

static void apply(struct runtime_args *a, enum target t, const char *value)
{
	switch (t) {
	case T_NONE:
		break;
	case T_ROOT:
		a->root = value;
		break;
	case T_LOG:
		a->log = value;
		break;
	case T_LOG_FORMAT:
		a->log_format = value;
		break;
	case T_BUNDLE:
		a->bundle = value;
		break;
	case T_CONFIG:
		a->config = value;
		break;
	case T_HELP:
		a->help = true;
		break;
	}
}

/* argv[i] is a flag: record it, and return the index of the next argument to look at. */
static int parse_flag(const struct flag *t, size_t n, int argc, char *const argv[], int i,
		      struct runtime_args *a)
{
	bool double_dash = argv[i][1] == '-';
	const char *name = argv[i] + 1 + double_dash;
	const char *value = NULL;
	const struct flag *f = match_long(t, n, name, &value);

	if (f == NULL)
		f = match_short(t, n, name, double_dash, &value);
	if (f == NULL)
		return i + 1;
	if (f->has_value && value == NULL) {
		if (i + 1 >= argc) {
			a->incomplete = true;
			return argc;
		}
		value = argv[++i];
	}
	apply(a, f->target, value);
	return i + 1;
}

/* crun (argp) takes options after positional arguments too, so scan to the end; the id is
 * the last positional either way. */
static void parse_create(int argc, char *const argv[], int i, struct runtime_args *a)
{
	bool flags_done = false;

	while (i < argc) {
		if (!flags_done && strcmp(argv[i], "--") == 0) {
			flags_done = true;
			i++;
		} else if (!flags_done && is_flag(argv[i])) {
			i = parse_flag(create_flags, N_ELEMENTS(create_flags), argc, argv, i, a);
		} else {
			a->id = argv[i++];
		}
	}
}

/* exec's id is its first positional argument; what follows is the command. */
static void parse_exec(int argc, char *const argv[], int i, struct runtime_args *a)
{
	while (i < argc && a->id == NULL && !a->incomplete) {
		if (strcmp(argv[i], "--") == 0)
			i++;
		else if (is_flag(argv[i]))
			i = parse_flag(exec_flags, N_ELEMENTS(exec_flags), argc, argv, i, a);
		else
			a->id = argv[i++];
	}
}

static bool is_create(const char *cmd)
{
	return strcmp(cmd, "create") == 0 || strcmp(cmd, "run") == 0;
}

void runtime_args_parse(int argc, char *const argv[], struct runtime_args *out)
{
	struct runtime_args a = {.cmd_index = 0};
	int i = 1;

	while (i < argc && is_flag(argv[i]) && !a.incomplete) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		i = parse_flag(global_flags, N_ELEMENTS(global_flags), argc, argv, i, &a);
	}
	if (i < argc && !a.incomplete) {
		a.cmd_index = i;
		a.command = argv[i];
		if (is_create(a.command))
			parse_create(argc, argv, i + 1, &a);
		else if (strcmp(a.command, "exec") == 0)
			parse_exec(argc, argv, i + 1, &a);
	}
	*out = a;
}

bool runtime_args_wants_hook(const struct runtime_args *a)
{
	return a->command && is_create(a->command) && !a->help && !a->incomplete && a->id;
}

bool runtime_args_is_exec(const struct runtime_args *a)
{
	return a->command && strcmp(a->command, "exec") == 0 && a->id && !a->help &&
	       !a->incomplete;
}
