/* test_remote_fuzz.c - the fuzz target for the remote client's parser of
 * outside bytes (a server's reply body), the committed corpus
 * (tests/remote-corpus/reply) replayed by every `make test`, and a seeded
 * mutation run over it. Input: 3 shape bytes (instances-1 % 3, window-1 %
 * 4, features-1 % 2), then the body.
 * Invariants: the verdict is 0 or -EPROTO; a rejection always explains
 * itself (non-empty reason, bounded length, no raw control bytes); an
 * acceptance fills exactly the announced shape. A failed invariant aborts.
 * libFuzzer: `make fuzz-remote` (clang -fsanitize=fuzzer -DTG_LIBFUZZER). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scorer/recon.h"
#include "tests/test_fuzz_util.h"

int tg_fuzz_remote_reply(const uint8_t *data, size_t size);
int tg_fuzz_remote_reply(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint32_t n = 1 + data[0] % 3, w = 1 + data[1] % 4, f = 1 + data[2] % 2;
	float recon[3 * 4 * 2 + 1];
	double scores[3 + 1];
	const float canary = -12345.0f;
	for (size_t i = 0; i < sizeof(recon) / sizeof(recon[0]); i++)
		recon[i] = canary;
	scores[n] = 42.0;
	bool so = false;
	char why[200] = "";
	int rc = tg_recon_remote_parse((const char *)data + 3, size - 3, n, w, f, recon, scores,
	                               &so, why, sizeof(why));
	FZ_ASSERT(rc == 0 || rc == -EPROTO);
	if (rc < 0) {
		size_t l = strlen(why);
		FZ_ASSERT(l > 0 && l < sizeof(why));
		for (size_t i = 0; i < l; i++) {
			if ((unsigned char)why[i] < 0x20)
				fprintf(stderr, "reason: %s\n", why);
			FZ_ASSERT((unsigned char)why[i] >= 0x20);
		}
	} else if (!so) {
		FZ_ASSERT(recon[n * w * f] == canary); /* nothing written past the shape */
	} else {
		FZ_ASSERT(scores[n] == 42.0);
	}
	return 0;
}

#ifdef TG_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tg_fuzz_remote_reply(data, size);
}
#else
#include "tests/tg_test.h"

#define CORPUS "tests/remote-corpus/reply"

static int n_files;
static uint8_t *files[256];
static size_t sizes[256];

static void load_corpus(void)
{
	DIR *d = opendir(CORPUS);
	if (!d)
		TG_SKIP("no corpus at %s", CORPUS);
	struct dirent *e;
	while ((e = readdir(d)) && n_files < 256) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", CORPUS, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		uint8_t *buf = malloc(1 << 16);
		size_t n = fread(buf, 1, 1 << 16, f);
		fclose(f);
		files[n_files] = buf;
		sizes[n_files++] = n;
	}
	closedir(d);
}

static void t_replay(void)
{
	load_corpus();
	TG_CHECK(n_files >= 10);
	for (int i = 0; i < n_files; i++)
		tg_fuzz_remote_reply(files[i], sizes[i]);
}

static void t_mutations(void)
{
	if (!n_files)
		TG_SKIP("no corpus");
	uint64_t x = 0x9E3779B97F4A7C15ull;
	int runs = (int)(20000 * tg_test_scale()) + 500;
	uint8_t *m = malloc(1 << 16);
	for (int r = 0; r < runs; r++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int i = (int)(x % (uint64_t)n_files);
		size_t n = sizes[i];
		memcpy(m, files[i], n);
		int edits = 1 + (int)((x >> 8) % 6);
		for (int k = 0; k < edits && n > 0; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			static const char alpha[] = "[]{},:\"0123456789.-+eE ntrufals\\\x00\xff";
			size_t at = (size_t)(x % n);
			switch ((x >> 40) % 4) {
			case 0: /* replace */
				m[at] = (uint8_t)alpha[(x >> 20) % (sizeof(alpha) - 1)];
				break;
			case 1: /* truncate */
				n = at;
				break;
			case 2: /* duplicate a span */
				if (n + 16 < (1 << 16)) {
					memmove(m + at + 16, m + at, n - at);
					n += 16;
				}
				break;
			default: /* delete one byte */
				memmove(m + at, m + at + 1, n - at - 1);
				n--;
			}
		}
		tg_fuzz_remote_reply(m, n);
	}
	free(m);
	for (int i = 0; i < n_files; i++)
		free(files[i]);
}

int main(void)
{
	tg_test_case("replay_corpus", t_replay);
	tg_test_case("mutations", t_mutations);
	return tg_test_done();
}
#endif
