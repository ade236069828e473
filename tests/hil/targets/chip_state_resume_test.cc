// Endurance --resume on in-process devices (ram:, sim:): the checkpoint keeps the chip's
// contents and per-sector wear, so an interrupted-then-resumed run ends with exactly the
// wear of an uninterrupted one (a fresh process would otherwise start from a new chip).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "flashrig/hil/campaigns/runner.h"
#include "flashrig/hil/targets/chip_state.h"
#include "flashrig/hil/targets/target.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A progress stream that raises the interrupt flag once it sees "cycle N/": stops the
// run after exactly N cycles, as Ctrl-C would.
struct InterruptAfter {
  std::atomic<bool>* flag;
  std::string needle;
  std::string seen;
};

ssize_t WriteProgress(void* cookie, const char* buf, size_t size) {
  auto* c = static_cast<InterruptAfter*>(cookie);
  c->seen.append(buf, size);
  if (c->seen.find(c->needle) != std::string::npos) c->flag->store(true);
  return static_cast<ssize_t>(size);
}

class ChipStateResumeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("flashrig_chip_state_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CampaignConfig Endurance(const std::string& target) const {
    const json j = {{"name", "wear-resume"},
                    {"kind", "endurance"},
                    {"rig", {{"name", "r0"}, {"target", target}}},
                    {"endurance", {{"sectors", {1, 3}}, {"cycles", 7}, {"verify_every", 1}}}};
    ConfigErrors errors;
    auto c = ParseCampaign(j, "inline.json", &errors);
    EXPECT_TRUE(c.has_value()) << FormatConfigErrors(errors);
    return *c;
  }
  // The wear the finished run's checkpoint recorded for rig r0.
  std::vector<uint64_t> SavedWear(const std::string& out) const {
    std::ifstream in(out + "/checkpoint.json");
    const json cp = json::parse(in);
    EXPECT_TRUE(cp["complete"].get<bool>());
    std::string why;
    auto state = LoadChipState(out, cp["rigs"]["r0"]["chip_state"], &why);
    EXPECT_TRUE(state.has_value()) << why;
    return state ? state->erase_counts : std::vector<uint64_t>{};
  }
  fs::path dir_;
};

TEST_P(ChipStateResumeTest, InterruptedAndResumedWearEqualsAnUninterruptedRun) {
  const std::string target = GetParam();
  const std::string straight = (dir_ / "straight").string();
  const std::string resumed = (dir_ / "resumed").string();
  RunOptions options;
  options.out_dir = straight;
  ForgetSimulatedChips();
  RunResult r = RunCampaign(Endurance(target), options);
  ASSERT_EQ(r.exit_code, 0) << r.message;
  const std::vector<uint64_t> want = SavedWear(straight);

  // Interrupted after 3 of 7 cycles...
  std::atomic<bool> interrupt{false};
  InterruptAfter cookie{&interrupt, "cycle 3/", ""};
  std::FILE* progress = fopencookie(&cookie, "w", {nullptr, WriteProgress, nullptr, nullptr});
  ASSERT_NE(progress, nullptr);
  std::setvbuf(progress, nullptr, _IONBF, 0);
  options.out_dir = resumed;
  options.interrupt = &interrupt;
  options.progress_out = progress;
  options.progress_interval = std::chrono::milliseconds(0);
  ForgetSimulatedChips();
  r = RunCampaign(Endurance(target), options);
  std::fclose(progress);
  ASSERT_EQ(r.exit_code, 1) << r.message;
  ASSERT_EQ(r.report->rigs[0].figures["endurance"]["cycles_done"], 3);
  // ...then resumed by a "new process": a fresh device, the state from the checkpoint.
  ForgetSimulatedChips();
  interrupt = false;
  options.progress_out = nullptr;
  r = ResumeCampaign(resumed, options);
  ASSERT_EQ(r.exit_code, 0) << r.message;
  EXPECT_EQ(r.report->rigs[0].figures["endurance"]["cycles_done"], 7);

  const std::vector<uint64_t> got = SavedWear(resumed);
  EXPECT_EQ(got, want);
  // The cycled sectors carry all 7 cycles (plus nothing else); the rest none.
  const size_t units_per_sector = 1;
  ASSERT_GT(got.size(), 3u * units_per_sector);
  EXPECT_EQ(got[1], 7u);
  EXPECT_EQ(got[3], 7u);
  EXPECT_EQ(got[0], 0u);
  // Only the newest state files remain next to the checkpoint.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(resumed)) {
    files += e.path().filename().string().rfind("chip-r0-", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(files, 2u);
}

INSTANTIATE_TEST_SUITE_P(Targets, ChipStateResumeTest,
                         ::testing::Values("ram:4096x16", "sim:W25Q16JV?timing=typical"));

TEST(ChipStateFileTest, DamagedStateFilesAreNamedInTheError) {
  const fs::path dir =
      fs::temp_directory_path() / ("flashrig_chip_file_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ChipState s;
  s.partition_image.assign(8192, std::byte{0xA5});
  s.erase_counts = {0, 4, 0, 9};
  std::string why;
  auto d = SaveChipState(dir.string(), "rig one", 5, s, &why);
  ASSERT_TRUE(d.has_value()) << why;
  EXPECT_EQ((*d)["image"], "chip-rig_one-5.bin");
  auto back = LoadChipState(dir.string(), *d, &why);
  ASSERT_TRUE(back.has_value()) << why;
  EXPECT_EQ(back->erase_counts, s.erase_counts);
  EXPECT_EQ(back->partition_image, s.partition_image);
  fs::resize_file(dir / "chip-rig_one-5.bin", 100);
  EXPECT_FALSE(LoadChipState(dir.string(), *d, &why).has_value());
  EXPECT_NE(why.find("chip-rig_one-5.bin"), std::string::npos) << why;
  // A descriptor's sizes are bounded before anything is allocated, and numbers must be
  // integers in range (a hand-edited checkpoint used to allocate 8 * 10^18 bytes, or
  // convert 1e30 with undefined behaviour).
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, nlohmann::json>>{{"wear_units", 1e18},
                                                           {"wear_units", -1},
                                                           {"image_bytes", 1e30},
                                                           {"image_bytes", 2.5},
                                                           {"wear_units", "4"}}) {
    nlohmann::json bad = *d;
    bad[key] = value;
    EXPECT_FALSE(LoadChipState(dir.string(), bad, &why).has_value()) << key << " " << value;
    EXPECT_NE(why.find("checkpoint.json: chip_state:"), std::string::npos) << why;
  }
  PruneChipStates(dir.string(), "rig one", 6);
  EXPECT_FALSE(fs::exists(dir / "chip-rig_one-5.wear.json"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace flashrig::hil
