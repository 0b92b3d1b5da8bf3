/* `trechterd rekey`: recomputes every stored cell key with a new protection secret (design §5.6).
 * Only for a compromised secret: every published figure changes, and anyone holding figures
 * published under both secrets can average two independent perturbations. */
#ifndef TRECHTER_REKEY_H
#define TRECHTER_REKEY_H

/* The command: argv[0] is "rekey"; `--db CONNINFO` (or $TRECHTER_DB), `--sdc-secret-file FILE`,
 * `--yes`, `--batch-size N`, `--help`. Returns the exit status: 0 rekeyed, 1 refused (no --yes)
 * or failed (nothing changed), 2 bad usage. */
int rekey_main(int argc, char **argv);

#endif
