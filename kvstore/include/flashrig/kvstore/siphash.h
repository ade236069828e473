// SipHash-2-4 and generate_key: Tock hashes the caller's key bytes with SipHash-2-4 under
// an all-zero 128-bit key, so our keys match Tock boards and tockloader byte for byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace flashrig::kv {

// The 8-byte key of the KVSystem HIL: the little-endian SipHash result, stored on flash in
// this order.
using HashedKey = std::array<std::byte, 8>;

// SipHash-2-4 of `data` under the 128-bit key (k0, k1) (little-endian halves).
uint64_t SipHash24(std::span<const std::byte> data, uint64_t k0 = 0, uint64_t k1 = 0);

// Tock's generate_key: SipHash-2-4 with key 0 over exactly `unhashed` (no padding, no
// length prefix), encoded little-endian. "hello" -> b9 52 f7 b2 5d 5d c1 8c.
HashedKey GenerateKey(std::span<const std::byte> unhashed);
HashedKey GenerateKey(std::string_view unhashed);

}  // namespace flashrig::kv
