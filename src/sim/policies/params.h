// Reading a policy's parameters ("static:rx-frames=8,rx-usecs=50") into typed values.
// Each make_* function takes every key it knows, with its default and range, then asks
// finish() whether anything was wrong or left over. Errors name the policy and the key:
//
//   policy "static": parameter "rx-usecs": "5x" is not a non-negative integer
//   policy "dim": parameter "mode": "fast" is not one of eqe, cqe
//   policy "vic": unknown parameter "cif" (known: cif-threshold, iops-threshold, ...)
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sim/policy.h"

namespace irqshape::sim {

// A set of source classes, written "net+other" ("all", "none" also accepted).
class ClassSet {
 public:
  constexpr ClassSet() = default;
  constexpr ClassSet(std::initializer_list<SourceKind> classes) {
    for (SourceKind c : classes) bits_ |= bit(c);
  }
  [[nodiscard]] constexpr bool contains(SourceKind c) const { return (bits_ & bit(c)) != 0; }
  [[nodiscard]] std::string str() const;  // "block+net", "none"
  static std::optional<ClassSet> parse(std::string_view text);

 private:
  static constexpr std::uint8_t bit(SourceKind c) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(c)); }
  std::uint8_t bits_ = 0;
};

class ParamReader {
 public:
  explicit ParamReader(const std::string& policy, const std::map<std::string, std::string>& params)
      : policy_(policy), rest_(params) {}

  // Each reader leaves `out` at its current value (the default) when the key is absent.
  void take_uint(const std::string& key, std::uint64_t& out, std::uint64_t min, std::uint64_t max);
  void take_uint(const std::string& key, std::uint32_t& out, std::uint32_t min, std::uint32_t max);
  void take_bool(const std::string& key, bool& out);
  void take_classes(const std::string& key, ClassSet& out);
  // A duration as the ISD writes them ("50us", "10ms": isd::parse_duration), then `check`ed.
  void take_duration(const std::string& key, std::optional<std::uint64_t>& out, Status (*check)(std::uint64_t));
  // One of `choices`; `out` becomes its index.
  void take_choice(const std::string& key, unsigned& out, std::initializer_list<std::string_view> choices);
  // A cross-parameter check that failed: reported like any other problem with `key`.
  void fail(const std::string& key, const std::string& why);

  // The first problem, or an unknown key (listing the known ones).
  [[nodiscard]] Status finish() const;

 private:
  std::optional<std::string> value_of(const std::string& key);
  void problem(const std::string& key, const std::string& why);

  std::string policy_;
  std::map<std::string, std::string> rest_;
  std::vector<std::string> known_;
  std::optional<Error> error_;
};

// Parses a non-negative decimal integer that fits in 64 bits; nothing else (no sign,
// no spaces, no suffix).
std::optional<std::uint64_t> parse_uint(std::string_view text);

}  // namespace irqshape::sim
