/* A narrow C interface to libtracefs for capture.cc. libtracefs's header does not
 * compile as C++ (it passes plain ints where it declares enums), so the calls live in
 * tracefs_glue.c, compiled as C. Functions return 0 on success and -1 on failure with
 * errno set, unless documented otherwise. */
#ifndef IRQSHAPE_TRACE_TRACEFS_GLUE_H
#define IRQSHAPE_TRACE_TRACEFS_GLUE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tracefs_instance;

/* 1 if tracefs is mounted (its path copied to dir), 0 if not. With try_mount,
 * mounts it at /sys/kernel/tracing first if needed; -1 if that fails. */
int irqshape_tracefs_mounted(int try_mount, char* dir, size_t dir_size);

/* A new tracing instance (its own ring buffer), or NULL. */
struct tracefs_instance* irqshape_tracefs_instance_create(const char* name);
/* Removes the instance from tracefs and frees it. */
void irqshape_tracefs_instance_destroy(struct tracefs_instance* instance);
/* The instance's directory; free with irqshape_tracefs_free. */
char* irqshape_tracefs_instance_dir(struct tracefs_instance* instance);
void irqshape_tracefs_free(char* s);

/* 1 if events/<system>/<event> exists (event NULL: the system), else 0. */
int irqshape_tracefs_event_exists(struct tracefs_instance* instance, const char* system, const char* event);
int irqshape_tracefs_event_enable(struct tracefs_instance* instance, const char* system, const char* event);
int irqshape_tracefs_set_buffer_kb(struct tracefs_instance* instance, size_t kb);
int irqshape_tracefs_trace_on(struct tracefs_instance* instance);
int irqshape_tracefs_trace_off(struct tracefs_instance* instance);
/* Empties the instance's ring buffer. */
int irqshape_tracefs_clear(struct tracefs_instance* instance);

#ifdef __cplusplus
}
#endif

#endif
