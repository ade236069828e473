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
  if (database != nullptr) {
    if (const ChipModel* part = database->FindByJedecId(info.jedec_id)) info.part = *part;
  }

  std::optional<SpiNorParams> params;
  if (options.use_sfdp) {
    std::vector<std::byte> image(8);
    Status read = Status::Ok();
    for (int round = 0; round < 3 && read.ok(); ++round) {
      const uint32_t need = SfdpBytesNeeded(image);
      if (round > 0 && need <= image.size()) break;
      image.resize(std::max<size_t>(need, image.size()));
      read = probe.ReadSfdp(0, image);
    }
    if (!read.ok()) return read;
    const char* why = "";
    Result<SfdpParams> parsed = ParseSfdp(image, &why);
    info.sfdp_status = parsed.status();
    info.sfdp_error = why;
    if (parsed.ok()) {
      info.sfdp = *parsed;
      Result<SpiNorParams> p = ParamsFromSfdp(*parsed, options.prefer_4byte_opcodes);
      if (p.ok()) {
        params = *p;
        info.source = ParamSource::kSfdp;
      } else {
        info.sfdp_status = p.status();
        info.sfdp_error = "no usable 4-byte addressing method";
      }
    }
  } else {
    info.sfdp_error = "SFDP disabled";
  }
  if (!params && info.part) {
    Result<SpiNorParams> p = ParamsFromModel(*info.part, options.prefer_4byte_opcodes);
    if (!p.ok()) return p.status();
    params = *p;
    info.source = ParamSource::kDatabase;
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
