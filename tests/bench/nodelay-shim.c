/* tests/bench/nodelay-shim.c — diagnostic only: an LD_PRELOAD library that sets TCP_NODELAY on
 * every accepted socket, to show how much of trechterd's latency is Nagle's algorithm meeting the
 * client's delayed ACK (docs/benchmarks.md). Not part of the daemon.
 *   cc -shared -fPIC -O2 -o /tmp/nodelay.so tests/bench/nodelay-shim.c -ldl
 *   BENCH_PRELOAD=/tmp/nodelay.so tests/bench/run-platform */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static void nd(int fd)
{
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
int accept4(int s, struct sockaddr *a, socklen_t *l, int f)
{
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real)
        real = dlsym(RTLD_NEXT, "accept4");
    int fd = real(s, a, l, f);
    nd(fd);
    return fd;
}
int accept(int s, struct sockaddr *a, socklen_t *l)
{
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real)
        real = dlsym(RTLD_NEXT, "accept");
    int fd = real(s, a, l);
    nd(fd);
    return fd;
}
