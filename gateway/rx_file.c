/* rx_file.c - replay a capture or an ITCH BinaryFILE through the receive
 * interface, so a file takes exactly the decode path live packets take.
 * The file is mapped (wire/ readers), packets point into the mapping, so
 * release is free. A pcap gives MoldUDP64 datagrams stamped with their
 * capture time; a BinaryFILE gives bare ITCH messages stamped with the
 * replay time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/tg_common.h"
#include "gateway/rx.h"
#include "wire/binfile.h"
#include "wire/pcap.h"

struct rx_file {
	struct tg_rx rx;
	bool is_pcap;
	bool ended;
	struct tg_pcap_reader pcap;
	struct tg_binfile bin;
	struct tg_rx_stats st;
};

static int rx_file_recv_burst(struct tg_rx *rx, struct tg_rx_pkt *pkts, unsigned max,
                              uint64_t timeout_ns)
{
	(void)timeout_ns;
	struct rx_file *f = (struct rx_file *)rx;
	if (f->ended)
		return -ENODATA;
	unsigned n = 0;
	uint64_t now = f->is_pcap ? 0 : tg_realtime_ns();
	while (n < max) {
		int rc;
		if (f->is_pcap) {
			struct tg_udp_datagram d;
			rc = tg_pcap_next(&f->pcap, &d);
			if (rc == 1)
				pkts[n] = (struct tg_rx_pkt){.data = d.payload,
				                             .len = (uint32_t)d.len,
				                             .kind = TG_RX_MOLD,
				                             .recv_ts_ns = d.ts_ns};
		} else {
			const uint8_t *msg;
			size_t len;
			rc = tg_binfile_next(&f->bin, &msg, &len);
			if (rc == 1)
				pkts[n] = (struct tg_rx_pkt){.data = msg,
				                             .len = (uint32_t)len,
				                             .kind = TG_RX_ITCH,
				                             .recv_ts_ns = now};
		}
		if (rc != 1) {
			if (rc < 0)
				f->st.file_err = rc;
			f->ended = true;
			break;
		}
		f->st.packets++;
		f->st.bytes += pkts[n].len;
		n++;
	}
	if (n == 0)
		return -ENODATA;
	return (int)n;
}

static void rx_file_release_burst(struct tg_rx *rx, const struct tg_rx_pkt *pkts, unsigned n)
{
	(void)rx;
	(void)pkts;
	(void)n;
}

static int rx_file_send(struct tg_rx *rx, const void *buf, size_t len)
{
	(void)rx;
	(void)buf;
	(void)len;
	return -ENOTSUP;
}

static void rx_file_stats(struct tg_rx *rx, struct tg_rx_stats *out)
{
	struct rx_file *f = (struct rx_file *)rx;
	if (f->is_pcap) {
		const struct tg_pcap_counters *c = &f->pcap.c;
		f->st.file_skipped = c->frames - c->udp;
		f->st.file_pos_bytes = (uint64_t)(f->pcap.p - f->pcap.base);
		f->st.file_bytes = (uint64_t)(f->pcap.end - f->pcap.base);
	} else {
		f->st.file_len_fixed = f->bin.zero_len_fixed;
		f->st.file_pos_bytes = (uint64_t)(f->bin.p - f->bin.base);
		f->st.file_bytes = (uint64_t)(f->bin.end - f->bin.base);
	}
	*out = f->st;
}

static void rx_file_close(struct tg_rx *rx)
{
	struct rx_file *f = (struct rx_file *)rx;
	if (f->is_pcap)
		tg_pcap_close(&f->pcap);
	else
		tg_binfile_close(&f->bin);
	free(f);
}

static const struct tg_rx_ops rx_file_ops = {
    .name = "file",
    .recv_burst = rx_file_recv_burst,
    .release_burst = rx_file_release_burst,
    .send = rx_file_send,
    .stats = rx_file_stats,
    .close = rx_file_close,
};

static bool is_pcap_magic(const uint8_t m[4])
{
	static const uint32_t magics[] = {TG_PCAP_MAGIC_US, TG_PCAP_MAGIC_NS};
	for (unsigned i = 0; i < TG_ARRAY_SIZE(magics); i++) {
		uint32_t v = magics[i];
		uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
		                 (uint8_t)(v >> 24)};
		uint8_t be[4] = {le[3], le[2], le[1], le[0]};
		if (!memcmp(m, le, 4) || !memcmp(m, be, 4))
			return true;
	}
	return false;
}

int tg_rx_file_open(const char *path, struct tg_rx **out)
{
	uint8_t magic[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t got = read(fd, magic, sizeof(magic));
	int err = got < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	struct rx_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->rx.ops = &rx_file_ops;
	f->is_pcap = got == 4 && is_pcap_magic(magic);
	int rc = f->is_pcap ? tg_pcap_open(&f->pcap, path) : tg_binfile_open(&f->bin, path);
	if (rc < 0) {
		free(f);
		return rc;
	}
	*out = &f->rx;
	return 0;
}
