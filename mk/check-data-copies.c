/* check-data-copies.c - the project rule "data from ../shared/data is read in
 * place, never copied into the repository", made checkable. Fuzz corpora
 * seeded from real captures keep long verbatim stretches of them even after
 * mutation; this reports every scanned file that shares a run of >= 24
 * identical bytes (-n) with any file under the data directory.
 *
 * Method: every 24-byte window of the scanned files (small: the corpora,
 * or all tracked files) goes into a hash table keyed by a polynomial
 * rolling hash; each data file is then read once and its windows rolled
 * through a bit-filter and the table. A hash hit is confirmed with memcmp
 * and grown both ways to the full shared run. Compressed files (*.gz) are
 * not decompressed and not scanned. The data directory's own descriptions
 * (README*, *ReadMe*, SHA256SUMS) are metadata, not data: quoting a file
 * name, a hash or a phrase of them is referencing the data, so they are
 * skipped unless --all-data.
 *
 * Runs made of one repeated byte (zero padding, blanks) carry no data and
 * are counted as "uniform" but not reported as copies unless --strict.
 *
 * Usage: check-data-copies [-n MIN] [-d DATADIR] [--strict] [--all-data] [-q] PATH...
 *        (PATH: file or directory, walked recursively; "-" reads a
 *        NUL-separated file list from stdin, e.g. `git ls-files -z`).
 * Exit: 0 no copies, 1 copies found, 2 usage or I/O error. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define HBASE       0x100000001b3ull /* odd multiplier, hash is mod 2^64 */
#define FILTER_BITS 24

struct scan_file {
	char *path;
	uint8_t *buf;
	size_t len;
	/* findings */
	uint64_t copied; /* scanned bytes inside some shared run */
	uint8_t *mark;   /* per byte: covered by a shared run */
	size_t best_len, best_off, best_data_off;
	const char *best_data;
	uint64_t uniform; /* uniform runs seen (ignored unless --strict) */
};

struct slot {
	uint64_t h;    /* 0 = empty (a real hash of 0 is stored as 1) */
	uint32_t file; /* index into files */
	uint32_t off;
};

static struct scan_file *files;
static size_t nfiles, capfiles;
static struct slot *table;
static size_t table_mask;
static uint64_t *filter;
static size_t min_run = 24;
static int strict, quiet, all_data;
static uint64_t scanned_bytes, data_bytes, data_files;

