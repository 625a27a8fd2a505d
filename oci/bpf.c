/* Interprets the classic BPF that libseccomp emits (and a bit more: the whole ALU, scratch
 * memory, both jump sources), with the kernel's seccomp rules: 32-bit aligned loads inside
 * struct seccomp_data only, forward jumps inside the program, a RET at the end. */
#include "bpf.h"

#include <string.h>

struct vm {
	uint32_t a, x, mem[BPF_MEMWORDS];
	const struct seccomp_data *d;
};

static int load(const struct vm *vm, uint32_t k, uint32_t *out)
{
	if (k % 4 != 0 || k > sizeof(*vm->d) - 4)
		return -1;
	memcpy(out, (const char *)vm->d + k, 4);
	return 0;
}

static int alu(struct vm *vm, uint16_t code, uint32_t k)
{
	uint32_t v = BPF_SRC(code) == BPF_X ? vm->x : k;

	switch (BPF_OP(code)) {
	case BPF_ADD:
		vm->a += v;
		break;
	case BPF_SUB:
		vm->a -= v;
		break;
	case BPF_MUL:
		vm->a *= v;
		break;
	case BPF_DIV:
		if (v == 0)
			return -1;
		vm->a /= v;
		break;
	case BPF_MOD:
		if (v == 0)
			return -1;
		vm->a %= v;
		break;
	case BPF_AND:
		vm->a &= v;
		break;
	case BPF_OR:
		vm->a |= v;
		break;
	case BPF_XOR:
		vm->a ^= v;
		break;
	case BPF_LSH:
		vm->a = v >= 32 ? 0 : vm->a << v;
		break;
	case BPF_RSH:
		vm->a = v >= 32 ? 0 : vm->a >> v;
		break;
	case BPF_NEG:
		vm->a = -vm->a;
		break;
	default:
		return -1;
	}
	return 0;
}

static int jump_taken(const struct vm *vm, uint16_t code, uint32_t k)
{
	uint32_t v = BPF_SRC(code) == BPF_X ? vm->x : k;

	switch (BPF_OP(code)) {
	case BPF_JEQ:
		return vm->a == v;
	case BPF_JGT:
		return vm->a > v;
	case BPF_JGE:
		return vm->a >= v;
	case BPF_JSET:
		return (vm->a & v) != 0;
	default:
		return -1;
	}
}

/* Executes one non-RET instruction; returns the pc offset to add, or -1. */
static long step(struct vm *vm, const struct sock_filter *in)
{
	int taken;

	switch (in->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		return load(vm, in->k, &vm->a) < 0 ? -1 : 0;
	case BPF_LD | BPF_W | BPF_LEN:
		vm->a = sizeof(*vm->d);
		return 0;
	case BPF_LDX | BPF_W | BPF_LEN:
		vm->x = sizeof(*vm->d);
		return 0;
	case BPF_LD | BPF_IMM:
		vm->a = in->k;
		return 0;
	case BPF_LDX | BPF_IMM:
		vm->x = in->k;
		return 0;
	case BPF_LD | BPF_MEM:
		if (in->k >= BPF_MEMWORDS)
			return -1;
		vm->a = vm->mem[in->k];
		return 0;
	case BPF_LDX | BPF_MEM:
		if (in->k >= BPF_MEMWORDS)
			return -1;
		vm->x = vm->mem[in->k];
		return 0;
	case BPF_ST:
		if (in->k >= BPF_MEMWORDS)
			return -1;
		vm->mem[in->k] = vm->a;
		return 0;
	case BPF_STX:
		if (in->k >= BPF_MEMWORDS)
			return -1;
		vm->mem[in->k] = vm->x;
		return 0;
	case BPF_MISC | BPF_TAX:
		vm->x = vm->a;
		return 0;
	case BPF_MISC | BPF_TXA:
		vm->a = vm->x;
		return 0;
	case BPF_JMP | BPF_JA:
		return in->k;
	}
	if (BPF_CLASS(in->code) == BPF_ALU)
		return alu(vm, in->code, in->k) < 0 ? -1 : 0;
	if (BPF_CLASS(in->code) != BPF_JMP)
		return -1;
	taken = jump_taken(vm, in->code, in->k);
	if (taken < 0)
		return -1;
	return taken ? in->jt : in->jf;
}

uint32_t bpf_run(const struct sock_filter *insns, size_t len, const struct seccomp_data *d)
{
	struct vm vm = {.d = d};
	size_t pc = 0;

	if (len == 0 || len > BPF_MAXINSNS)
		return BPF_RUN_INVALID;
	while (pc < len) {
		const struct sock_filter *in = &insns[pc++];
		long off;

		if (in->code == (BPF_RET | BPF_K))
			return in->k;
		if (in->code == (BPF_RET | BPF_A))
			return vm.a;
		off = step(&vm, in);
		if (off < 0 || (size_t)off >= len - pc + 1)
			return BPF_RUN_INVALID;
		pc += off;
	}
	return BPF_RUN_INVALID; /* fell off the end: the kernel's checker refuses that */
}
