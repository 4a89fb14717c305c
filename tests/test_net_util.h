/* test_net_util.h - sockets helpers tests share: a free loopback UDP port
 * chosen by the kernel (bind to port 0), so concurrent test runs never
 * collide on fixed port numbers. */
#ifndef TG_TEST_NET_UTIL_H
#define TG_TEST_NET_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* A UDP port on 127.0.0.1 that was free a moment ago, or -1. */
static inline int tg_test_free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

#endif
