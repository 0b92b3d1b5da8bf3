/* systemd's notification protocol without libsystemd: one datagram on $NOTIFY_SOCKET. */
#ifndef TRECHTER_SD_NOTIFY_H
#define TRECHTER_SD_NOTIFY_H

/* Sends `state` ("READY=1", "STOPPING=1", "RELOADING=1", "WATCHDOG=1", ...). Does nothing and
 * returns 0 when $NOTIFY_SOCKET is unset; -1 on a send failure. A leading '@' in the socket path
 * names the abstract namespace. */
int sd_notify_send(const char *state);

#endif
