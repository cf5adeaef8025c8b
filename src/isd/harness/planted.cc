#include "isd/harness/planted.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace irqshape::isd::harness {

namespace {
constexpr std::uint64_t kUs = 1'000, kMs = 1'000'000;
}

PlantedTrace planted_trace(std::uint64_t duration, std::uint64_t seed) {
  PlantedTrace s;
  s.names = SourceMap::from_names({"disk", "nic", "ctrl", "ack", "e", "f", "g", "noise1", "noise2", "burst", "timer"});
  s.pairs = {{0, 1, 4'500 * kUs, 5'500 * kUs}, {2, 3, 170 * kUs, 230 * kUs}, {4, 5, 900 * kUs, 1'100 * kUs},
             {5, 6, 2'700 * kUs, 3'300 * kUs}};
  s.implied = {{4, 6, 3'600 * kUs, 4'400 * kUs}};
  s.chains = {{4, 5, 6}};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto end = static_cast<double>(duration);
  auto gap = [&](double rate) { return -std::log(1 - u(rng)) / rate * 1e9; };
  auto poisson = [&](std::uint32_t src, double rate, std::vector<std::uint64_t>* out = nullptr) {
    for (double t = gap(rate); t < end; t += gap(rate)) {
      s.events.push_back({static_cast<std::uint64_t>(t), src});
      if (out != nullptr) out->push_back(static_cast<std::uint64_t>(t));
    }
  };
  // Followers of `starts` with probability p at a delay uniform in [lo, hi]; `index`
  // receives which start each follower answers.
  auto follow = [&](const std::vector<std::uint64_t>& starts, std::uint32_t src, double p, std::uint64_t lo, std::uint64_t hi,
                    std::vector<std::uint64_t>* out = nullptr, std::vector<std::size_t>* index = nullptr) {
    for (std::size_t i = 0; i < starts.size(); ++i) {
      if (u(rng) >= p) continue;
      const std::uint64_t t = starts[i] + lo + static_cast<std::uint64_t>(u(rng) * static_cast<double>(hi - lo));
      s.events.push_back({t, src});
      if (out != nullptr) out->push_back(t);
      if (index != nullptr) index->push_back(i);
    }
  };
  std::vector<std::uint64_t> disk, ctrl, e, f;
  std::vector<std::size_t> f_of, g_of;
  poisson(0, 200, &disk);
  follow(disk, 1, 0.8, 4'500 * kUs, 5'500 * kUs);
  poisson(1, 300);
  poisson(2, 500, &ctrl);
  follow(ctrl, 3, 0.7, 170 * kUs, 230 * kUs);
  poisson(3, 200);
  poisson(4, 100, &e);
  follow(e, 5, 0.9, 900 * kUs, 1'100 * kUs, &f, &f_of);
  follow(f, 6, 0.8, 2'700 * kUs, 3'300 * kUs, nullptr, &g_of);
  for (const std::size_t gi : g_of) s.chain_starts.push_back(e[f_of[gi]]);
  poisson(5, 100);
  poisson(6, 100);
  poisson(7, 1'000);
  poisson(8, 5'000);
  for (double t = gap(250); t < end; t += gap(250))
    for (std::uint64_t k = 0; k < 8; ++k) s.events.push_back({static_cast<std::uint64_t>(t) + k * 2 * kUs, 9});
  for (std::uint64_t t = 0; t < duration; t += kMs) s.events.push_back({t + static_cast<std::uint64_t>(u(rng) * 5'000), 10});
  std::stable_sort(s.events.begin(), s.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  return s;
}

namespace {

bool step_matches(const SequenceFinding& f, std::size_t k, const PlantedRelation& p) {
  const std::uint64_t centre = (p.lo + p.hi) / 2;
  return f.sources[k] == p.from && f.sources[k + 1] == p.to && f.windows[k].first <= centre && centre <= f.windows[k].second;
}

}  // namespace

PlantedScore score_against(const MiningResult& r, const PlantedTrace& t) {
  PlantedScore sc;
  std::vector<bool> recalled(t.pairs.size() + t.chains.size(), false);
  for (const SequenceFinding& f : r.sequences) {
    bool correct = true;
    for (std::size_t k = 0; k + 1 < f.sources.size(); ++k) {
      bool step = false;
      for (std::size_t i = 0; i < t.pairs.size(); ++i)
        if (step_matches(f, k, t.pairs[i])) {
          step = true;
          if (f.sources.size() == 2) recalled[i] = true;
        }
      for (const PlantedRelation& p : t.implied) step = step || step_matches(f, k, p);
      correct = correct && step;
    }
    for (std::size_t c = 0; c < t.chains.size(); ++c)
      if (correct && f.sources == t.chains[c]) recalled[t.pairs.size() + c] = true;
    ++sc.found;
    sc.correct += correct ? 1 : 0;
    sc.found_correct.push_back(correct);
  }
  sc.planted = recalled.size();
  sc.recalled = static_cast<std::size_t>(std::count(recalled.begin(), recalled.end(), true));
  sc.precision = sc.found != 0 ? static_cast<double>(sc.correct) / static_cast<double>(sc.found) : 0;
  sc.recall = sc.planted != 0 ? static_cast<double>(sc.recalled) / static_cast<double>(sc.planted) : 0;
  return sc;
}

}  // namespace irqshape::isd::harness
