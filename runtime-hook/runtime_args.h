/* What octrace-runtime needs to know from a runc/crun command line, without changing it: the
 * subcommand, and for create/run the bundle, crun's --config and the container id; the
 * --log/--log-format pair that says where runc reports errors. Everything borrowed from
 * argv. */
#pragma once

#include <stdbool.h>

struct runtime_args {
	int cmd_index;		/* argv index of the subcommand; 0: there is none */
	const char *command;	/* argv[cmd_index], or NULL */
	const char *bundle;	/* --bundle/-b; NULL: the current directory */
	const char *config;	/* crun's --config/-f, relative to the bundle; NULL: none */
	const char *id;		/* create/run: the last positional argument; exec: the first */
	const char *root;	/* global --root: the runtime's state directory; NULL: its default */
	const char *log;	/* global --log (crun may prefix it with "file:") */
	const char *log_format; /* global --log-format; NULL: text */
	bool help;		/* create/run --help/-h: the runtime only prints its help */
	bool incomplete;	/* a flag lacks its value: the runtime will say so itself */
};

/* Scan argv the way runc (Go's flag package: -flag and --flag, value as the next argument
 * or after '=') and crun (argp: also -bDIR) read it. Never fails: an unknown flag is taken
 * for a boolean, and whatever the runtime refuses, it refuses itself. */
void runtime_args_parse(int argc, char *const argv[], struct runtime_args *out);

/* create or run, with a usable command line: the bundle must get the hook. */
bool runtime_args_wants_hook(const struct runtime_args *a);
/* exec, with a usable command line: the joining process must be traced (runtime_join.c). */
bool runtime_args_is_exec(const struct runtime_args *a);
