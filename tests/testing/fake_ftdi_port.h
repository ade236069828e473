// FakeFtdiPort: a scripted FtdiPort for FtdiSpiBus tests. It records every call (and the
// exact bytes of every write), answers reads from queued reply chunks (one chunk per
// Read at most, so short reads are scripted by splitting), and fails on demand.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/driver/ftdi/ftdi_port.h"
#include "flashrig/driver/ftdi/ftdi_url.h"

namespace flashrig::testing {

class FakeFtdiPort final : public driver::FtdiPort {
 public:
  enum class Op { kList, kOpen, kClose, kReset, kLatency, kBitMode, kFlush, kWrite, kRead };
  struct Call {
    Op op = Op::kList;
    std::vector<std::byte> bytes{};  // Write: the bytes sent.
    int arg = 0;                     // Latency ms, bit mode, interface.
  };

  static driver::FtdiDeviceInfo Ft232H(std::string serial = "FT1ABCDE", uint8_t address = 5) {
    return {.vendor_id = driver::kFtdiVendorId,
            .product_id = driver::kFt232hProductId,
            .chip_type = driver::FtdiChipType::kFt232H,
            .bus = 1,
            .address = address,
            .strings_readable = true,
            .manufacturer = "FTDI",
            .description = "Single RS232-HS",
            .serial = std::move(serial)};
  }

  // --- Script -------------------------------------------------------------------------
  std::vector<driver::FtdiDeviceInfo> devices{Ft232H()};
  Status list_status{};
  Status open_status{};
  std::string open_error;
  std::deque<std::vector<std::byte>> replies;  // Each Read takes from the front chunk.
  // The call with this index in calls() (0-based, Open included) fails with fail_status
  // and does nothing else; with sticky, every later call fails too (unplugged).
  std::optional<size_t> fail_call{};
  Status fail_status = Status::Unavailable();
  bool sticky = false;
  // Set by Close; shared so a test can check it after the bus destroyed the port.
  std::shared_ptr<bool> closed = std::make_shared<bool>(false);

  void QueueReply(std::vector<std::byte> chunk) { replies.push_back(std::move(chunk)); }

  // --- Observation --------------------------------------------------------------------
  const std::vector<Call>& calls() const { return *calls_; }
  // The same log, shared: it outlives the port (OpenFtdiSpiBus destroys the port when
  // opening fails).
  std::shared_ptr<const std::vector<Call>> shared_calls() const { return calls_; }
  std::vector<std::vector<std::byte>> Writes() const {
    std::vector<std::vector<std::byte>> out;
    for (const Call& c : *calls_) {
      if (c.op == Op::kWrite) out.push_back(c.bytes);
    }
    return out;
  }
  size_t CountOf(Op op) const {
    size_t n = 0;
    for (const Call& c : *calls_) n += c.op == op ? 1 : 0;
    return n;
  }
  bool open() const { return open_; }

  // --- FtdiPort -----------------------------------------------------------------------
  Result<std::vector<driver::FtdiDeviceInfo>> ListDevices() override {
    if (Status s = Record({.op = Op::kList}); !s.ok()) return s;
    if (!list_status.ok()) {
      last_error_ = "libusb_init failed";
      return list_status;
    }
    return devices;
  }
  Status Open(const driver::FtdiOpenRequest& request) override {
    if (Status s = Record({.op = Op::kOpen, .arg = request.interface}); !s.ok()) return s;
    if (!open_status.ok()) {
      last_error_ = open_error;
      return open_status;
    }
    open_ = true;
    return Status::Ok();
  }
  void Close() override {
    Record({.op = Op::kClose}).IgnoreError();
    open_ = false;
    *closed = true;
  }
  Status Reset() override { return Record({.op = Op::kReset}); }
  Status SetLatencyTimer(uint8_t ms) override { return Record({.op = Op::kLatency, .arg = ms}); }
  Status SetBitMode(uint8_t /*mask*/, uint8_t mode) override {
    return Record({.op = Op::kBitMode, .arg = mode});
  }
  // Queued replies are the script of future answers, so a flush keeps them.
  Status Flush() override { return Record({.op = Op::kFlush}); }
  Result<size_t> Write(std::span<const std::byte> data) override {
    FLASHRIG_TRY(Record({.op = Op::kWrite, .bytes = {data.begin(), data.end()}}));
    return data.size();
  }
  Result<size_t> Read(std::span<std::byte> out) override {
    FLASHRIG_TRY(Record({.op = Op::kRead}));
    if (replies.empty()) return size_t{0};
    std::vector<std::byte>& front = replies.front();
    const size_t n = std::min(out.size(), front.size());
    std::copy_n(front.begin(), n, out.begin());
    front.erase(front.begin(), front.begin() + static_cast<ptrdiff_t>(n));
    if (front.empty()) replies.pop_front();
    return n;
  }
  const std::string& last_error() const override { return last_error_; }

 private:
  Status Record(Call call) {
    const size_t index = calls_->size();
    calls_->push_back(std::move(call));
    if (failed_ || (fail_call && *fail_call == index)) {
      failed_ = sticky;
      if (sticky) open_ = false;
      last_error_ = "LIBUSB_ERROR_NO_DEVICE (scripted)";
      return fail_status;
    }
    return Status::Ok();
  }

  std::shared_ptr<std::vector<Call>> calls_ = std::make_shared<std::vector<Call>>();
  bool open_ = false;
  bool failed_ = false;
  std::string last_error_;
};

}  // namespace flashrig::testing
