// SpiNorFlash probing (RDID, SFDP, part database) and block-protect handling.
#include <algorithm>
#include <vector>

#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::driver {

namespace op = spi_nor;

namespace {

// Without a known layout, SR1 bits 2..5 are BP/TB on every common part; bit 6 is QE on
// Macronix/ISSI, so it is left alone.
constexpr uint8_t kGenericProtectMask = 0x3C;

}  // namespace

bool IsNoChipId(const std::array<uint8_t, 3>& id) {
  return (id[0] == 0xFF && id[1] == 0xFF && id[2] == 0xFF) ||
         (id[0] == 0x00 && id[1] == 0x00 && id[2] == 0x00);
}

Result<std::vector<std::byte>> SpiNorFlash::ReadSfdpSpace() {
  std::vector<std::byte> image;
  // Header, then parameter headers, then the tables: three rounds reach the end. Reads
  // are split like FAST_READs, for programmers with small buffers.
  uint32_t need = kSfdpHeaderBytes;
  for (int round = 0; round < 4 && need > image.size(); ++round) {
    const size_t have = image.size();
    image.resize(need);
    for (size_t at = have; at < need; at += options_.read_chunk_bytes) {
      const size_t n = std::min<size_t>(options_.read_chunk_bytes, need - at);
      FLASHRIG_TRY(ReadSfdp(static_cast<uint32_t>(at), std::span(image).subspan(at, n)));
    }
    need = SfdpBytesNeeded(image);
  }
  return image;
}

namespace {

// The entry of `database` this chip matches (by JEDEC ID and SFDP), into `info`.
void MatchPart(const PartDatabase* database, ProbeInfo& info) {
  if (database == nullptr) return;
  const PartMatch match = database->FindForChip(info.jedec_id, info.sfdp_image);
  if (match.part == nullptr) return;
  info.part = *match.part;
  info.part_match = match.how;
  info.part_match_why = match.why;
  if (match.part->sfdp_origin && match.part->sfdp_origin->overrides.any() && !match.same_table()) {
    info.notes.push_back({.kind = PartNote::Kind::kIgnored,
                          .text = "the part database's overrides for " + match.part->name +
                                  " are for a different SFDP table (another BFPT revision or "
                                  "length); not applied"});
  }
}

// Parameters from the chip's own table, with the matched entry's overrides and fills.
// nullopt (and info.sfdp_status / sfdp_error say why) if the table cannot give them.
std::optional<SpiNorParams> ParamsFromChipTable(const SpiNorOptions& options, ProbeInfo& info) {
  SfdpError error;
  Result<Sfdp> decoded = DecodeSfdp(info.sfdp_image, &error);
  info.sfdp_status = decoded.status();
  if (!decoded.ok()) {
    info.sfdp_error = error.message;
    return std::nullopt;
  }
  info.sfdp = *decoded;
  const SfdpDerivedPart derived = PartFromSfdp(*decoded);
  const bool same_table =
      info.part_match == PartMatch::How::kSameBfpt || info.part_match == PartMatch::How::kSameImage;
  std::vector<PartNote> notes;
  ChipModel model =
      ResolveProbedPart(derived, info.part ? &*info.part : nullptr, same_table, &notes);
  for (const PartNote& n : notes) {
    if (n.kind == PartNote::Kind::kMissing) {
      info.sfdp_status = Status::Unimplemented();
      info.sfdp_error = n.text + " (no part database entry says otherwise)";
      info.notes.insert(info.notes.end(), notes.begin(), notes.end());
      return std::nullopt;
    }
  }
  Result<SpiNorParams> p = ParamsFromModel(model, options.prefer_4byte_opcodes, &notes);
  info.notes.insert(info.notes.end(), notes.begin(), notes.end());
  if (!p.ok()) {
    info.sfdp_status = p.status();
    info.sfdp_error = p.status() == Status::Unimplemented() ? "no usable 4-byte addressing method"
                                                            : "the table gives no usable geometry";
    return std::nullopt;
  }
  // Without DWORD 16 we cannot know; 66h/99h is near universal and harmless if ignored.
  const SfdpBfpt& bfpt = decoded->bfpt;
  p->soft_reset_6699 = !bfpt.has_dword16 || (bfpt.soft_reset_methods & kSfdpSoftReset6699);
  info.sfdp_status = Status::Ok();
  info.sfdp_error = "";
  info.sfdp_part = std::move(model);
  return *p;
}

// Two 4 KiB sectors: enough to hold a driver for a chip nothing is known about.
SpiNorParams PlaceholderParams() {
  SpiNorParams p;
  p.size_bytes = 8192;
  p.erase_ops = {{.size_bytes = 4096, .opcode = 0x20, .typical_us = 50000, .max_us = 500000}};
  p.program_typical_us = 500;
  p.program_max_us = 5000;
  p.chip_erase_typical_us = 60000000;
  p.chip_erase_max_us = 600000000;
  return p;
}

}  // namespace

