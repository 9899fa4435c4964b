//===- BufferCache.cpp - Large buffers of JIT-compiled code, reused -------===//

#include "hymir/Target/CPU/BufferCache.h"

#include <cstdint>
#include <cstdlib>

#include <malloc.h>

using namespace hymir::cpu;

BufferCache::BufferCache(size_t capacityBytes, size_t maxBlocks,
                         AlignedAllocFn alignedAlloc)
    : capacityBytes(capacityBytes), maxBlocks(maxBlocks),
      alignedAlloc(alignedAlloc) {}

BufferCache::~BufferCache() { clear(); }

void *BufferCache::allocate(size_t alignment, size_t bytes) {
  if (bytes >= kMinBytes) {
    std::lock_guard<std::mutex> lock(mutex);
    Block *best = nullptr;
    for (Block &block : blocks) {
      bool fits = block.usable >= bytes && block.usable - bytes <= bytes / 4 &&
                  reinterpret_cast<uintptr_t>(block.pointer) % alignment == 0;
      if (fits && (!best || block.usable < best->usable))
        best = &block;
    }
    if (best) {
      void *p = best->pointer;
      keptTotal -= best->usable;
      blocks.erase(blocks.begin() + (best - blocks.data()));
      return p;
    }
  }
  // aligned_alloc wants a size that is a multiple of the alignment.
  size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (!rounded)
    rounded = alignment;
  void *p = alignedAlloc(alignment, rounded);
  if (!p && keptBlocks() > 0) {
    // Out of memory (or address space under a limit): what is kept goes
    // back first.
    clear();
    p = alignedAlloc(alignment, rounded);
  }
  return p;
}

void BufferCache::release(void *p) {
  if (!p)
    return;
  size_t usable = malloc_usable_size(p);
  if (usable < kMinBytes || usable > capacityBytes) {
    std::free(p);
    return;
  }
  std::vector<void *> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex);
    blocks.push_back({p, usable});
    keptTotal += usable;
    size_t drop = 0;
    while (keptTotal > capacityBytes || blocks.size() - drop > maxBlocks) {
      evicted.push_back(blocks[drop].pointer);
      keptTotal -= blocks[drop].usable;
      ++drop;
    }
    blocks.erase(blocks.begin(), blocks.begin() + drop);
  }
  // Unmapping is slow; not under the lock.
  for (void *q : evicted)
    std::free(q);
}

void BufferCache::clear() {
  std::vector<Block> kept;
  {
    std::lock_guard<std::mutex> lock(mutex);
    kept.swap(blocks);
    keptTotal = 0;
  }
  for (Block &block : kept)
    std::free(block.pointer);
}

size_t BufferCache::keptBytes() const {
  std::lock_guard<std::mutex> lock(mutex);
  return keptTotal;
}

size_t BufferCache::keptBlocks() const {
  std::lock_guard<std::mutex> lock(mutex);
  return blocks.size();
}

BufferCache &hymir::cpu::compiledCodeBuffers() {
  // Never destroyed: compiled code may still run while statics are torn down.
  static BufferCache *cache = [] {
    size_t mib = 1024;
    if (const char *env = std::getenv("HYMIR_JIT_BUFFER_CACHE_MIB")) {
      char *end = nullptr;
      unsigned long long value = std::strtoull(env, &end, 10);
      if (end != env && *end == '\0')
        mib = value;
    }
    return new BufferCache(mib << 20, 64);
  }();
  return *cache;
}
