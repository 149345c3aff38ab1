// Memory hints for large, long-lived buffers (column builders, embedding tables).
#pragma once

#include <cstddef>

namespace reco {

/// Asks the kernel to back [data, data + bytes) with transparent huge pages where the system
/// allows it (THP "madvise" mode, the Debian default). Large buffers filled sequentially then
/// take ~500x fewer page faults. A hint only: silently does nothing for small ranges or when
/// the kernel refuses.
void advise_huge_pages(void* data, size_t bytes) noexcept;

}  // namespace reco
