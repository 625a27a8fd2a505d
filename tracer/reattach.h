/* `octrace attach --container ID`: trace a running container again (reattach.c). */
#pragma once

#include <stdbool.h>

/* argv is `octrace attach ... --container ...`. */
bool reattach_requested(int argc, char **argv);
/* Run the container's own octrace-hook again with --reattach; the exit status of octrace. */
int reattach_main(int argc, char **argv);
