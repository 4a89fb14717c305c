/* test_feedsim_cli.c - `tickguard feedsim` as a function: --help, bad usage
 * (exit 2, one line), a synthetic run into a pcap with labels, and a CSV
 * with rejected lines that still replays. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feedsim/source.h"
#include "tests/tg_test.h"
#include "wire/moldudp64.h"
#include "wire/pcap.h"

int tg_cmd_feedsim(int argc, char **argv);

static int run(const char *const *args)
{
	char *argv[32];
	int argc = 0;
	for (; args[argc]; argc++)
		argv[argc] = (char *)(uintptr_t)args[argc];
	argv[argc] = NULL;
	fflush(stdout);
	return tg_cmd_feedsim(argc, argv);
}

static uint64_t pcap_msgs(const char *path)
{
	struct tg_pcap_reader r;
	struct tg_udp_datagram d;
	uint64_t n = 0;
	if (tg_pcap_open(&r, path))
		return 0;
	while (tg_pcap_next(&r, &d) > 0) {
		struct tg_mold_header h;
		if (!tg_mold_header_decode(d.payload, d.len, &h))
			n += tg_mold_msg_count(&h);
	}
	tg_pcap_close(&r);
	return n;
}

static void t_usage(void)
{
	TG_CHECK_EQ_I64(run((const char *[]){"feedsim", "--help", NULL}), 0);
	TG_CHECK_EQ_I64(run((const char *[]){"feedsim", "--bogus", "1", NULL}), 2);
	TG_CHECK_EQ_I64(run((const char *[]){"feedsim", "--trades", "abc", NULL}), 2);
	TG_CHECK_EQ_I64(run((const char *[]){"feedsim", "--drop", "1.5", NULL}), 2);
	TG_CHECK_EQ_I64(run((const char *[]){"feedsim", "--seed", NULL}), 2);
	TG_CHECK_EQ_I64(run((const char *[]){"feedsim", "/nonexistent/file.csv", NULL}), 1);
}

static void t_synth_pcap(void)
{
	char pcap[] = "/tmp/tg_feedsim_cliXXXXXX", labels[] = "/tmp/tg_feedsim_lblXXXXXX";
	close(mkstemp(pcap));
	close(mkstemp(labels));
	TG_CHECK_EQ_I64(
	    run((const char *[]){"feedsim", "--instruments", "3", "--trades", "1500", "--seed", "5",
	                         "--pcap", pcap, "--labels", labels, NULL}),
	    0);
	TG_CHECK_EQ_U64(pcap_msgs(pcap), 4 + 3 + 2 * 3 * 1500);
	struct tg_synth_config c;
	struct tg_source *s;
	struct tg_label *l;
	size_t n = 0;
	tg_synth_config_default(&c);
	c.instruments = 3;
	c.trades_per_instrument = 1500;
	c.seed = 5;
	TG_CHECK_EQ_I64(tg_source_open_synth(&c, &s), 0);
	TG_CHECK_EQ_I64(tg_labels_read(labels, s, &l, &n), 0);
	const struct tg_label *want;
	TG_CHECK_EQ_U64(n, tg_source_labels(s, &want));
	TG_CHECK(n > 0);
	free(l);
	tg_source_close(s);
	unlink(pcap);
	unlink(labels);
}

static void t_csv_rejects(void)
{
	char csv[] = "/tmp/tg_feedsim_csvXXXXXX", pcap[] = "/tmp/tg_feedsim_cpXXXXXX";
	int fd = mkstemp(csv);
	close(mkstemp(pcap));
	const char text[] = "symbol,timestamp,price,size\nAAA,34200.1,10.01,100\nnonsense\n"
	                    "BBB,09:30:01,20,5\n";
	TG_CHECK_EQ_I64(write(fd, text, sizeof(text) - 1), (int64_t)sizeof(text) - 1);
	close(fd);
	TG_CHECK_EQ_I64(run((const char *[]){"feedsim", "--csv", csv, "--pcap", pcap, NULL}), 0);
	TG_CHECK_EQ_U64(pcap_msgs(pcap), 4 + 2 + 2 * 2);
	unlink(csv);
	unlink(pcap);
}

int main(void)
{
	tg_test_case("usage", t_usage);
	tg_test_case("synth_pcap", t_synth_pcap);
	tg_test_case("csv_rejects", t_csv_rejects);
	return tg_test_done();
}
