#include "hw/lapic.h"

namespace irqshape::hw {

using namespace lapic;

LocalApic::LocalApic(std::uint32_t apic_id, Mode mode, LocalApicPort* port)
    : id_(apic_id), mode_(mode), port_(port) {
  reset();
}

void LocalApic::reset() {
  irr_.reset();
  isr_.reset();
  tmr_.reset();
  tpr_ = 0;
  svr_ = 0xFF;
  ldr_ = 0;
  dfr_ = 0xFFFF'FFFF;
  esr_ = esr_pending_ = 0;
  icr_ = 0;
  lvt_.fill(kLvtResetValue);
  timer_initial_ = timer_divide_ = 0;
}

int LocalApic::lvt_index(std::uint32_t offset) {
  if (offset == kLvtCmci) return 0;
  if (offset >= kLvtTimer && offset <= kLvtError && (offset & 0xF) == 0) return static_cast<int>((offset - kLvtTimer) >> 4) + 1;
  return -1;
}

std::uint8_t LocalApic::ppr() const {
  const int isrv = isr_.highest();
  const unsigned isr_class = isrv < 0 ? 0 : priority_class(static_cast<unsigned>(isrv));
  if (TprClass::get(tpr_) >= isr_class) return tpr_;
  return static_cast<std::uint8_t>(isr_class << 4);
}

std::uint32_t LocalApic::ldr() const { return mode_ == Mode::X2Apic ? x2apic_ldr(id_) : ldr_; }

// x2APIC: only FFFF_FFFFh is the broadcast (SDM 10.12.9), so an 8-bit I/O APIC or MSI
// destination of FFh names APIC id FFh. The SDM says nothing about widening an 8-bit
// FFh to a broadcast for x2APIC-mode receivers; KVM does it as a quirk (which
// KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK turns off). Without an SDM rule the model does
// not.
bool LocalApic::matches_physical(std::uint32_t destination) const {
  if (mode_ == Mode::X2Apic) return destination == 0xFFFF'FFFF || destination == id_;
  return (destination & 0xFF) == 0xFF || (destination & 0xFF) == (id_ & 0xFF);
}

bool LocalApic::matches_logical(std::uint32_t destination) const {
  if (mode_ == Mode::X2Apic) {
    if (destination == 0xFFFF'FFFF) return true;
    const std::uint32_t mine = ldr();
    return X2ApicCluster::get(destination) == X2ApicCluster::get(mine) &&
           (X2ApicClusterMember::get(destination) & X2ApicClusterMember::get(mine)) != 0;
  }
  const std::uint32_t dest = destination & 0xFF;
  const std::uint32_t logical = XApicLogicalId::get(ldr_);
  if (dest == 0xFF) return true;
  if (DfrModel::get(dfr_) == kDfrFlat) return (dest & logical) != 0;
  return (dest >> 4) == (logical >> 4) && (dest & logical & 0xF) != 0;  // cluster model
}

LocalApic::Accept LocalApic::accept(std::uint8_t vector, TriggerMode trigger) {
  if (vector < kFirstLegalApicVector) {
    esr_pending_ |= esr::ReceiveIllegalVector::mask;
    return Accept::IllegalVector;
  }
  if (vector < kFirstDeviceVector) return Accept::ReservedVector;
  const bool merged = irr_.test(vector);
  irr_.set(vector);
  if (trigger == TriggerMode::Level) tmr_.set(vector); else tmr_.clear(vector);
  if (merged) ++merged_;
  return merged ? Accept::Merged : Accept::Accepted;
}

void LocalApic::accept_special(const InterruptMessage& m) {
  switch (m.delivery_mode) {
    case DeliveryMode::Nmi: ++special_.nmi; break;
    case DeliveryMode::Smi: ++special_.smi; break;
    case DeliveryMode::Init: ++special_.init; break;
    case DeliveryMode::StartUp: ++special_.startup; special_.last_startup_vector = m.vector; break;
    case DeliveryMode::ExtInt: ++special_.extint; break;
    case DeliveryMode::Fixed:
    case DeliveryMode::LowestPriority: accept(m.vector, m.trigger_mode); break;
  }
}

int LocalApic::pending_vector() const {
  if (!software_enabled()) return -1;  // pending requests are held while software-disabled
  const int irrv = irr_.highest();
  if (irrv < 0) return -1;
  if (priority_class(static_cast<unsigned>(irrv)) <= TprClass::get(ppr())) return -1;
  return irrv;
}

std::uint8_t LocalApic::acknowledge() {
  const int v = pending_vector();
  if (v < 0) return static_cast<std::uint8_t>(SvrVector::get(svr_));
  irr_.clear(static_cast<unsigned>(v));
  isr_.set(static_cast<unsigned>(v));
  return static_cast<std::uint8_t>(v);
}

void LocalApic::eoi() {
  const int v = isr_.highest();
  if (v < 0) return;  // an EOI with nothing in service is ignored
  isr_.clear(static_cast<unsigned>(v));
  const bool suppress = SvrEoiBroadcastSuppression::test(svr_);
  if (tmr_.test(static_cast<unsigned>(v)) && !suppress && port_ != nullptr) {
    port_->broadcast_eoi(static_cast<std::uint8_t>(v));
  }
}

void LocalApic::send_icr(std::uint64_t icr_value) {
  icr_ = icr_value & icr::kCommandWritable;
  if (mode_ == Mode::X2Apic) icr_ |= icr_value & icr::X2ApicDestination::mask;
  else icr_ |= icr_value & icr::XApicDestination::mask;

  InterruptMessage m;
  m.vector = static_cast<std::uint8_t>(icr::Vector::get(icr_));
  m.delivery_mode = static_cast<DeliveryMode>(icr::DeliveryMode::get(icr_));
  m.destination_mode = static_cast<DestinationMode>(icr::DestinationMode::get(icr_));
  m.trigger_mode = static_cast<TriggerMode>(icr::TriggerMode::get(icr_));
  m.level_assert = icr::Level::test(icr_);
  m.destination = mode_ == Mode::X2Apic ? static_cast<std::uint32_t>(icr::X2ApicDestination::get(icr_))
                                        : static_cast<std::uint32_t>(icr::XApicDestination::get(icr_));
  m.source = id_;
  const bool vectored = m.delivery_mode == DeliveryMode::Fixed || m.delivery_mode == DeliveryMode::LowestPriority;
  if (vectored && m.vector < kFirstLegalApicVector) {
    esr_pending_ |= esr::SendIllegalVector::mask;
    return;
  }
  if (port_ != nullptr) port_->send_ipi(id_, m, static_cast<unsigned>(icr::Shorthand::get(icr_)));
}

bool LocalApic::read_reg(std::uint32_t offset, std::uint64_t& value) const {
  const bool x2 = mode_ == Mode::X2Apic;
  if (offset >= kIsr0 && offset <= kIrr0 + 0x70 && (offset & 0xF) == 0) {
    const unsigned i = ((offset - kIsr0) >> 4) & 7;
    const VectorSet& set = offset < kTmr0 ? isr_ : offset < kIrr0 ? tmr_ : irr_;
    value = set.word32(i);
    return true;
  }
  if (const int lvt = lvt_index(offset); lvt >= 0) {
    value = lvt_[static_cast<unsigned>(lvt)];
    return true;
  }
  switch (offset) {
    case kId: value = x2 ? id_ : XApicId::make(id_ & 0xFF); return true;
    case kVersion:
      value = VersionField::make(kIntegratedApicVersion) | MaxLvtEntry::make(6) |
              EoiBroadcastSuppressionSupported::mask;
      return true;
    case kTpr: value = tpr_; return true;
    case kApr: value = 0; return !x2;
    case kPpr: value = ppr(); return true;
    case kLdr: value = ldr(); return true;
    case kDfr: value = dfr_; return !x2;
    case kSvr: value = svr_; return true;
    case kEsr: value = esr_; return true;
    case kIcrLow: value = x2 ? icr_ : static_cast<std::uint32_t>(icr_); return true;
    case kIcrHigh: value = static_cast<std::uint32_t>(icr_ >> 32); return !x2;
    case kTimerInitial: value = timer_initial_; return true;
    case kTimerCurrent: value = 0; return true;
    case kTimerDivide: value = timer_divide_; return true;
    default: return false;  // EOI and SELF IPI are write-only; the rest is reserved
  }
}

bool LocalApic::write_reg(std::uint32_t offset, std::uint64_t value) {
  const bool x2 = mode_ == Mode::X2Apic;
  const auto v32 = static_cast<std::uint32_t>(value);
  if (const int lvt = lvt_index(offset); lvt >= 0) {
    // While software-disabled every LVT entry stays masked (SDM 10.4.7.2).
    const std::uint32_t forced = software_enabled() ? 0 : LvtMask::mask;
    lvt_[static_cast<unsigned>(lvt)] = (v32 & lvt_defined(offset) & ~kLvtReadOnly) | forced;
    return true;
  }
  switch (offset) {
    case kId:
      if (x2) return false;  // read-only in x2APIC mode
      id_ = (id_ & ~0xFFu) | XApicId::get(v32);
      return true;
    case kTpr: tpr_ = static_cast<std::uint8_t>(v32 & kTprDefined); return true;
    case kEoi:
      if (x2 && value != 0) return false;
      eoi();
      return true;
    case kLdr:
      if (x2) return false;
      ldr_ = v32 & XApicLogicalId::mask;
      return true;
    case kDfr:
      if (x2) return false;
      dfr_ = (v32 & DfrModel::mask) | 0x0FFF'FFFF;
      return true;
    case kSvr:
      svr_ = v32 & kSvrDefined;
      if (!software_enabled()) {  // software-disabling sets every LVT mask (SDM 10.4.7.2)
        for (std::uint32_t& lvt : lvt_) lvt |= LvtMask::mask;
      }
      return true;
    case kEsr:
      esr_ = esr_pending_;
      esr_pending_ = 0;
      return true;
    case kIcrLow:
      if (x2) send_icr(value);
      else send_icr((icr_ & 0xFFFF'FFFF'0000'0000ull) | v32);
      return true;
    case kIcrHigh:
      if (x2) return false;
      icr_ = (icr_ & 0xFFFF'FFFFull) | (static_cast<std::uint64_t>(v32) << 32);
      return true;
    case kSelfIpi:
      if (!x2) return false;
      accept(static_cast<std::uint8_t>(SelfIpiVector::get(v32)), TriggerMode::Edge);
      return true;
    case kTimerInitial: timer_initial_ = v32; return true;
    case kTimerDivide: timer_divide_ = v32 & kTimerDivideDefined; return true;
    default: return false;
  }
}

std::uint32_t LocalApic::read32(std::uint32_t offset) {
  std::uint64_t value = 0;
  if (mode_ != Mode::XApic) return 0;
  if (!read_reg(offset, value)) {
    esr_pending_ |= esr::IllegalRegisterAddress::mask;
    return 0;
  }
  return static_cast<std::uint32_t>(value);
}

void LocalApic::write32(std::uint32_t offset, std::uint32_t value) {
  if (mode_ != Mode::XApic) return;
  if (!write_reg(offset, value)) esr_pending_ |= esr::IllegalRegisterAddress::mask;
}

bool LocalApic::read_msr(std::uint32_t msr, std::uint64_t& value) const {
  if (mode_ != Mode::X2Apic || msr < kX2ApicMsrBase || msr > kX2ApicMsrBase + 0xFF) return false;
  return read_reg((msr - kX2ApicMsrBase) << 4, value);
}

bool LocalApic::write_msr(std::uint32_t msr, std::uint64_t value) {
  if (mode_ != Mode::X2Apic || msr < kX2ApicMsrBase || msr > kX2ApicMsrBase + 0xFF) return false;
  const std::uint32_t offset = (msr - kX2ApicMsrBase) << 4;
  // Reserved bits set, or a non-zero EOI or ESR write: #GP, and nothing changes.
  if ((value & ~x2apic_write_allowed(offset)) != 0) return false;
  return write_reg(offset, value);
}

}  // namespace irqshape::hw
