/*
 * libFuzzer target: kexprobe.c's reader of what a server sends first, on
 * arbitrary bytes.  Properties: no crash, no leak, no read past the input;
 * the same verdict whether the bytes come at once or one by one; a list it
 * returns is a NUL-terminated run of printable, blank-free ASCII.  The same
 * bytes are also read as packets after a version exchange, so the packet
 * and KEXINIT parsers see arbitrary bytes directly.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "kexprobe.c"

static void
check_list(const struct kexscan *ks)
{
	size_t i, n;

	if (ks->state != S_DONE)
		return;
	n = strlen(ks->algs);
	assert(n > 0 && n < ks->algslen);
	for (i = 0; i < n; i++)
		assert(ks->algs[i] > 0x20 && ks->algs[i] < 0x7f);
}

static void
feed_both_ways(const uint8_t *data, size_t size, enum state from)
{
	static struct kexscan whole, bytes;
	static char a[256], b[256];
	size_t i;

	scan_init(&whole, a, sizeof(a));
	scan_init(&bytes, b, sizeof(b));
	whole.state = bytes.state = from;
	scan_feed(&whole, data, size);
	for (i = 0; i < size; i++)
		scan_feed(&bytes, data + i, 1);
	assert(whole.state == bytes.state);
	assert(strcmp(whole.err, bytes.err) == 0);
	if (whole.state == S_DONE)
		assert(strcmp(a, b) == 0);
	check_list(&whole);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	feed_both_ways(data, size, S_LINE);
	feed_both_ways(data, size, S_PACKET);
	return 0;
}