Result<std::unique_ptr<SpiNorFlash>> SpiNorFlash::Probe(SpiBus& bus, Clock& clock,
                                                        const PartDatabase* database,
                                                        const SpiNorOptions& options,
                                                        ProbeInfo* info_out) {
  ProbeInfo scratch;
  ProbeInfo& info = info_out != nullptr ? *info_out : scratch;
  info = {};
  // A temporary driver over a placeholder geometry gives the probe the same command
  // helpers as normal operation.
  SpiNorFlash probe({.size_bytes = 4096, .erase_size_bytes = 4096}, bus, clock, options, {});

  // Wake the chip in case it was left in deep power-down (tRES1 = 3 us).
  const std::byte release[1] = {std::byte{op::kReleasePowerDown}};
  const SpiSegment wake[] = {SpiSegment::Write(release)};
  FLASHRIG_TRY(bus.Transfer(wake));
  clock.SleepFor(std::chrono::microseconds(5));

  FLASHRIG_TRY_ASSIGN(info.jedec_id, probe.ReadJedecId());
  if (IsNoChipId(info.jedec_id)) return Status::NotFound();
  if (options.use_sfdp) {
    FLASHRIG_TRY_ASSIGN(info.sfdp_image, probe.ReadSfdpSpace());
  } else {
    info.sfdp_error = "SFDP disabled";
  }
  MatchPart(database, info);
  std::optional<SpiNorParams> params;
  if (options.use_sfdp) {
    params = ParamsFromChipTable(options, info);
    if (params) info.source = ParamSource::kSfdp;
  }
  if (!params && info.part) {
    Result<SpiNorParams> p = ParamsFromModel(*info.part, options.prefer_4byte_opcodes, &info.notes);
    if (!p.ok()) return p.status();
    params = *p;
    info.source = ParamSource::kDatabase;
  }
  if (!params && options.accept_unknown_part) {
    params = PlaceholderParams();
    info.source = ParamSource::kNone;
  }
  if (!params) return Status::NotFound();
  info.params = *params;

  const FlashGeometry geometry{.size_bytes = params->size_bytes,
                               .erase_size_bytes = params->erase_ops.front().size_bytes,
                               .program_page_bytes = params->page_bytes};
  if (!geometry.IsValid()) return Status::DataLoss();
  std::unique_ptr<SpiNorFlash> flash(new SpiNorFlash(geometry, bus, clock, options, info));
  // The chip may still be busy with an operation from before we arrived.
  FLASHRIG_TRY(flash->WaitReady(BusyKind::kChipErase, 0, 0, params->chip_erase_typical_us,
                                params->chip_erase_max_us, /*record=*/true,
                                /*just_started=*/false));
  flash->busy_log_.Clear();
  FLASHRIG_TRY(flash->ReadProtection().status());
  return flash;
}

ProtectionInfo SpiNorFlash::DecodeProtection(uint8_t sr1) const {
  ProtectionInfo p{.status1 = sr1,
                   .layout_known = info_.part.has_value(),
                   .status_register_protected = (sr1 & op::kStatusSrp) != 0};
  if (info_.part) {
    p.range = ComputeProtectedRange(*info_.part, sr1);
  } else if ((sr1 & kGenericProtectMask) != 0) {
    p.range = {0, geometry().size_bytes};
  }
  return p;
}

Result<ProtectionInfo> SpiNorFlash::ReadProtection() {
  FLASHRIG_TRY_ASSIGN(const uint8_t sr1, ReadStatus(0));
  protection_ = DecodeProtection(sr1);
  return protection_;
}

Status SpiNorFlash::WriteStatus1(uint8_t value) {
  FLASHRIG_TRY(WriteEnable());
  const std::byte cmd[2] = {std::byte{op::kWriteStatus1}, std::byte{value}};
  const SpiSegment segments[] = {SpiSegment::Write(cmd)};
  FLASHRIG_TRY(bus_.Transfer(segments));
  FLASHRIG_TRY(WaitReady(BusyKind::kWriteStatus, 0, 1, params().write_status_typical_us,
                         params().write_status_max_us));
  return ReadProtection().status();
}

Status SpiNorFlash::Unlock() {
  FLASHRIG_TRY_ASSIGN(const uint8_t sr1, ReadStatus(0));
  const uint8_t mask = static_cast<uint8_t>(
      (info_.part ? ProtectBitsMask(*info_.part) : kGenericProtectMask) | op::kStatusSrp);
  if ((sr1 & mask) == 0) {
    protection_ = DecodeProtection(sr1);
    return Status::Ok();
  }
  // WIP/WEL are read-only; writing them as 0 is what every datasheet shows.
  FLASHRIG_TRY(WriteStatus1(static_cast<uint8_t>(sr1 & ~mask & 0xFC)));
  if ((protection_.status1 & mask) != 0) return Status::PermissionDenied();
  return Status::Ok();
}

}  // namespace flashrig::driver
