/* `trechterd load`: geography and population reference data from CSV files into the database.
 * Parsing is pure (core/load_csv.h); this is the database step and the command. */
#ifndef TRECHTER_LOADERS_H
#define TRECHTER_LOADERS_H

#include "core/load_csv.h"

/* The command: argv[0] is "load", argv[1] the kind. Returns the exit status: 0 loaded, 1 the file
 * was refused or the database failed (nothing loaded), 2 bad usage. */
int loaders_main(int argc, char **argv);

#endif
