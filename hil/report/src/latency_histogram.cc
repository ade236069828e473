// LatencyStats: percentiles by sorting (sample counts are small: thousands, not millions).
#include "flashrig/hil/report/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace flashrig::hil {

void LatencyStats::Sort() const {
  // Sorting on demand keeps Add() O(1); Add() after a query re-sorts on the next query.
  std::sort(samples_ns_.begin(), samples_ns_.end());
}

uint64_t LatencyStats::total_ns() const {
  return std::accumulate(samples_ns_.begin(), samples_ns_.end(), uint64_t{0});
}

uint64_t LatencyStats::Percentile(double p) const {
  if (samples_ns_.empty()) return 0;
  Sort();
  const double rank = std::ceil(p / 100.0 * static_cast<double>(samples_ns_.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return samples_ns_[std::min(index, samples_ns_.size() - 1)];
}

double LatencyStats::mean_ns() const {
  return samples_ns_.empty()
             ? 0.0
             : static_cast<double>(total_ns()) / static_cast<double>(samples_ns_.size());
}

nlohmann::json LatencyStats::ToJson(int buckets) const {
  nlohmann::json j = {{"count", count()},         {"p50_ns", Percentile(50)},
                      {"p90_ns", Percentile(90)}, {"p99_ns", Percentile(99)},
                      {"max_ns", max_ns()},       {"mean_ns", mean_ns()}};
  std::vector<uint64_t> edges;
  std::vector<uint64_t> counts;
  if (!samples_ns_.empty()) {
    Sort();
    const double lo = static_cast<double>(std::max<uint64_t>(samples_ns_.front(), 1));
    const double hi = static_cast<double>(std::max<uint64_t>(samples_ns_.back(), 1)) + 1;
    const int n = hi / lo < 1.5 ? 1 : buckets;
    for (int i = 0; i <= n; ++i) {
      edges.push_back(static_cast<uint64_t>(lo * std::pow(hi / lo, double(i) / n)));
    }
    edges.front() = samples_ns_.front();  // Buckets span exactly the observed range.
    edges.back() = samples_ns_.back() + 1;
    counts.assign(n, 0);
    size_t b = 0;
    for (uint64_t s : samples_ns_) {
      while (b + 1 < counts.size() && s >= edges[b + 1]) ++b;
      ++counts[b];
    }
  }
  j["histogram"] = {{"edges_ns", edges}, {"counts", counts}};
  return j;
}

}  // namespace flashrig::hil
