/* `octrace reload --container ID [--root DIR]`: ask the daemon of a traced container to
 * re-read its policy (tracer/reload.h), and print its answer. */
#pragma once

#include <stdbool.h>

bool reload_client_requested(int argc, char **argv);
/* 0 when the daemon applied the policy (or found it unchanged), 1 when it refused it, 125
 * when it cannot be reached, 2 for a usage error. */
int reload_client_main(int argc, char **argv);
