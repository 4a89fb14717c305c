/* auth.c - bearer-token sources for the remote client. Tokens are checked
 * to be one printable header-safe word (no spaces, no control bytes), so a
 * stray newline or a hostile file cannot inject headers. A failed refresh
 * of a command token keeps the old token while it is still young enough
 * (within 1.2 x refresh), so a flaky gcloud does not stop scoring. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "scorer/auth.h"

struct tg_auth {
	enum tg_auth_source src;
	char *arg;
	uint64_t refresh_ns;
	char token[TG_AUTH_TOKEN_MAX];
	size_t token_len;
	uint64_t fetched_ns; /* when token was fetched; 0 = never */
	struct stat file_st; /* TG_AUTH_FILE: identity of what we read */
	int valid;
};

int tg_auth_create(enum tg_auth_source src, const char *arg, uint32_t refresh_s,
                   struct tg_auth **out)
{
	if (src != TG_AUTH_NONE && (!arg || !*arg))
		return -EINVAL;
	if (src > TG_AUTH_COMMAND)
		return -EINVAL;
	struct tg_auth *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->src = src;
	if (arg && !(a->arg = strdup(arg))) {
		free(a);
		return -ENOMEM;
	}
	a->refresh_ns = (uint64_t)(refresh_s ? refresh_s : 3000) * 1000000000ull;
	*out = a;
	return 0;
}

static void wipe(struct tg_auth *a)
{
	explicit_bzero(a->token, sizeof(a->token));
	a->token_len = 0;
	a->valid = 0;
}

void tg_auth_destroy(struct tg_auth *a)
{
	if (!a)
		return;
	wipe(a);
	free(a->arg);
	free(a);
}

void tg_auth_invalidate(struct tg_auth *a)
{
	if (a)
		a->valid = 0;
}

/* Trim trailing whitespace of raw[0..n) and check it is one header-safe
 * word; copy into a->token. */
static int take_token(struct tg_auth *a, const char *raw, size_t n, char *why, size_t why_len)
{
	while (n && (raw[n - 1] == '\n' || raw[n - 1] == '\r' || raw[n - 1] == ' ' ||
	             raw[n - 1] == '\t'))
		n--;
	size_t s = 0;
	while (s < n && (raw[s] == ' ' || raw[s] == '\t'))
		s++;
	if (s == n) {
		snprintf(why, why_len, "auth: empty token");
		return -EBADMSG;
	}
	if (n - s >= sizeof(a->token)) {
		snprintf(why, why_len, "auth: token longer than %d bytes", TG_AUTH_TOKEN_MAX - 1);
		return -EBADMSG;
	}
	for (size_t i = s; i < n; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c <= 0x20 || c >= 0x7f) {
			snprintf(why, why_len,
			         "auth: token has a space or control byte at offset %zu", i - s);
			return -EBADMSG;
		}
	}
	memcpy(a->token, raw + s, n - s);
	a->token[n - s] = '\0';
	a->token_len = n - s;
	a->valid = 1;
	return 0;
}

static int fetch_env(struct tg_auth *a, char *why, size_t why_len)
{
	const char *v = getenv(a->arg);
	if (!v) {
		snprintf(why, why_len, "auth: environment variable %s is not set", a->arg);
		return -ENOENT;
	}
	return take_token(a, v, strlen(v), why, why_len);
}

static int fetch_file(struct tg_auth *a, char *why, size_t why_len)
{
	char raw[TG_AUTH_TOKEN_MAX + 64];
	FILE *f = fopen(a->arg, "re");
	if (!f) {
		int e = errno;
		snprintf(why, why_len, "auth: cannot open token file %s: %s", a->arg, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0) {
		int e = errno;
		fclose(f);
		snprintf(why, why_len, "auth: cannot stat token file %s", a->arg);
		return -e;
	}
	size_t n = fread(raw, 1, sizeof(raw), f);
	int err = ferror(f);
	fclose(f);
	if (err) {
		snprintf(why, why_len, "auth: cannot read token file %s", a->arg);
		return -EIO;
	}
	int rc = take_token(a, raw, n, why, why_len);
	explicit_bzero(raw, sizeof(raw));
	if (rc == 0)
		a->file_st = st;
	return rc;
}

static int fetch_command(struct tg_auth *a, char *why, size_t why_len)
{
	char raw[TG_AUTH_TOKEN_MAX + 64];
	fflush(NULL);
	FILE *p = popen(a->arg, "re");
	if (!p) {
		int e = errno;
		snprintf(why, why_len, "auth: cannot run token command: %s", strerror(e));
		return -e;
	}
	size_t n = 0, got;
	while (n < sizeof(raw) && (got = fread(raw + n, 1, sizeof(raw) - n, p)) > 0)
		n += got;
	/* drain whatever is left so the child can exit */
	char sink[256];
	while (fread(sink, 1, sizeof(sink), p) > 0)
		n = sizeof(raw);
	int st = pclose(p);
	int rc;
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, why_len, "auth: token command failed (exit status %d)",
		         st == -1 ? -1 : (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)));
		rc = -EACCES;
	} else {
		rc = take_token(a, raw, n, why, why_len);
	}
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

/* True when the token must be (re)fetched now. */
static int due(struct tg_auth *a, uint64_t now_ns)
{
	if (!a->valid)
		return 1;
	switch (a->src) {
	case TG_AUTH_FILE: {
		struct stat st;
		if (stat(a->arg, &st) != 0)
			return 0; /* gone for a moment: keep the last token */
		return st.st_ino != a->file_st.st_ino || st.st_size != a->file_st.st_size ||
		       st.st_mtim.tv_sec != a->file_st.st_mtim.tv_sec ||
		       st.st_mtim.tv_nsec != a->file_st.st_mtim.tv_nsec;
	}
	case TG_AUTH_COMMAND:
		return now_ns - a->fetched_ns >= a->refresh_ns;
	default:
		return 0;
	}
}

long tg_auth_header(struct tg_auth *a, uint64_t now_ns, char *buf, size_t len, char *why,
                    size_t why_len)
{
	if (!a || a->src == TG_AUTH_NONE)
		return 0;
	if (due(a, now_ns)) {
		int had = a->valid;
		int rc;
		switch (a->src) {
		case TG_AUTH_ENV:
			rc = fetch_env(a, why, why_len);
			break;
		case TG_AUTH_FILE:
			rc = fetch_file(a, why, why_len);
			break;
		default:
			rc = fetch_command(a, why, why_len);
			break;
		}
		if (rc == 0) {
			a->fetched_ns = now_ns;
		} else {
			/* keep a still-young token through a failed refresh */
			uint64_t grace = a->refresh_ns + a->refresh_ns / 5;
			if (!(had && a->src == TG_AUTH_COMMAND && now_ns - a->fetched_ns < grace)) {
				wipe(a);
				return rc;
			}
			a->valid = 1;
		}
	}
	int n = snprintf(buf, len, "Authorization: Bearer %s", a->token);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			explicit_bzero(buf, len);
		snprintf(why, why_len, "auth: header buffer too small");
		return -ENOSPC;
	}
	return n;
}
