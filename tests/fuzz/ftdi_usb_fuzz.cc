// libFuzzer target for the usbfs-level FTDI device (hil/emulate FtdiUsbDevice behind an
// EmulatedBoard): any sequence of URBs (control setup packets with any wLength, bulk
// transfers on any endpoint, any buffer size) and usbfs ioctls from several clients must
// be answered (a status, a stall, an errno) without crashing, hanging or leaking URBs.
// Input: byte 0 picks the chip (232H, 2232H, 4232H); then records of [kind][size][size
// payload bytes]. kind bits 0-2: control URB (payload = setup + data), bulk OUT, bulk IN
// (payload[0..1] = length), claim, release, reset, set configuration, drop the client;
// bits 3-4: which of 3 clients; bits 5-7: endpoint index for bulk. A record's URB is
// reaped at once unless bit 7 of its size byte is set (it stays pending). Seeds
// (tests/fuzz/seeds/ftdi_usb) follow pyftdi's and libftdi's opening sequences.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "flashrig/hil/emulate/emulated_board.h"
#include "testing/test_chip_models.h"

namespace {

using flashrig::hil::FtdiUsbDevice;

struct Urb {
  std::vector<uint8_t> buffer;
  std::unique_ptr<usbdevfs_urb> urb = std::make_unique<usbdevfs_urb>();
};

const flashrig::driver::ChipModel& Part() {
  static const flashrig::driver::ChipModel part = flashrig::testing::TinyTestPart();
  return part;
}

struct Session {
  explicit Session(const flashrig::hil::FtdiChipShape& shape)
      : board([&] {
          flashrig::hil::EmulatedBoardOptions o;
          o.shape = &shape;
          o.part = Part();
          return o;
        }()) {}

  FtdiUsbDevice& usb() { return board.usb(); }
  FtdiUsbDevice::ClientId Client(int i) const { return &clients[i]; }

  // Submits one URB; reaps it (and anything else ready) unless `keep`.
  void Submit(int client, uint8_t type, uint8_t endpoint, std::vector<uint8_t> buffer, bool keep) {
    auto u = std::make_unique<Urb>();
    u->buffer = std::move(buffer);
    u->urb->type = type;
    u->urb->endpoint = endpoint;
    u->urb->buffer_length = static_cast<int>(u->buffer.size());
    Urb* raw = u.get();
    const int err = usb().SubmitUrb(Client(client), raw->urb.get(), raw->buffer.data(),
                                    reinterpret_cast<uint64_t>(raw), raw);
    if (err != 0) return;
    pending.push_back(std::move(u));
    if (!keep) Reap(client);
  }
  void Reap(int client) {
    for (int i = 0; i < 8; ++i) {
      void* token = nullptr;
      if (usb().ReapUrb(Client(client), &token) != 0) return;
      Forget(token);
    }
  }
  void Forget(void* token) {
    for (auto it = pending.begin(); it != pending.end(); ++it) {
      if (it->get() == token) {
        pending.erase(it);
        return;
      }
    }
    std::abort();  // A token the device never got.
  }

  flashrig::hil::EmulatedBoard board;
  char clients[3] = {};
  std::vector<std::unique_ptr<Urb>> pending;
};

void Record(Session& s, uint8_t kind, const uint8_t* payload, size_t size, bool keep) {
  const int client = ((kind >> 3) & 3) % 3;
  const uint8_t ep = static_cast<uint8_t>((kind >> 5) & 3);
  std::vector<uint8_t> bytes(payload, payload + size);
  uint32_t value = size > 0 ? payload[0] : 0;
  switch (kind & 7) {
    case 0:
      s.Submit(client, USBDEVFS_URB_TYPE_CONTROL, 0, bytes, keep);
      break;
    case 1:
      s.Submit(client, USBDEVFS_URB_TYPE_BULK, flashrig::hil::BulkOutEndpoint(ep), bytes, keep);
      break;
    case 2: {
      const size_t length = size >= 2 ? ((payload[0] | (payload[1] << 8)) & 0x3FFF) : 512;
      s.Submit(client, USBDEVFS_URB_TYPE_BULK, flashrig::hil::BulkInEndpoint(ep),
               std::vector<uint8_t>(length), keep);
      break;
    }
    case 3:
      s.usb().Ioctl(s.Client(client), USBDEVFS_CLAIMINTERFACE, &value);
      break;
    case 4:
      s.usb().Ioctl(s.Client(client), USBDEVFS_RELEASEINTERFACE, &value);
      break;
    case 5:
      s.usb().Ioctl(s.Client(client), USBDEVFS_RESET, nullptr);
      break;
    case 6: {
      int32_t config = static_cast<int8_t>(value);
      s.usb().Ioctl(s.Client(client), USBDEVFS_SETCONFIGURATION, &config);
      break;
    }
    default:
      for (void* token : s.usb().DropClient(s.Client(client))) s.Forget(token);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& shapes = flashrig::hil::FtdiChipShapes();
  Session s(shapes[data[0] % shapes.size()]);
  for (size_t pos = 1; pos + 2 <= size;) {
    const uint8_t kind = data[pos];
    const bool keep = (data[pos + 1] & 0x80) != 0;
    const size_t n = std::min<size_t>(data[pos + 1] & 0x7F, size - pos - 2);
    Record(s, kind, data + pos + 2, n, keep);
    pos += 2 + n;
  }
  for (int c = 0; c < 3; ++c) s.Reap(c);
  for (void* token : s.usb().DropAllUrbs()) s.Forget(token);
  if (!s.pending.empty()) std::abort();  // Every URB came back exactly once.
  return 0;
}
