/* cmd_serve.c - `tickguard serve --model DIR --listen ADDR:PORT --name NAME`:
 * load a model package and serve it over the V1 prediction protocol until
 * SIGINT/SIGTERM. Prints one "listening" line (with the real port, so
 * --listen 127.0.0.1:0 works for tests) and a counters line at exit. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cmdline.h"
#include "model/package.h"
#include "serve/serve.h"

int tg_cmd_serve(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: tickguard serve --model DIR --listen ADDR:PORT --name NAME [options]\n"
	    "Serve a model package over the TF Serving / KServe V1 / Vertex AI protocol:\n"
	    "  POST /v1/models/NAME[/versions/N]:predict  {\"instances\": [[[p1],...,[pW]], ...]}\n"
	    "  GET  /v1/models/NAME[/versions/N][/metadata]\n"
	    "options:\n"
	    "  --model DIR            model package (model.json + shards) to serve\n"
	    "  --listen ADDR:PORT     listen address (port 0: any free port; default "
	    "127.0.0.1:8501)\n"
	    "  --name NAME            model name in the URL\n"
	    "  --version N            served version (default 1)\n"
	    "  --concurrency N        forward passes at a time (default 2)\n"
	    "  --max-connections N    open connections (default 64)\n"
	    "  --max-body-bytes N     request size limit (default 16777216)\n"
	    "  --max-instances N      windows per request (default 4096)\n"
	    "  --batch N              windows per forward call (default 64)\n");
}

int tg_cmd_serve(int argc, char **argv)
{
	const char *model_dir = NULL, *listen = "127.0.0.1:8501", *name = NULL;
	struct tg_serve_config cfg = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(
			    stderr,
			    "tickguard serve: unknown option or missing value: %s (see --help)\n",
			    a);
			return TG_EXIT_USAGE;
		}
		const char *v = argv[++i];
		uint32_t *num = NULL;
		if (!strcmp(a, "--model"))
			model_dir = v;
		else if (!strcmp(a, "--listen"))
			listen = v;
		else if (!strcmp(a, "--name"))
			name = v;
		else if (!strcmp(a, "--version"))
			num = &cfg.version;
		else if (!strcmp(a, "--concurrency"))
			num = &cfg.concurrency;
		else if (!strcmp(a, "--max-connections"))
			num = &cfg.max_connections;
		else if (!strcmp(a, "--max-body-bytes"))
			num = &cfg.max_body_bytes;
		else if (!strcmp(a, "--max-instances"))
			num = &cfg.max_instances;
		else if (!strcmp(a, "--batch"))
			num = &cfg.batch;
		else {
			fprintf(stderr, "tickguard serve: unknown option %s (see --help)\n", a);
			return TG_EXIT_USAGE;
		}
		if (num && tg_parse_u32(v, 10, num) < 0) {
			fprintf(stderr,
			        "tickguard serve: %s needs a non-negative integer, not '%s'\n", a,
			        v);
			return TG_EXIT_USAGE;
		}
	}
	if (!model_dir || !name) {
		fprintf(stderr, "tickguard serve: --model DIR and --name NAME are required\n");
		return TG_EXIT_USAGE;
	}
	char host[256];
	const char *colon = strrchr(listen, ':');
	uint32_t port;
	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host) ||
	    tg_parse_u32(colon + 1, 10, &port) < 0 || port > 65535) {
		fprintf(stderr, "tickguard serve: --listen wants ADDR:PORT, not '%s'\n", listen);
		return TG_EXIT_USAGE;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';

	char err[TG_PACKAGE_ERR_LEN];
	struct tg_model *m = NULL;
	int rc = tg_model_load_layers(model_dir, &m, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "tickguard serve: cannot load model %s: %s\n", model_dir, err);
		return TG_EXIT_FAILURE;
	}
	/* signals are taken by sigwait below; block them before threads start */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	cfg.name = name;
	cfg.model = m;
	cfg.host = host;
	cfg.port = (uint16_t)port;
	struct tg_serve *s = NULL;
	char serr[256] = "";
	rc = tg_serve_start(&cfg, &s, serr, sizeof(serr));
	if (rc < 0) {
		fprintf(stderr, "tickguard %s\n", serr);
		tg_model_destroy(m);
		return TG_EXIT_FAILURE;
	}
	printf("serve: model %s (window %u, features %u) listening on http://%s:%u/v1/models/%s\n",
	       name, m->cfg.window, m->cfg.features, host, tg_serve_port(s), name);
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	struct tg_serve_stats st;
	tg_serve_stats(s, &st);
	tg_serve_stop(s);
	tg_model_destroy(m);
	printf("serve: stopped (signal %d): requests %llu ok %llu predictions %llu bad %llu "
	       "not-found %llu too-large %llu busy %llu failed %llu\n",
	       sig, (unsigned long long)st.requests, (unsigned long long)st.ok,
	       (unsigned long long)st.predictions, (unsigned long long)st.bad_request,
	       (unsigned long long)st.not_found, (unsigned long long)st.too_large,
	       (unsigned long long)st.busy, (unsigned long long)st.failed);
	return 0;
}
