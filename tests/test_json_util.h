/* test_json_util.h - reading the JSON that tickguard writes (run summaries,
 * alert lines) in tests, with cJSON: a whole file parsed, and a number
 * found by a dotted path, so that a check names the field it reads. */
#ifndef TG_TEST_JSON_UTIL_H
#define TG_TEST_JSON_UTIL_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tg_test.h"

/* The file at path parsed (cJSON_Delete it), or NULL. */
static inline cJSON *tg_test_json_load(const char *path)
{
	char *t = tg_test_slurp(path, NULL);
	cJSON *j = t ? cJSON_Parse(t) : NULL;
	free(t);
	return j;
}

/* The number at a dotted path ("detection.kinds.spike.recall") below o;
 * -1 when there is none (or it is not a number). */
static inline double tg_test_json_num(const cJSON *o, const char *path)
{
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s", path);
	const cJSON *cur = o;
	char *save = NULL;
	for (char *tok = strtok_r(tmp, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
		cur = cJSON_GetObjectItem(cur, tok);
	return cJSON_IsNumber(cur) ? cur->valuedouble : -1;
}

#endif
