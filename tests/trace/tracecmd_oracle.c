#include "tracecmd_oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd/trace-cmd.h>

struct out {
  char* buf;
  size_t len, cap;
};

static void emit(struct out* o, const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof line) n = sizeof line - 1;
  if (o->len + (size_t)n + 1 > o->cap) {
    o->cap = (o->cap + (size_t)n + 1) * 2;
    o->buf = realloc(o->buf, o->cap);
  }
  memcpy(o->buf + o->len, line, (size_t)n);
  o->len += (size_t)n;
  o->buf[o->len] = 0;
}

static unsigned long long field(struct tep_event* ev, struct tep_record* rec, const char* name) {
  unsigned long long v = 0;
  tep_get_field_val(NULL, ev, name, rec, &v, 0);
  return v;
}

static int on_record(struct tracecmd_input* h, struct tep_record* rec, int cpu, void* data) {
  struct out* o = data;
  struct tep_handle* tep = tracecmd_get_tep(h);
  struct tep_event* ev = tep_find_event_by_record(tep, rec);
  if (rec->missed_events) emit(o, "%d lost\n", cpu);
  if (ev == NULL) return 0;
  if (strcmp(ev->name, "irq_handler_entry") == 0) {
    /* __data_loc: the low 16 bits are the string's offset in the event. */
    unsigned int loc = (unsigned int)field(ev, rec, "name");
    const char* name = (const char*)rec->data + (loc & 0xffff);
    emit(o, "%d %llu irq_handler_entry irq=%llu name=%s\n", cpu, rec->ts, field(ev, rec, "irq"), name);
  } else if (strcmp(ev->name, "irq_handler_exit") == 0) {
    emit(o, "%d %llu irq_handler_exit irq=%llu ret=%llu\n", cpu, rec->ts, field(ev, rec, "irq"), field(ev, rec, "ret"));
  } else if (strcmp(ev->name, "block_rq_issue") == 0 || strcmp(ev->name, "block_rq_complete") == 0 ||
             strcmp(ev->name, "block_rq_requeue") == 0) {
    emit(o, "%d %llu %s sector=%llu+%llu\n", cpu, rec->ts, ev->name, field(ev, rec, "sector"),
         field(ev, rec, "nr_sector"));
  } else if (strcmp(ev->name, "napi_poll") == 0) {
    emit(o, "%d %llu napi_poll work=%llu\n", cpu, rec->ts, field(ev, rec, "work"));
  }
  return 0;
}

char* irqshape_oracle_dump(const char* path) {
  tracecmd_set_loglevel(TEP_LOG_NONE);
  struct tracecmd_input* h = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS | TRACECMD_FL_LOAD_NO_SYSTEM_PLUGINS);
  if (h == NULL) return NULL;
  struct out o = {calloc(1, 1), 0, 1};
  tracecmd_iterate_events(h, NULL, 0, on_record, &o);
  tracecmd_close(h);
  return o.buf;
}
