/* `trechterd audit-retention`: forgets the client addresses of audit events older than the
 * retention period (design §2, §6; sql/001 audit_forget_client_addresses). Run daily by
 * systemd/trechterd-audit-retention.timer. */
#ifndef TRECHTER_RETENTION_H
#define TRECHTER_RETENTION_H

/* argv[0] is "audit-retention"; `--config FILE` (takes db and audit-retention-days from it),
 * `--db CONNINFO` (or $TRECHTER_DB), `--days N`, `--help`. Prints how many events it changed.
 * Returns 0, 1 on failure, 2 on bad usage. */
int retention_main(int argc, char **argv);

#endif
