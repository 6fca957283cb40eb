/*
 * log.h -- logging to stderr or syslog.  Owns the log destination and
 * level.  Connection-related lines go through conn_log() (conn.h), which
 * prefixes the connection id; these functions are for process-wide events.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

/* to_syslog: use syslog(3) (facility daemon) instead of stderr. */
void log_init(const char *progname, bool to_syslog, int level);
void log_set_level(int level);
int log_get_level(void);

void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/* Start-up failures only: log and exit(1). */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
