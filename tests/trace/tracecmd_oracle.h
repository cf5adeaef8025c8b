/* The reference reader for tests: Debian's libtracecmd reading a .dat file. Only for
 * trusted files (libtracecmd crashes on some malformed ones; see dat_reader.h). */
#ifndef IRQSHAPE_TESTS_TRACECMD_ORACLE_H
#define IRQSHAPE_TESTS_TRACECMD_ORACLE_H

#ifdef __cplusplus
extern "C" {
#endif

/* One line per event the model uses, in libtracecmd's time order:
 *   "<cpu> <ts> <event> <key>" with key irq=N name=S / irq=N ret=N / sector=N+N / work=N
 * and "<cpu> lost" where libtracecmd reports missed events. NULL if the file cannot be
 * opened. Free with free(). */
char* irqshape_oracle_dump(const char* path);

#ifdef __cplusplus
}
#endif

#endif
