// Fuzzes the ISD configuration reader: any bytes as a TOML file. A file the reader
// accepts must compile or be refused with a message, and what write_config() makes of it
// must read back and compile to the same register values. Traps otherwise.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "isd/config.h"
#include "isd/program.h"

namespace {

using namespace irqshape;

const isd::SourceMap& platform() {
  static const isd::SourceMap map = [] {
    isd::SourceMap m = isd::SourceMap::from_names({"a", "b", "c", "nic0", "nvme0", "timer", "eth0-TxRx-0", "nvme0q1"});
    (void)m.add({40, "virtio1-req.0", 36, isd::SourceKind::block});
    return m;
  }();
  return map;
}

bool same_registers(const isd::Program& x, const isd::Program& y) {
  if (x.sources.size() != y.sources.size() || x.patterns.size() != y.patterns.size() || x.rules.size() != y.rules.size())
    return false;
  for (std::size_t i = 0; i < x.sources.size(); ++i)
    for (std::size_t f = 0; f < x.sources[i].fields.size(); ++f)
      if (x.sources[i].id != y.sources[i].id || x.sources[i].fields[f].value != y.sources[i].fields[f].value) return false;
  for (std::size_t i = 0; i < x.patterns.size(); ++i)
    if (x.patterns[i].steps != y.patterns[i].steps || x.patterns[i].source != y.patterns[i].source ||
        x.patterns[i].min_ns != y.patterns[i].min_ns || x.patterns[i].max_ns != y.patterns[i].max_ns)
      return false;
  for (std::size_t i = 0; i < x.rules.size(); ++i)
    for (std::size_t f = 0; f < x.rules[i].fields.size(); ++f)
      if (x.rules[i].fields[f].value != y.rules[i].fields[f].value) return false;
  for (std::size_t i = 0; i < x.geometry.fields.size(); ++i)
    if (x.geometry.fields[i].value != y.geometry.fields[i].value) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = isd::parse_config(text, "fuzz.toml");
  if (!config) {
    if (config.message().rfind("fuzz.toml", 0) != 0) std::abort();  // every error names the file
    return 0;
  }
  auto program = isd::compile(*config, platform());
  const std::string written = isd::write_config(*config);
  auto again = isd::parse_config(written, "rewritten.toml");
  if (!again) std::abort();  // the writer produced a file the reader refuses
  auto program2 = isd::compile(*again, platform());
  if (program.ok() != program2.ok()) std::abort();
  if (program.ok() && !same_registers(*program, *program2)) std::abort();
  return 0;
}
