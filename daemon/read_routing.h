/* Where a worker's aggregate reads go: the --db-read hot standby while it is connected, within
 * db-read-lag-max and past the fence of the last change notified, else the primary. Loop-local
 * state lives in struct worker (read_fence, db_read, probe flags); only this file changes it. */
#ifndef TRECHTER_READ_ROUTING_H
#define TRECHTER_READ_ROUTING_H
#include <stdint.h>

struct worker;

/* A change was made or notified: send reads to the primary at once and take the primary's WAL
 * position as the fence the standby must pass before it serves again. A fence asked for while
 * one is being read is taken again when that one answers. */
void read_routing_fence(struct worker *w);

/* From the worker's heartbeat (the worker has a standby): probes lag and fence, every 2 s or
 * sooner while behind a fence. */
void read_routing_heartbeat(struct worker *w, int64_t now_ms);

#endif
