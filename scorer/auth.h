/* auth.h - bearer tokens for the remote reconstruction client: from an
 * environment variable, a file (re-read when it changes) or a command's
 * output (re-run before the token expires). The token is only ever handed
 * out inside an "Authorization: Bearer ..." header line; error texts from
 * here never contain it. Not thread-safe: one thread (the I/O thread) per
 * struct tg_auth. Not hot path (may stat, read or fork).
 */
#ifndef TG_SCORER_AUTH_H
#define TG_SCORER_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "scorer/recon.h"

#define TG_AUTH_TOKEN_MAX 8192

struct tg_auth;

/* src TG_AUTH_NONE needs no arg. refresh_s: command tokens are re-run
 * after this many seconds (0 = 3000; gcloud access tokens live 3600 s).
 * 0, -EINVAL, -ENOMEM. Does not fetch yet. */
int tg_auth_create(enum tg_auth_source src, const char *arg, uint32_t refresh_s,
                   struct tg_auth **out);
/* Wipes the token from memory. NULL is fine. */
void tg_auth_destroy(struct tg_auth *a);

/* The header line "Authorization: Bearer TOKEN" into buf, fetching or
 * refreshing the token when due. Returns its length, 0 when src is NONE,
 * or -errno (-ENOENT, -EACCES, -EIO, -EBADMSG bad token, -ENOSPC) with a
 * one-line reason in why. */
long tg_auth_header(struct tg_auth *a, uint64_t now_ns, char *buf, size_t len, char *why,
                    size_t why_len);

/* The server rejected the token (401): fetch a fresh one next time. */
void tg_auth_invalidate(struct tg_auth *a);

#endif
