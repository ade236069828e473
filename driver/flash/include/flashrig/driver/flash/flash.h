// Flash: the seam between storage engines / campaigns and NOR flash backends
// (RamFlash, SpiNorFlash over a real or simulated chip, decorators).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

// The shape of a flash device. Validated by Flash's constructor users (IsValid()).
struct FlashGeometry {
  // Addressable bytes; a non-zero multiple of erase_size_bytes.
  uint32_t size_bytes = 0;
  // Smallest erasable unit (a sector), a power of two, e.g. 4096.
  uint32_t erase_size_bytes = 0;
  // Largest program the device takes in one operation (a page, e.g. 256). Informational:
  // Flash::Program accepts any in-bounds range and the backend splits it. Power of two,
  // <= erase_size_bytes.
  uint32_t program_page_bytes = 256;
  // What an erased byte reads back as (0xFF on NOR).
  std::byte erased_value{0xFF};

  uint32_t sector_count() const {
    return erase_size_bytes == 0 ? 0 : size_bytes / erase_size_bytes;
  }
  bool IsValid() const;
};

// One caller at a time (an engine or a campaign); not thread-safe.
// Public methods validate arguments once and then call the private Do*() hooks, so every
// backend rejects bad arguments identically (the conformance suite proves it).
class Flash {
 public:
  virtual ~Flash() = default;
  Flash(const Flash&) = delete;
  Flash& operator=(const Flash&) = delete;

  const FlashGeometry& geometry() const { return geometry_; }

  // Reads out.size() bytes starting at `address`. An empty read is kOk.
  //   kOk
  //   kOutOfRange        [address, address + out.size()) is not inside the device
  //   kUnavailable       powered off (power cut) or unplugged
  //   kDeadlineExceeded  the device did not answer in time
  //   kDataLoss / others only from fault injection or worn-out sectors
  Status Read(uint32_t address, std::span<std::byte> out);

  // NOR program: each stored bit becomes (old AND new); a program never sets a bit.
  // Any in-bounds range is accepted; backends with pages split at page boundaries.
  //   kOk
  //   kOutOfRange        range not inside the device
  //   kPermissionDenied  the range is write-protected (block-protect bits)
  //   kUnavailable       powered off or unplugged
  //   kDeadlineExceeded  the device stayed busy past its maximum program time
  //   kFailedPrecondition strict RamFlash only: the program tried to set a 0 bit to 1
  //   kDataLoss          verify-after-write found a mismatch
  Status Program(uint32_t address, std::span<const std::byte> data);

  // Sets [address, address + size_bytes) to erased_value.
  //   kOk                (size_bytes == 0 is a no-op)
  //   kInvalidArgument   address or size not a multiple of erase_size_bytes
  //   kOutOfRange        range not inside the device
  //   kPermissionDenied  the range is write-protected
  //   kUnavailable       powered off or unplugged
  //   kDeadlineExceeded  the device stayed busy past its maximum erase time
  //   kDataLoss          verify-after-erase found a byte that is not erased_value
  Status Erase(uint32_t address, uint32_t size_bytes);

  // True if [address, address + length) lies inside the device (no overflow).
  bool InBounds(uint32_t address, uint64_t length) const {
    return address <= geometry_.size_bytes &&
           length <= uint64_t{geometry_.size_bytes} - address;
  }

 protected:
  explicit Flash(const FlashGeometry& geometry) : geometry_(geometry) {}

 private:
  // Called only with arguments the public methods have already validated (in bounds,
  // erase-aligned, non-empty).
  virtual Status DoRead(uint32_t address, std::span<std::byte> out) = 0;
  virtual Status DoProgram(uint32_t address, std::span<const std::byte> data) = 0;
  virtual Status DoErase(uint32_t address, uint32_t size_bytes) = 0;

  FlashGeometry geometry_;
};

}  // namespace flashrig::driver
