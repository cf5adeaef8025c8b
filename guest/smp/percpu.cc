#include "smp/percpu.h"

#include "arch/x86.h"

namespace guest {

namespace {
PerCpu cpus[kMaxGuestCpus];
}

PerCpu& cpu_data(unsigned index) { return cpus[index]; }

void install_per_cpu(PerCpu& cpu) {
  cpu.self = &cpu;
  x86::wrmsr(x86::kMsrGsBase, reinterpret_cast<std::uint64_t>(&cpu));
}

}  // namespace guest
