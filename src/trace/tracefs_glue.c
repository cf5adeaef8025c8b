#include "trace/tracefs_glue.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <tracefs.h>

/* libtracefs 1.6 hands out a strdup()ed path here (LeakSanitizer shows it); copy and free it. */
static int is_mounted(bool mount, char* dir, size_t dir_size) {
  const char* path = NULL;
  int r = tracefs_tracing_dir_is_mounted(mount, &path);
  if (path != NULL) {
    snprintf(dir, dir_size, "%s", path);
    free((void*)path);
  }
  return r;
}

int irqshape_tracefs_mounted(int try_mount, char* dir, size_t dir_size) {
  int r = is_mounted(false, dir, dir_size);
  if (r == 1 || !try_mount) return r == 1 ? 1 : 0;
  if (is_mounted(true, dir, dir_size) < 0) return -1;
  return is_mounted(false, dir, dir_size) == 1 ? 1 : -1;
}

struct tracefs_instance* irqshape_tracefs_instance_create(const char* name) { return tracefs_instance_create(name); }

void irqshape_tracefs_instance_destroy(struct tracefs_instance* instance) {
  if (instance == NULL) return;
  tracefs_instance_destroy(instance);
  tracefs_instance_free(instance);
}

char* irqshape_tracefs_instance_dir(struct tracefs_instance* instance) { return tracefs_instance_get_dir(instance); }

void irqshape_tracefs_free(char* s) { tracefs_put_tracing_file(s); }

int irqshape_tracefs_event_exists(struct tracefs_instance* instance, const char* system, const char* event) {
  if (event == NULL) return tracefs_event_file_exists(instance, system, "*", "enable") ? 1 : 0;
  return tracefs_event_file_exists(instance, system, event, "format") ? 1 : 0;
}

int irqshape_tracefs_event_enable(struct tracefs_instance* instance, const char* system, const char* event) {
  return tracefs_event_enable(instance, system, event) == 0 ? 0 : -1;
}

int irqshape_tracefs_set_buffer_kb(struct tracefs_instance* instance, size_t kb) {
  return tracefs_instance_set_buffer_size(instance, kb, -1) == 0 ? 0 : -1;
}

int irqshape_tracefs_trace_on(struct tracefs_instance* instance) { return tracefs_trace_on(instance) == 0 ? 0 : -1; }

int irqshape_tracefs_trace_off(struct tracefs_instance* instance) { return tracefs_trace_off(instance) == 0 ? 0 : -1; }

int irqshape_tracefs_clear(struct tracefs_instance* instance) {
  return tracefs_instance_file_clear(instance, "trace") == 0 ? 0 : -1;
}
