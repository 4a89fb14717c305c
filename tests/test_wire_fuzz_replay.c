/* test_wire_fuzz_replay.c - runs every committed fuzz corpus file
 * (tests/fuzz/corpus/<target>/) through the same target function libFuzzer
 * drives in `make fuzz`, so inputs that once found a bug, or cover a path,
 * are re-checked by every `make test` (release and ASan/UBSan). Each input
 * is copied into an exact-size heap buffer so an overread is caught. A
 * target invariant failing aborts this program (reported as a failure). */
#include <dirent.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"
#include "tests/tg_test.h"

static uint64_t replay_dir(const char *target, int (*fn)(const uint8_t *, size_t))
{
	char dir[256];
	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", target);
	DIR *d = opendir(dir);
	if (!d) {
		TG_FAIL("cannot open %s (run from the repository root)", dir);
		return 0;
	}
	uint64_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f) {
			TG_FAIL("open %s", path);
			continue;
		}
		struct stat st;
		if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
			fclose(f);
			continue;
		}
		size_t len = (size_t)st.st_size;
		uint8_t *buf = malloc(len ? len : 1);
		if (len && fread(buf, 1, len, f) != len)
			TG_FAIL("short read %s", path);
		fclose(f);
		fn(buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void t_itch(void)
{
	TG_CHECK(replay_dir("itch", tg_fuzz_itch) >= 20);
}
static void t_mold(void)
{
	TG_CHECK(replay_dir("mold", tg_fuzz_mold) >= 20);
}
static void t_pcap(void)
{
	TG_CHECK(replay_dir("pcap", tg_fuzz_pcap) >= 20);
}
static void t_binfile(void)
{
	TG_CHECK(replay_dir("binfile", tg_fuzz_binfile) >= 10);
}

/* The targets' invariants hold on a few built-in edge inputs too (and the
 * replay would notice a target that accepts everything: a clean MoldUDP64
 * packet must yield its message). */
static void t_builtin(void)
{
	static const uint8_t empty[1];
	TG_CHECK_EQ_I64(tg_fuzz_itch(empty, 0), 0);
	TG_CHECK_EQ_I64(tg_fuzz_mold(empty, 0), 0);
	TG_CHECK_EQ_I64(tg_fuzz_pcap(empty, 0), 0);
	TG_CHECK_EQ_I64(tg_fuzz_binfile(empty, 0), 0);
	uint8_t pkt[20 + 2 + 19] = {'S', 'E', 'S', 'S', ' ', ' ', ' ', ' ', ' ', ' ', 0,  0,
	                            0,   0,   0,   0,   0,   1,   0,   1,   0,   19,  'D'};
	TG_CHECK_EQ_I64(tg_fuzz_mold(pkt, sizeof(pkt)), 0);
	TG_CHECK_EQ_I64(tg_fuzz_itch_one(pkt + 22, 19), 19);
}

int main(void)
{
	tg_test_case("builtin", t_builtin);
	tg_test_case("corpus_itch", t_itch);
	tg_test_case("corpus_mold", t_mold);
	tg_test_case("corpus_pcap", t_pcap);
	tg_test_case("corpus_binfile", t_binfile);
	return tg_test_done();
}
