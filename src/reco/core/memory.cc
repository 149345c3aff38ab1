#include "reco/core/memory.h"

#include <sys/mman.h>

#include <cstdint>

namespace reco {

void advise_huge_pages(void* data, size_t bytes) noexcept {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = 2u << 20;
  if (data == nullptr || bytes < 2 * kHuge) return;
  // Only whole 2 MiB pages inside the buffer: never touch memory outside it.
  const auto begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace reco
