/* Reading /proc: /proc/PID/status, the one file the tracer reads per task (and only when it
 * must: a new task's thread group for audit, TracerPid in a seize race, NSpid in the hook);
 * cmdline, comm, namespaces for the audit log. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The value of "KEY:" in /proc/PID/status, without leading blanks or the newline.
 * 0 when found, 1 when the file has no such line, -1 (errno) when it cannot be read: the
 * task is gone. */
int proc_status_field(pid_t pid, const char *key, char *out, size_t size);

/* Seccomp_filters of /proc/TID/status (5.9+): how many filters the task has; -1 when it
 * cannot be told. */
int proc_seccomp_filters(pid_t tid);

/* The process's argv from /proc/PID/cmdline: one read of at most size-1 bytes into buf, at
 * most `max` arguments pointed to from argv (into buf). 0, or -1: gone. */
int proc_cmdline(pid_t pid, char *buf, size_t size, const char **argv, size_t max, size_t *n);

/* /proc/TID/comm (at most 15 bytes) without its newline; "" when the task is gone. */
void proc_comm(pid_t tid, char *buf, size_t size);

/* A namespace's identity (the device and inode of /proc/PID/ns/NS). */
struct proc_ns {
	dev_t dev;
	ino_t ino;
};

/* The namespace of kind `ns` ("mnt", "pid") of a task: 0, or -1 when it is gone. */
int proc_ns_id(pid_t pid, const char *ns, struct proc_ns *out);
