// SipHash-2-4 (Aumasson & Bernstein), written from the paper's description.
#include "flashrig/kvstore/siphash.h"

namespace flashrig::kv {
namespace {

constexpr uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct State {
  uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

uint64_t LoadLe(std::span<const std::byte> bytes) {
  uint64_t out = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    out |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  }
  return out;
}

}  // namespace

uint64_t SipHash24(std::span<const std::byte> data, uint64_t k0, uint64_t k1) {
  State s{k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull, k0 ^ 0x6c7967656e657261ull,
          k1 ^ 0x7465646279746573ull};
  const size_t full_words = data.size() / 8;
  for (size_t i = 0; i < full_words; ++i) s.Compress(LoadLe(data.subspan(i * 8, 8)));
  // Last block: the remaining bytes plus the length (mod 256) in the top byte.
  const uint64_t last = LoadLe(data.subspan(full_words * 8)) | (uint64_t{data.size() & 0xFF} << 56);
  s.Compress(last);
  s.v2 ^= 0xFF;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

HashedKey GenerateKey(std::span<const std::byte> unhashed) {
  const uint64_t h = SipHash24(unhashed);
  HashedKey key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::byte>(h >> (8 * i));
  return key;
}

HashedKey GenerateKey(std::string_view unhashed) {
  return GenerateKey(std::as_bytes(std::span<const char>(unhashed.data(), unhashed.size())));
}

}  // namespace flashrig::kv
