// LogKv: records are 16-byte aligned; a record counts only once its commit byte, programmed
// after the body, reads 00h and its checksum matches. Mount resyncs on 16-byte boundaries.
#include "hil/log_kv.h"

#include <gtest/gtest.h>

namespace flashrig::hil::testing {
namespace {

constexpr uint8_t kMagic = 0xA5, kPut = 1, kDel = 2;

uint32_t Fnv1a(std::span<const std::byte> a, std::span<const std::byte> b) {
  uint32_t h = 2166136261u;
  for (auto s : {a, b}) {
    for (std::byte x : s) h = (h ^ static_cast<uint8_t>(x)) * 16777619u;
  }
  return h;
}

}  // namespace

Status LogKv::Mount() {
  const uint32_t size = flash_.geometry().size_bytes;
  std::vector<std::byte> all(size);
  FLASHRIG_TRY(flash_.Read(0, all));
  index_.clear();
  pending_.reset();
  cursor_ = 0;
  uint32_t p = 0;
  while (p + kAlign <= size) {
    const auto u = [&](size_t i) { return static_cast<uint8_t>(all[p + i]); };
    uint32_t total = kAlign;
    if (u(0) == kMagic && (u(1) == kPut || u(1) == kDel)) {
      const uint32_t key_len = u(2), val_len = u(3) | (u(4) << 8);
      const uint32_t need = (kHeader + key_len + val_len + kAlign - 1) / kAlign * kAlign;
      if (p + need <= size) {
        const auto body = std::span(all).subspan(p + kHeader, key_len + val_len);
        const uint32_t crc = u(5) | (u(6) << 8) | (u(7) << 16) | (uint32_t(u(8)) << 24);
        if (u(9) == 0x00 && crc == Fnv1a(std::span(all).subspan(p, 5), body)) {
          const std::string key(reinterpret_cast<const char*>(body.data()), key_len);
          if (u(1) == kPut) {
            index_[key].assign(body.begin() + key_len, body.end());
          } else {
            index_.erase(key);
          }
          total = need;
        }
      }
    }
    // The next record goes after the last byte that is not erased.
    for (uint32_t i = 0; i < total; ++i) {
      if (all[p + i] != std::byte{0xFF}) cursor_ = p + total;
    }
    p += total;
  }
  mounted_ = true;
  return Status::Ok();
}

Status LogKv::WriteRecord(const std::vector<std::byte>& record) {
  if (cursor_ + record.size() > flash_.geometry().size_bytes) return Status::ResourceExhausted();
  const uint32_t at = cursor_;
  cursor_ += static_cast<uint32_t>(record.size());
  FLASHRIG_TRY(flash_.Program(at, record));
  const std::byte commit{0x00};
  return flash_.Program(at + 9, std::span(&commit, 1));
}

Status LogKv::FlushPending() {
  if (!pending_) return Status::Ok();
  const std::vector<std::byte> record = std::move(*pending_);
  pending_.reset();
  return WriteRecord(record);
}

Status LogKv::Put(uint8_t type, const std::string& key, std::span<const std::byte> value) {
  std::vector<std::byte> r(kHeader);
  r[0] = std::byte{kMagic};
  r[1] = std::byte{type};
  r[2] = std::byte(static_cast<uint8_t>(key.size()));
  r[3] = std::byte(static_cast<uint8_t>(value.size()));
  r[4] = std::byte(static_cast<uint8_t>(value.size() >> 8));
  for (char c : key) r.push_back(std::byte(static_cast<uint8_t>(c)));
  r.insert(r.end(), value.begin(), value.end());
  const uint32_t crc = Fnv1a(std::span(r).subspan(0, 5), std::span(r).subspan(kHeader));
  for (int i = 0; i < 4; ++i) r[5 + i] = std::byte(static_cast<uint8_t>(crc >> (8 * i)));
  r[9] = std::byte{0xFF};  // Commit byte: programmed to 00h last.
  r.resize((r.size() + kAlign - 1) / kAlign * kAlign, std::byte{0xFF});
  if (ack_before_program_) {
    pending_ = std::move(r);  // BUG (deliberate): acknowledged, not yet on flash.
    return Status::Ok();
  }
  return WriteRecord(r);
}

Status LogKv::Append(const std::string& key, std::span<const std::byte> value) {
  if (!mounted_) return Status::FailedPrecondition();
  FLASHRIG_TRY(FlushPending());
  if (index_.count(key)) return Status::AlreadyExists();
  FLASHRIG_TRY(Put(kPut, key, value));
  index_[key].assign(value.begin(), value.end());
  return Status::Ok();
}

Status LogKv::Set(const std::string& key, std::span<const std::byte> value) {
  if (!mounted_) return Status::FailedPrecondition();
  FLASHRIG_TRY(FlushPending());
  FLASHRIG_TRY(Put(kPut, key, value));
  index_[key].assign(value.begin(), value.end());
  return Status::Ok();
}

Status LogKv::Get(const std::string& key, std::vector<std::byte>* out) {
  if (!mounted_) return Status::FailedPrecondition();
  FLASHRIG_TRY(FlushPending());
  const auto it = index_.find(key);
  if (it == index_.end()) return Status::NotFound();
  *out = it->second;
  return Status::Ok();
}

Status LogKv::Invalidate(const std::string& key) {
  if (!mounted_) return Status::FailedPrecondition();
  FLASHRIG_TRY(FlushPending());
  if (!index_.count(key)) return Status::NotFound();
  FLASHRIG_TRY(Put(kDel, key, {}));
  index_.erase(key);
  return Status::Ok();
}

Status LogKv::GarbageCollect() {
  // Nothing to reclaim in a test log that is never compacted; still flush like any op.
  if (!mounted_) return Status::FailedPrecondition();
  return FlushPending();
}

KvFactory LogKvFactory(bool ack_before_program) {
  return [ack_before_program](driver::Flash& flash) -> std::unique_ptr<KvUnderTest> {
    return std::make_unique<LogKv>(flash, ack_before_program);
  };
}

RigReport RunPowerLossOn(Rig& rig, const PowerLossConfig& config, const KvFactory& kv,
                         uint64_t seed) {
  PowerLossCampaign campaign(config, kv);
  EXPECT_EQ(campaign.CheckRig(rig), "");
  CampaignConfig cc;
  cc.seed = seed;
  CampaignContext ctx;
  ctx.rig = &rig;
  ctx.config = &cc;
  RigReport report;
  EXPECT_TRUE(campaign.Run(ctx, report).ok()) << report.error;
  return report;
}

}  // namespace flashrig::hil::testing
