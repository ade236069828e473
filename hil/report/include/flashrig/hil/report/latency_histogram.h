// LatencyStats: collects operation durations and summarises them (p50/p90/p99/max, mean)
// plus a log-spaced histogram for the report's latency charts.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace flashrig::hil {

class LatencyStats {
 public:
  void Add(uint64_t duration_ns) { samples_ns_.push_back(duration_ns); }
  size_t count() const { return samples_ns_.size(); }
  uint64_t total_ns() const;
  // Nearest-rank percentile, 0 < p <= 100; 0 when empty.
  uint64_t Percentile(double p) const;
  uint64_t max_ns() const { return Percentile(100); }
  double mean_ns() const;

  // {"count", "p50_ns", "p90_ns", "p99_ns", "max_ns", "mean_ns", "histogram": {"edges_ns":
  // [b0..bn], "counts": [c0..c(n-1)]}} with up to `buckets` log-spaced buckets.
  nlohmann::json ToJson(int buckets = 24) const;

 private:
  mutable std::vector<uint64_t> samples_ns_;
  void Sort() const;
};

}  // namespace flashrig::hil
