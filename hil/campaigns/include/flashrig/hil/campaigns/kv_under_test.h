// KvUnderTest: the blocking key-value API the KV campaigns (throughput mixes, power loss)
// drive. The production adapter wraps the TicKV engine; tests plug in deliberately broken
// engines through the same seam to prove the campaigns can fail.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/flash.h"
#include "flashrig/driver/flash/status.h"
#include "flashrig/hil/config/config.h"

namespace flashrig::hil {

// One engine instance over one Flash. A power cut is simulated by discarding the object
// and constructing a new one over the same flash (nothing survives in RAM).
class KvUnderTest {
 public:
  virtual ~KvUnderTest() = default;
  // Builds the in-RAM state from flash alone; formats a blank flash.
  virtual Status Mount() = 0;
  // New key. kAlreadyExists if live.
  virtual Status Append(const std::string& key, std::span<const std::byte> value) = 0;
  // Insert or replace; after a cut the key holds the old or the new value.
  virtual Status Set(const std::string& key, std::span<const std::byte> value) = 0;
  // kOk (value in *out) | kNotFound.
  virtual Status Get(const std::string& key, std::vector<std::byte>* out) = 0;
  // kOk | kNotFound.
  virtual Status Invalidate(const std::string& key) = 0;
  virtual Status GarbageCollect() = 0;
};

// Makes an engine over `flash` (which outlives it). Returns nullptr if the geometry is not
// usable by the engine.
using KvFactory = std::function<std::unique_ptr<KvUnderTest>(driver::Flash& flash)>;

// How the production engine runs (kvstore/ EngineOptions; docs/FORMAT.md "Mount", "Wear").
struct KvEngineSettings {
  // Re-program the newest object of each region at mount: a chip's cells that a power cut
  // left weak then read stable. The default is a chip's; ram: and image: rigs turn it off.
  bool refresh_on_mount = true;
  bool wear_record = false;
};

// The settings of a rig's "kv" section, with refresh_on_mount by default on for chip
// targets (sim:, ftdi://, ftdi-emu:, serprog:) and off for ram: and image:.
KvEngineSettings KvSettingsForRig(const RigConfig& rig);

// The production engine (TicKV format); nullptr factory if this build has none.
KvFactory DefaultKvFactory(KvEngineSettings settings = {});

}  // namespace flashrig::hil
