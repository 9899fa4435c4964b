//===- BufferCache.h - Large buffers of JIT-compiled code, reused -*- C++ -*-===//
//
// glibc serves a block above its mmap threshold (at most 32 MiB) with fresh
// pages from mmap and unmaps it on free. A decode step's result states are
// such blocks (64 MiB at B = 64, H = 16, K = V = 128, f32), so every call
// page-faulted them in and the kernel zeroed them: one more write of the whole
// state, which cost as much as the step itself at 2 threads
// (docs/decode-cpu.md). The JIT's compiled code allocates and frees through
// this cache instead: a freed block of at least `kMinBytes` is kept, up to a
// capacity, and a later allocation of about its size gets it back, its pages
// already mapped. Smaller blocks go straight to the C library, whose heap
// reuses them anyway.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TARGET_CPU_BUFFERCACHE_H
#define HYMIR_TARGET_CPU_BUFFERCACHE_H

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace hymir::cpu {

class BufferCache {
public:
  /// Blocks below this size are not kept.
  static constexpr size_t kMinBytes = size_t(1) << 20;

  /// The C library's allocator (a test may pass one that fails).
  using AlignedAllocFn = void *(*)(size_t alignment, size_t bytes);

  /// Keeps at most `capacityBytes` of freed blocks (the oldest are freed
  /// first when a new one would exceed it) and at most `maxBlocks` of them.
  BufferCache(size_t capacityBytes, size_t maxBlocks,
              AlignedAllocFn alignedAlloc = &std::aligned_alloc);
  ~BufferCache();
  BufferCache(const BufferCache &) = delete;
  BufferCache &operator=(const BufferCache &) = delete;

  /// `aligned_alloc(alignment, bytes)`, or a kept block whose start is
  /// aligned to `alignment` and whose usable size is `bytes` to `bytes` plus
  /// a quarter (the smallest such). Its contents are undefined, as
  /// aligned_alloc's are. When the C library has no memory, the kept blocks
  /// are freed and the allocation tried once more; null if it fails again.
  void *allocate(size_t alignment, size_t bytes);

  /// `free(p)`, or keeps `p` (any block of the C library's allocator) for a
  /// later `allocate`. Null is ignored. Thread-safe, as `allocate` is.
  void release(void *p);

  /// Frees every kept block.
  void clear();

  /// Bytes (usable sizes) and number of the blocks kept now.
  size_t keptBytes() const;
  size_t keptBlocks() const;

private:
  struct Block {
    void *pointer;
    size_t usable;
  };
  const size_t capacityBytes;
  const size_t maxBlocks;
  const AlignedAllocFn alignedAlloc;
  mutable std::mutex mutex;
  std::vector<Block> blocks; // oldest first
  size_t keptTotal = 0; // the usable sizes of `blocks`
};

/// The cache that JIT-compiled code allocates from: 64 blocks and 1 GiB, or
/// as many MiB as the environment variable HYMIR_JIT_BUFFER_CACHE_MIB says
/// when the process first uses it (0 keeps nothing: every block goes back to
/// the C library, as before the cache).
BufferCache &compiledCodeBuffers();

} // namespace hymir::cpu

#endif // HYMIR_TARGET_CPU_BUFFERCACHE_H
