// SerprogServer: every command's reply bytes, O_SPIOP onto the bus, NAK paths that keep the
// stream in step, split-invariance, and random/truncated input that must never crash.
#include "flashrig/driver/serprog/serprog_server.h"

#include <gtest/gtest.h>

#include <vector>

#include "testing/bytes.h"
#include "testing/serprog_test_chip.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Bytes;
using flashrig::testing::FailableSpiBus;
using flashrig::testing::SerprogTestChip;

constexpr int kAck = 0x06;
constexpr int kNak = 0x15;

class SerprogServerTest : public ::testing::Test {
 protected:
  std::vector<std::byte> Send(const std::vector<std::byte>& in) {
    std::vector<std::byte> out;
    server_.Receive(in, out);
    return out;
  }

  SerprogTestChip chip_;
  SpiDeviceBus chip_bus_{chip_};
  FailableSpiBus bus_{chip_bus_};
  SerprogServer server_{bus_, SerprogServerOptions{.max_write_bytes = 300, .max_read_bytes = 4096}};
};

TEST_F(SerprogServerTest, QueriesAnswerPerSpec) {
  EXPECT_EQ(Send(Bytes({0x00})), Bytes({kAck}));
  EXPECT_EQ(Send(Bytes({0x01})), Bytes({kAck, 0x01, 0x00}));
  EXPECT_EQ(Send(Bytes({0x10})), Bytes({kNak, kAck}));
  EXPECT_EQ(Send(Bytes({0x04})), Bytes({kAck, 0xFF, 0xFF}));
  EXPECT_EQ(Send(Bytes({0x05})), Bytes({kAck, 0x08}));
  EXPECT_EQ(Send(Bytes({0x08})), Bytes({kAck, 0x2C, 0x01, 0x00}));  // 300
  EXPECT_EQ(Send(Bytes({0x11})), Bytes({kAck, 0x00, 0x10, 0x00}));  // 4096
  std::vector<std::byte> name = Bytes({kAck, 'f', 'l', 'a', 's', 'h', 'r', 'i', 'g'});
  name.resize(17, std::byte{0});
  EXPECT_EQ(Send(Bytes({0x03})), name);
  EXPECT_TRUE(server_.idle());
}

TEST_F(SerprogServerTest, CommandMapListsExactlyTheImplementedCommands) {
  const std::vector<std::byte> reply = Send(Bytes({0x02}));
  ASSERT_EQ(reply.size(), 33u);
  EXPECT_EQ(reply[0], std::byte{kAck});
  // Commands 00-05, 08, 10-15: bytes 3F 01 3F, rest zero.
  std::vector<std::byte> expected = Bytes({0x3F, 0x01, 0x3F});
  expected.resize(32, std::byte{0});
  EXPECT_EQ(std::vector<std::byte>(reply.begin() + 1, reply.end()), expected);
}