static void die(const char *what, const char *path)
{
	fprintf(stderr, "check-data-copies: %s %s: %s\n", what, path, strerror(errno));
	exit(2);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open", path);
	struct stat st;
	if (fstat(fileno(f), &st) < 0)
		die("cannot stat", path);
	size_t n = (size_t)st.st_size;
	uint8_t *b = malloc(n ? n : 1);
	if (!b || (n && fread(b, 1, n, f) != n))
		die("cannot read", path);
	fclose(f);
	*len = n;
	return b;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

static void add_scan_file(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return; /* deleted-but-listed, symlinks, sockets: nothing to check */
	if (nfiles == capfiles) {
		capfiles = capfiles ? capfiles * 2 : 256;
		files = realloc(files, capfiles * sizeof(*files));
		if (!files)
			die("out of memory", path);
	}
	struct scan_file *f = &files[nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->buf = read_all(path, &f->len);
	scanned_bytes += f->len;
}

static void walk(const char *path, void (*fn)(const char *))
{
	struct stat st;
	if (lstat(path, &st) < 0)
		die("cannot stat", path);
	if (!S_ISDIR(st.st_mode)) {
		fn(path);
		return;
	}
	DIR *d = opendir(path);
	if (!d)
		die("cannot open", path);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *p;
		if (asprintf(&p, "%s/%s", path, e->d_name) < 0)
			die("out of memory", path);
		walk(p, fn);
		free(p);
	}
	closedir(d);
}

static uint64_t hash_window(const uint8_t *p, size_t n)
{
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * HBASE + p[i];
	return h;
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

static int uniform(const uint8_t *p, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (p[i] != p[0])
			return 0;
	return 1;
}

static void build_index(void)
{
	uint64_t windows = 0;
	for (size_t i = 0; i < nfiles; i++)
		if (files[i].len >= min_run)
			windows += files[i].len - min_run + 1;
	size_t cap = 1024;
	while (cap < windows * 2)
		cap *= 2;
	table = calloc(cap, sizeof(*table));
	filter = calloc((1u << FILTER_BITS) / 64, sizeof(uint64_t));
	if (!table || !filter)
		die("out of memory", "index");
	table_mask = cap - 1;
	uint64_t top = 1; /* HBASE^(min_run-1), to roll the oldest byte out */
	for (size_t i = 1; i < min_run; i++)
		top *= HBASE;
	for (size_t fi = 0; fi < nfiles; fi++) {
		const uint8_t *b = files[fi].buf;
		size_t n = files[fi].len;
		if (n < min_run)
			continue;
		uint64_t h = hash_window(b, min_run);
		for (size_t i = 0;; i++) {
			uint64_t k = h ? h : 1, m = mix(k);
			size_t s = (size_t)(m >> 20) & table_mask;
			int dup = !strict && uniform(b + i, min_run); /* never a copy */
			for (; !dup && table[s].h; s = (s + 1) & table_mask)
				dup = table[s].h == k && table[s].file == fi &&
				      memcmp(b + table[s].off, b + i, min_run) == 0;
			if (!dup) { /* one entry per distinct window per file */
				filter[(m & ((1u << FILTER_BITS) - 1)) >> 6] |= 1ull << (m & 63);
				table[s] = (struct slot){k, (uint32_t)fi, (uint32_t)i};
			}
			if (i + min_run >= n)
				break;
			h = (h - b[i] * top) * HBASE + b[i + min_run];
		}
	}
}

/* A confirmed window at scanned file fi offset off == data offset doff:
 * grow it to the whole shared run and record it. */
static void record(size_t fi, size_t off, const char *dpath, const uint8_t *d, size_t dn,
                   size_t doff)
{
	struct scan_file *f = &files[fi];
	if (f->mark && f->mark[off] && f->mark[off + min_run - 1])
		return; /* already inside a recorded run */
	size_t a = off, da = doff, e = off + min_run, de = doff + min_run;
	while (a > 0 && da > 0 && f->buf[a - 1] == d[da - 1])
		a--, da--;
	while (e < f->len && de < dn && f->buf[e] == d[de])
		e++, de++;
	if (!strict && uniform(f->buf + a, e - a)) {
		f->uniform++;
		return;
	}
	if (!f->mark) {
		f->mark = calloc(f->len, 1);
		if (!f->mark)
			die("out of memory", f->path);
	}
	for (size_t i = a; i < e; i++) {
		f->copied += !f->mark[i];
		f->mark[i] = 1;
	}
	if (e - a > f->best_len) {
		f->best_len = e - a;
		f->best_off = a;
		f->best_data = dpath;
		f->best_data_off = da;
	}
}

static void scan_data(const char *path)
{
	if (ends_with(path, ".gz"))
		return;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (!all_data && (fnmatch("README*", base, 0) == 0 || fnmatch("*ReadMe*", base, 0) == 0 ||
	                  strcmp(base, "SHA256SUMS") == 0))
		return;
	size_t n;
	uint8_t *d = read_all(path, &n);
	data_bytes += n;
	data_files++;
	if (n >= min_run) {
		uint64_t top = 1;
		for (size_t i = 1; i < min_run; i++)
			top *= HBASE;
		char *dpath = strdup(path); /* kept: findings point at it */
		uint64_t h = hash_window(d, min_run);
		for (size_t i = 0;; i++) {
			uint64_t k = h ? h : 1, m = mix(k);
			if (filter[(m & ((1u << FILTER_BITS) - 1)) >> 6] & (1ull << (m & 63))) {
				for (size_t s = (size_t)(m >> 20) & table_mask; table[s].h;
				     s = (s + 1) & table_mask) {
					if (table[s].h != k)
						continue;
					struct scan_file *f = &files[table[s].file];
					if (memcmp(f->buf + table[s].off, d + i, min_run) == 0)
						record(table[s].file, table[s].off, dpath, d, n, i);
				}
			}
			if (i + min_run >= n)
				break;
			h = (h - d[i] * top) * HBASE + d[i + min_run];
		}
	}
	free(d);
}

static void read_list_stdin(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	while ((got = getdelim(&line, &cap, '\0', stdin)) > 0) {
		if (line[got - 1] == '\n' || line[got - 1] == '\0')
			line[got - 1] = 0;
		if (line[0])
			add_scan_file(line);
	}
	free(line);
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: check-data-copies [-n MIN] [-d DATADIR] [--strict] [--all-data] [-q] "
	        "PATH...\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *data_dir = "../shared/data";
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			min_run = (size_t)strtoul(argv[++i], NULL, 10);
			if (min_run < 4)
				return usage();
		} else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
			data_dir = argv[++i];
		} else if (strcmp(argv[i], "--strict") == 0) {
			strict = 1;
		} else if (strcmp(argv[i], "--all-data") == 0) {
			all_data = 1;
		} else if (strcmp(argv[i], "-q") == 0) {
			quiet = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		} else {
			return usage();
		}
	}
	if (i == argc)
		return usage();
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0)
			read_list_stdin();
		else
			walk(argv[i], add_scan_file);
	}
	struct stat st;
	if (stat(data_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "check-data-copies: no data directory %s\n", data_dir);
		return 2;
	}
	build_index();
	walk(data_dir, scan_data);

	size_t bad = 0;
	uint64_t uni = 0;
	for (size_t k = 0; k < nfiles; k++) {
		struct scan_file *f = &files[k];
		uni += f->uniform;
		if (!f->copied)
			continue;
		bad++;
		if (!quiet)
			printf("%s: %llu of %zu bytes shared with data; longest run %zu bytes at "
			       "offset %zu = %s offset %zu\n",
			       f->path, (unsigned long long)f->copied, f->len, f->best_len,
			       f->best_off, f->best_data, f->best_data_off);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("check-data-copies: %zu files (%llu bytes) against %llu data files (%llu bytes), "
	       "runs >= %zu: %zu files with copies, %llu uniform runs ignored, %.2f s\n",
	       nfiles, (unsigned long long)scanned_bytes, (unsigned long long)data_files,
	       (unsigned long long)data_bytes, min_run, bad, (unsigned long long)uni, secs);
	return bad ? 1 : 0;
}
