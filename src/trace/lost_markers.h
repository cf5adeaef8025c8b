// Lost-events markers as the readers of kernel formats (ftrace text, trace-cmd .dat)
// hand them out: each waits for the next record its CPU keeps and takes that record's
// time. The kernel reports a loss at the first event its CPU recorded after it, but that
// event may be of a kind the model skips (softirq_entry under irq:*), which no native or
// text copy keeps; dating the marker by the next kept record gives it the same time in
// every copy, and it is handed out right before that record. A marker with no such
// record (the end of the input) takes the latest time read.
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "trace/model.h"

namespace irqshape::trace {

class LostMarkers {
 public:
  // Markers waiting at once; past that the oldest goes out with the latest time (a
  // malformed input full of markers does not grow memory).
  static constexpr std::size_t kMaxWaiting = 1024;

  // A record read, `latest` the latest time read. A marker waits (its fields final but
  // the time). Any other record comes out in `out` (true) when no marker waits, nearly
  // always; else the markers of its CPU, dated by it, and then it wait for next().
  bool add(const Record& r, Nanos latest, Record& out) {
    if (r.type == RecordType::lost_events) {
      hold(r, latest);
      return false;
    }
    if (waiting_.empty()) {
      out = r;
      return true;
    }
    release_before(r);
    return false;
  }

  // The end of the input: every waiting marker, with the latest time read.
  void finish(Nanos latest) {
    for (const Record& m : waiting_) ready(m, latest);
    waiting_.clear();
  }

  // The next record add() or finish() let go of, in order; false if none.
  bool next(Record& out) {
    if (ready_.empty()) return false;
    out = ready_.front();
    ready_.pop_front();
    return true;
  }

 private:
  void ready(const Record& r, Nanos ts) {
    ready_.push_back(r);
    ready_.back().ts = ts;
  }

  void hold(const Record& marker, Nanos latest) {
    if (waiting_.size() == kMaxWaiting) {
      ready(waiting_.front(), latest);
      waiting_.erase(waiting_.begin());
    }
    waiting_.push_back(marker);
  }

  void release_before(const Record& r) {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->cpu != r.cpu) {
        ++it;
        continue;
      }
      ready(*it, r.ts);
      it = waiting_.erase(it);
    }
    ready(r, r.ts);
  }

  std::vector<Record> waiting_;
  std::deque<Record> ready_;  // let go of, not yet handed out
};

}  // namespace irqshape::trace