TEST_F(SerprogServerTest, SpiOpReadsJedecIdThroughTheBus) {
  // O_SPIOP slen=1 rlen=3, 9Fh.
  EXPECT_EQ(Send(Bytes({0x13, 1, 0, 0, 3, 0, 0, 0x9F})), Bytes({kAck, 0xEF, 0x40, 0x15}));
  ASSERT_EQ(chip_.frames().size(), 1u);
  EXPECT_EQ(chip_.frames()[0], Bytes({0x9F, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(server_.counters().spi_ops, 1u);
  EXPECT_EQ(server_.counters().spi_bytes_read, 3u);
}

TEST_F(SerprogServerTest, SpiOpProgramsAndReadsBack) {
  EXPECT_EQ(Send(Bytes({0x13, 1, 0, 0, 0, 0, 0, 0x06})), Bytes({kAck}));
  EXPECT_EQ(Send(Bytes({0x13, 6, 0, 0, 0, 0, 0, 0x02, 0x00, 0x01, 0x10, 0xA5, 0x5A})),
            Bytes({kAck}));
  EXPECT_EQ(Send(Bytes({0x13, 4, 0, 0, 2, 0, 0, 0x03, 0x00, 0x01, 0x10})),
            Bytes({kAck, 0xA5, 0x5A}));
}

TEST_F(SerprogServerTest, EmptySpiOpStillPulsesChipSelect) {
  EXPECT_EQ(Send(Bytes({0x13, 0, 0, 0, 0, 0, 0})), Bytes({kAck}));
  EXPECT_EQ(chip_.frames().size(), 1u);
}

TEST_F(SerprogServerTest, ByteAtATimeGivesTheSameRepliesAsOneChunk) {
  const std::vector<std::byte> stream =
      Bytes({0x10, 0x01, 0x13, 1, 0, 0, 3, 0, 0, 0x9F, 0x14, 0x40, 0x42, 0x0F, 0x00, 0x00});
  const std::vector<std::byte> whole = Send(stream);
  server_.Reset();
  std::vector<std::byte> split;
  for (std::byte b : stream) server_.Receive(std::span(&b, 1), split);
  EXPECT_EQ(split, whole);
  EXPECT_EQ(whole, Bytes({kNak, kAck, kAck, 1, 0, kAck, 0xEF, 0x40, 0x15, kAck, 0x40, 0x42, 0x0F,
                          0x00, kAck}));
}

TEST_F(SerprogServerTest, UnknownOpcodeGetsOneNakAndTheStreamContinues) {
  EXPECT_EQ(Send(Bytes({0x42, 0xFF, 0x00})), Bytes({kNak, kNak, kAck}));
  EXPECT_EQ(server_.counters().unknown_commands, 2u);
}

TEST_F(SerprogServerTest, ParallelCommandsConsumeTheirParametersThenNak) {
  // R_BYTE addr(3); R_NBYTES addr+len; O_WRITEB addr+byte; O_WRITEN len=2 addr + 2 bytes;
  // O_DELAY u32; O_INIT; O_EXEC; Q_OPBUF; Q_CHIPSIZE; then a NOP that must be seen as one.
  const auto reply = Send(
      Bytes({0x09, 1, 2, 3, 0x0A, 1,    2,    3,    4, 5, 6, 0x0C, 1,    2,    3,    4,    0x0D, 2,
             0,    0, 1, 2, 3,    0x00, 0x00, 0x0E, 1, 2, 3, 4,    0x0B, 0x0F, 0x07, 0x06, 0x00}));
  EXPECT_EQ(reply, Bytes({kNak, kNak, kNak, kNak, kNak, kNak, kNak, kNak, kNak, kAck}));
  EXPECT_TRUE(chip_.frames().empty());
}

TEST_F(SerprogServerTest, OversizedSpiOpIsConsumedThenNaked) {
  std::vector<std::byte> in = Bytes({0x13, 0x2D, 0x01, 0x00, 0, 0, 0});  // slen = 301.
  in.resize(in.size() + 301, std::byte{0x00});  // Payload of NOP bytes: must not execute.
  in.push_back(std::byte{0x00});
  EXPECT_EQ(Send(in), Bytes({kNak, kAck}));
  // rlen above the limit: the write data is still consumed.
  EXPECT_EQ(Send(Bytes({0x13, 1, 0, 0, 0x01, 0x10, 0x00, 0x00, 0x00})), Bytes({kNak, kAck}));
  EXPECT_TRUE(chip_.frames().empty());
}

// Regression (serprog_fuzz, heap-buffer-overflow): O_SPIOP with slen 0 and rlen over the
// limit has no data to skip; it used to run and read rlen bytes into the 4096-byte buffer.
TEST_F(SerprogServerTest, ReadOnlySpiOpOverTheReadLimitIsNaked) {
  const uint64_t rejected = server_.counters().rejected_commands;
  EXPECT_EQ(Send(Bytes({0x13, 0, 0, 0, 0x01, 0x10, 0x00, 0x00})), Bytes({kNak, kAck}));
  EXPECT_EQ(Send(Bytes({0x13, 0, 0, 0, 0xFF, 0xFF, 0xFF})), Bytes({kNak}));
  EXPECT_TRUE(chip_.frames().empty());
  EXPECT_EQ(server_.counters().rejected_commands, rejected + 2);
  EXPECT_EQ(server_.counters().spi_ops, 0u);
  // At the limit it still runs: ACK and 4096 data bytes.
  EXPECT_EQ(Send(Bytes({0x13, 0, 0, 0, 0x00, 0x10, 0x00})).size(), 1u + 4096u);
}

TEST_F(SerprogServerTest, SpiFrequencyZeroIsNakedOtherValuesEchoedOrFixed) {
  EXPECT_EQ(Send(Bytes({0x14, 0, 0, 0, 0})), Bytes({kNak}));
  EXPECT_EQ(Send(Bytes({0x14, 0x40, 0x42, 0x0F, 0x00})), Bytes({kAck, 0x40, 0x42, 0x0F, 0x00}));
  EXPECT_EQ(server_.spi_frequency_hz(), 1000000u);
  bus_.set_clock_hz(30000000);  // A bus with one fixed clock offers only that.
  EXPECT_EQ(Send(Bytes({0x14, 0x40, 0x42, 0x0F, 0x00})), Bytes({kAck, 0x80, 0xC3, 0xC9, 0x01}));
}

TEST_F(SerprogServerTest, BusTypeMustIncludeSpi) {
  EXPECT_EQ(Send(Bytes({0x12, 0x01})), Bytes({kNak}));
  EXPECT_EQ(Send(Bytes({0x12, 0x08})), Bytes({kAck}));
  EXPECT_EQ(Send(Bytes({0x12, 0x0F})), Bytes({kAck}));
}

TEST_F(SerprogServerTest, PinDriversOffRefusesSpiUntilOnOrReset) {
  EXPECT_EQ(Send(Bytes({0x15, 0x00})), Bytes({kAck}));
  EXPECT_FALSE(server_.pin_drivers_enabled());
  EXPECT_EQ(Send(Bytes({0x13, 1, 0, 0, 3, 0, 0, 0x9F})), Bytes({kNak}));
  EXPECT_EQ(Send(Bytes({0x15, 0x01})), Bytes({kAck}));
  EXPECT_EQ(Send(Bytes({0x13, 1, 0, 0, 3, 0, 0, 0x9F})), Bytes({kAck, 0xEF, 0x40, 0x15}));
  EXPECT_EQ(Send(Bytes({0x15, 0x00})), Bytes({kAck}));
  server_.Reset();
  EXPECT_TRUE(server_.pin_drivers_enabled());
}

TEST_F(SerprogServerTest, BusErrorIsNakedWithoutData) {
  bus_.FailNext(Status::Unavailable(), 1);
  EXPECT_EQ(Send(Bytes({0x13, 1, 0, 0, 3, 0, 0, 0x9F, 0x00})), Bytes({kNak, kAck}));
  EXPECT_EQ(server_.counters().spi_bus_errors, 1u);
  EXPECT_EQ(Send(Bytes({0x13, 1, 0, 0, 3, 0, 0, 0x9F})), Bytes({kAck, 0xEF, 0x40, 0x15}));
}

TEST_F(SerprogServerTest, TruncatedCommandsWaitAndCompleteLater) {
  const std::vector<std::vector<std::byte>> commands = {
      Bytes({0x13, 1, 0, 0, 3, 0, 0, 0x9F}), Bytes({0x14, 0x40, 0x42, 0x0F, 0x00}),
      Bytes({0x12, 0x08}), Bytes({0x15, 0x01}), Bytes({0x0D, 2, 0, 0, 1, 2, 3, 7, 7})};
  for (const auto& command : commands) {
    for (size_t cut = 1; cut < command.size(); ++cut) {
      server_.Reset();
      const std::vector<std::byte> head(command.begin(), command.begin() + cut);
      EXPECT_TRUE(Send(head).empty()) << "cut " << cut;
      EXPECT_FALSE(server_.idle());
      const std::vector<std::byte> tail(command.begin() + cut, command.end());
      EXPECT_FALSE(Send(tail).empty());
      EXPECT_TRUE(server_.idle());
    }
  }
}

TEST_F(SerprogServerTest, OptionsAreClampedIntoRange) {
  SerprogServer server(bus_, SerprogServerOptions{.programmer_name = "a-very-long-programmer-name",
                                                  .max_write_bytes = 0,
                                                  .max_read_bytes = 1u << 30,
                                                  .serial_buffer_bytes = 0});
  EXPECT_EQ(server.options().max_write_bytes, 1u);
  EXPECT_EQ(server.options().max_read_bytes, serprog::kMaxLength24);
  std::vector<std::byte> out;
  server.Receive(Bytes({0x03}), out);
  EXPECT_EQ(out.size(), 17u);  // Name truncated to 16 bytes.
}

// Random streams in random chunkings: never a crash (ASan/UBSan run this), the same replies
// whatever the split, and only ACK/NAK-led answers. Unknown opcodes mixed into a stream of
// valid commands must each cost exactly one NAK and leave every valid command intact.
TEST(SerprogServerFuzzTest, RandomStreamsAreSplitInvariantAndNeverCrash) {
  FLASHRIG_SEEDED(seed, 0x5E4910);
  SeededRandom rng(seed);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::byte> stream(rng.Between(1, 2000));
    for (auto& b : stream) {
      // Bias towards real opcodes so command paths, not just NAKs, get exercised.
      b = std::byte{static_cast<uint8_t>(rng.Chance(1, 2) ? rng.Below(0x17) : rng.Byte())};
    }
    std::vector<std::vector<std::byte>> outputs;
    for (int split = 0; split < 2; ++split) {
      SerprogTestChip chip;
      SpiDeviceBus bus(chip);
      SerprogServer server(bus,
                           SerprogServerOptions{.max_write_bytes = 512, .max_read_bytes = 512});
      std::vector<std::byte> out;
      for (size_t i = 0; i < stream.size();) {
        const size_t n = split == 0 ? stream.size() : rng.Between(1, 17);
        const size_t take = std::min(n, stream.size() - i);
        server.Receive(std::span(stream).subspan(i, take), out);
        i += take;
      }
      outputs.push_back(std::move(out));
    }
    ASSERT_EQ(outputs[0], outputs[1]) << "round " << round;
  }
}

TEST(SerprogServerFuzzTest, UnknownOpcodesBetweenValidCommandsCostOneNakEach) {
  FLASHRIG_SEEDED(seed, 0xBADC0DE);
  SeededRandom rng(seed);
  SerprogTestChip chip;
  SpiDeviceBus bus(chip);
  SerprogServer server(bus, SerprogServerOptions{});
  std::vector<std::byte> in;
  std::vector<std::byte> expected;
  for (int i = 0; i < 500; ++i) {
    const int junk = static_cast<int>(rng.Below(4));
    for (int j = 0; j < junk; ++j) {
      in.push_back(std::byte{static_cast<uint8_t>(rng.Between(0x16, 0xFF))});
      expected.push_back(std::byte{kNak});
    }
    const auto rdid = Bytes({0x13, 1, 0, 0, 3, 0, 0, 0x9F});
    in.insert(in.end(), rdid.begin(), rdid.end());
    for (int b : {kAck, 0xEF, 0x40, 0x15}) expected.push_back(std::byte{static_cast<uint8_t>(b)});
  }
  std::vector<std::byte> out;
  server.Receive(in, out);
  EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace flashrig::driver
