/* rt-static: a statically linked "hello": its whole life is brk, arch_prctl,
 * set_tid_address, set_robust_list, rseq, prlimit64, readlink, getrandom, mprotect, write
 * and exit_group (no mmap, no munmap), so that a whitelist policy of exactly those is
 * complete for it (tests/tracer/redteam.sh). */
#include <unistd.h>

int main(void)
{
	return write(1, "hello\n", 6) == 6 ? 0 : 1;
}
