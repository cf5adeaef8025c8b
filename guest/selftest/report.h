// The machine-readable report (see selftest.h for the format). One line per check:
//   TEST <name> key=value ... ok|FAIL
// Values are decimal, hex (0x..) or short words; no spaces inside a value.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace guest::selftest {

struct Field {
  enum class Kind : std::uint8_t { Decimal, Hex, Word };
  const char* key;
  std::uint64_t value;
  Kind kind;
  const char* word;

  static Field dec(const char* k, std::uint64_t v) { return {k, v, Kind::Decimal, nullptr}; }
  static Field hex(const char* k, std::uint64_t v) { return {k, v, Kind::Hex, nullptr}; }
  static Field text(const char* k, const char* w) { return {k, 0, Kind::Word, w}; }
};

class Report {
 public:
  void plan(unsigned tests);
  // Prints the line and counts it; returns ok.
  bool record(const char* name, bool ok, std::initializer_list<Field> fields);
  // A test that could not run its check at all (a kern call failed, a device missing).
  bool fail(const char* name, const char* reason, std::uint64_t detail = 0);

  [[nodiscard]] unsigned passed() const { return passed_; }
  [[nodiscard]] unsigned failed() const { return failed_; }
  [[nodiscard]] unsigned recorded() const { return passed_ + failed_; }
  [[nodiscard]] unsigned planned() const { return planned_; }

 private:
  unsigned planned_ = 0;
  unsigned passed_ = 0;
  unsigned failed_ = 0;
};

Report& report();

}  // namespace guest::selftest
