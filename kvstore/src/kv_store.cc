// KvStore: GC policy and sorted key listing.
#include "flashrig/kvstore/kv_store.h"

#include <algorithm>

#include "flashrig/kvstore/object_format.h"

namespace flashrig::kv {

Result<size_t> KvStore::Gc(bool compact) {
  FLASHRIG_TRY_ASSIGN(size_t freed, engine_.GarbageCollect());
  if (compact) {
    FLASHRIG_TRY_ASSIGN(const size_t compacted, engine_.Compact(engine_.region_bytes() / 2));
    freed += compacted;
  }
  return freed;
}

size_t KvStore::ListByHash(std::span<HashedKey> out) const {
  // Keep the smallest out.size() keys: insertion into a sorted prefix, no heap.
  size_t total = 0;
  size_t filled = 0;
  engine_.ForEachKey([&](const IndexSlot& slot) {
    if (slot.key == format::kSuperKey) return;
    ++total;
    if (out.empty()) return;
    if (filled == out.size()) {
      if (!(slot.key < out[filled - 1])) return;
      --filled;
    }
    auto pos =
        std::upper_bound(out.begin(), out.begin() + static_cast<ptrdiff_t>(filled), slot.key);
    std::move_backward(pos, out.begin() + static_cast<ptrdiff_t>(filled),
                       out.begin() + static_cast<ptrdiff_t>(filled) + 1);
    *pos = slot.key;
    ++filled;
  });
  return total;
}

}  // namespace flashrig::kv
