/* test_shm_util.h - what the shm tests share: a private backing directory
 * (TG_SHM_DIR) per test process, so tests never meet each other's or a
 * running gateway's segments, and removed again at exit. */
#ifndef TG_TEST_SHM_UTIL_H
#define TG_TEST_SHM_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tg_shm_test_dir[256];
static pid_t tg_shm_test_owner;

static inline void tg_shm_test_cleanup(void)
{
	DIR *d = getpid() == tg_shm_test_owner ? opendir(tg_shm_test_dir) : NULL;
	if (!d) /* forked children leave the directory to their parent */
		return;
	struct dirent *de;
	char p[600];
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tg_shm_test_dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tg_shm_test_dir);
}

/* Call first in main(): creates /dev/shm/tg-test.XXXXXX, sets TG_SHM_DIR. */
static inline void tg_shm_test_setup(void)
{
	snprintf(tg_shm_test_dir, sizeof(tg_shm_test_dir), "/dev/shm/tg-test.XXXXXX");
	if (!mkdtemp(tg_shm_test_dir)) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("TG_SHM_DIR", tg_shm_test_dir, 1);
	tg_shm_test_owner = getpid();
	atexit(tg_shm_test_cleanup);
}

#endif
