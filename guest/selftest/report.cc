#include "selftest/report.h"

#include "kernel/console.h"

namespace guest::selftest {

void Report::plan(unsigned tests) {
  planned_ = tests;
  Console out;
  out.w.str("PLAN tests=").dec(tests).chr('\n');
}

bool Report::record(const char* name, bool ok, std::initializer_list<Field> fields) {
  (ok ? passed_ : failed_) += 1;
  Console out;
  out.w.str("TEST ").str(name);
  for (const Field& f : fields) {
    out.w.chr(' ').str(f.key).chr('=');
    switch (f.kind) {
      case Field::Kind::Decimal: out.w.dec(f.value); break;
      case Field::Kind::Hex: out.w.hex(f.value); break;
      case Field::Kind::Word: out.w.str(f.word); break;
    }
  }
  out.w.str(ok ? " ok\n" : " FAIL\n");
  return ok;
}

bool Report::fail(const char* name, const char* reason, std::uint64_t detail) {
  return record(name, false, {Field::text("reason", reason), Field::hex("detail", detail)});
}

Report& report() {
  static Report r;
  return r;
}

}  // namespace guest::selftest
