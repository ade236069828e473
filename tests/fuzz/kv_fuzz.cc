// libFuzzer target: mounts arbitrary image bytes as a store and runs an op sequence taken
// from the rest of the input; checks that what it wrote reads back (also after a remount)
// and that nothing crashes, hangs or trips a sanitizer. Built with -DFLASHRIG_FUZZ=ON.
//   build-fuzz/tests/fuzz/kv_fuzz -max_total_time=60 (or scripts/run_fuzzers.sh build-fuzz)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/siphash.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace {

using flashrig::Status;
using flashrig::kv::HashedKey;

constexpr uint32_t kRegionBytes = 512;
constexpr uint32_t kRegions = 8;
constexpr uint32_t kImageBytes = kRegionBytes * kRegions;

HashedKey KeyOf(uint8_t i) {
  HashedKey k{};
  k[0] = std::byte{0xA5};
  k[6] = std::byte{0};
  k[7] = static_cast<std::byte>(i);  // Home region = i % 8: keys collide on purpose.
  return k;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Session {
  explicit Session(flashrig::driver::RamFlash& f)
      : storage(f.geometry(), 256), engine(f, storage.buffers()) {}
  flashrig::kv::EngineStorage storage;
  flashrig::kv::TicKvEngine engine;
};

// Model of the keys this run wrote: value, or nullopt once invalidated.
using Model = std::map<uint8_t, std::optional<std::vector<std::byte>>>;

void CheckModel(flashrig::kv::TicKvEngine& engine, const Model& model) {
  std::vector<std::byte> out(kRegionBytes);
  for (const auto& [id, want] : model) {
    size_t n = 0;
    const Status s = engine.Get(KeyOf(id), out, &n);
    if (want) {
      Check(s.ok() && n == want->size() && std::equal(want->begin(), want->end(), out.begin()));
    } else {
      Check(s == Status::NotFound());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  flashrig::driver::RamFlash flash(kRegionBytes, kRegions);
  std::vector<std::byte> image(kImageBytes, std::byte{0xFF});
  const size_t image_bytes = std::min<size_t>(size, kImageBytes);
  for (size_t i = 0; i < image_bytes; ++i) image[i] = static_cast<std::byte>(data[i]);
  Check(flash.Restore(image).ok());
  auto session = std::make_unique<Session>(flash);
  if (!session->engine.Mount().ok()) return 0;  // Index too small for this image: fine.
  Model model;
  size_t pos = kImageBytes;
  auto next = [&]() -> uint8_t { return pos < size ? data[pos++] : 0; };
  while (pos < size) {
    const uint8_t op = next() % 8;
    const uint8_t id = next() % 24;
    const HashedKey key = KeyOf(id);
    flashrig::kv::TicKvEngine& e = session->engine;
    switch (op) {
      case 0:
      case 1: {  // append / set a value of up to ~600 bytes (some larger than a region)
        std::vector<std::byte> v(static_cast<size_t>(next()) * 3, static_cast<std::byte>(id));
        const Status s = op == 0 ? e.Append(key, v) : e.Set(key, v);
        if (s.ok()) model[id] = v;
        if (op == 1 && s.ok()) Check(e.Contains(key));
        break;
      }
      case 2: {
        const Status s = e.Invalidate(key);
        if (s.ok()) model[id] = std::nullopt;
        break;
      }
      case 3: {
        std::vector<std::byte> out(next());
        size_t n = 0;
        e.Get(key, out, &n).IgnoreError();
        break;
      }
      case 4:
        e.GarbageCollect().status().IgnoreError();
        break;
      case 5:
        e.Compact(next()).status().IgnoreError();
        break;
      case 6: {  // Remount from flash alone: everything this run wrote must survive.
        session = std::make_unique<Session>(flash);
        Check(session->engine.Mount().ok());
        CheckModel(session->engine, model);
        break;
      }
      default:
        CheckModel(e, model);
        break;
    }
  }
  CheckModel(session->engine, model);
  return 0;
}
