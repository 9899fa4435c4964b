//===- BufferCacheTest.cpp - The JIT's cache of large buffers --------------===//
//
// What hymir::cpu::BufferCache keeps, what it hands back, and that it stays
// within its capacity; the JIT side (results computed into reused blocks) is
// CpuJitTest's ResultBuffersAreReusedAcrossCalls.
//
//===----------------------------------------------------------------------===//

#include "hymir/Target/CPU/BufferCache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

using hymir::cpu::BufferCache;

namespace {

constexpr size_t MiB = size_t(1) << 20;

bool aligned(void *p, size_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

TEST(BufferCacheTest, LargeBlocksComeBackSmallOnesDoNot) {
  BufferCache cache(64 * MiB, 8);
  void *small = cache.allocate(64, 4096);
  ASSERT_NE(small, nullptr);
  EXPECT_TRUE(aligned(small, 64));
  cache.release(small);
  EXPECT_EQ(cache.keptBlocks(), 0u);

  void *large = cache.allocate(64, 8 * MiB);
  ASSERT_NE(large, nullptr);
  EXPECT_TRUE(aligned(large, 64));
  std::memset(large, 0x5a, 8 * MiB); // every byte is the caller's
  cache.release(large);
  EXPECT_EQ(cache.keptBlocks(), 1u);
  EXPECT_GE(cache.keptBytes(), 8 * MiB);

  // Same size, or a little less: the kept block.
  void *again = cache.allocate(64, 8 * MiB - 4096);
  EXPECT_EQ(again, large);
  EXPECT_EQ(cache.keptBlocks(), 0u);
  cache.release(again);
}

TEST(BufferCacheTest, SizesTooFarOffGetTheirOwnBlock) {
  BufferCache cache(64 * MiB, 8);
  void *block = cache.allocate(64, 8 * MiB);
  ASSERT_NE(block, nullptr);
  cache.release(block);
  // Larger than the block, or so much smaller that it would waste over a
  // quarter: a new allocation, and the kept block stays.
  void *larger = cache.allocate(64, 9 * MiB);
  void *smaller = cache.allocate(64, 4 * MiB);
  EXPECT_NE(larger, block);
  EXPECT_NE(smaller, block);
  EXPECT_EQ(cache.keptBlocks(), 1u);
  cache.release(larger);
  cache.release(smaller);
  // The best fit among several: the 8 MiB one for 7.5 MiB.
  EXPECT_EQ(cache.keptBlocks(), 3u);
  void *fit = cache.allocate(64, 7 * MiB + MiB / 2);
  EXPECT_EQ(fit, block);
  cache.release(fit);
}

TEST(BufferCacheTest, AlignmentIsKept) {
  BufferCache cache(64 * MiB, 8);
  void *block = cache.allocate(64, 2 * MiB);
  ASSERT_NE(block, nullptr);
  cache.release(block);
  // A kept block is handed out only if it meets the alignment asked for.
  size_t big = size_t(1) << 22;
  void *p = cache.allocate(big, 2 * MiB);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned(p, big));
  EXPECT_EQ(p == block, aligned(block, big));
  cache.release(p);
}

TEST(BufferCacheTest, CapacityAndBlockCountAreBounds) {
  BufferCache bytesBound(5 * MiB, 8);
  for (int i = 0; i < 4; ++i)
    bytesBound.release(bytesBound.allocate(64, 2 * MiB));
  // Each allocate above took back the block released before it: one is kept.
  EXPECT_EQ(bytesBound.keptBlocks(), 1u);
  void *a = bytesBound.allocate(64, 2 * MiB);
  void *b = bytesBound.allocate(64, 2 * MiB);
  void *c = bytesBound.allocate(64, 2 * MiB);
  bytesBound.release(a);
  bytesBound.release(b);
  bytesBound.release(c);
  EXPECT_LE(bytesBound.keptBytes(), 5 * MiB);
  EXPECT_EQ(bytesBound.keptBlocks(), 2u); // a, the oldest, was freed
  void *d = bytesBound.allocate(64, 2 * MiB);
  EXPECT_TRUE(d == b || d == c);
  bytesBound.release(d);

  BufferCache countBound(1024 * MiB, 2);
  std::vector<void *> blocks;
  for (int i = 0; i < 5; ++i)
    blocks.push_back(countBound.allocate(64, MiB + i * 4096));
  for (void *p : blocks)
    countBound.release(p);
  EXPECT_EQ(countBound.keptBlocks(), 2u);
  countBound.clear();
  EXPECT_EQ(countBound.keptBlocks(), 0u);
  EXPECT_EQ(countBound.keptBytes(), 0u);
}

// When the C library has no memory, the kept blocks go back and the
// allocation is tried once more.
int failuresLeft = 0;
void *failingAlignedAlloc(size_t alignment, size_t bytes) {
  if (failuresLeft > 0) {
    --failuresLeft;
    return nullptr;
  }
  return std::aligned_alloc(alignment, bytes);
}

TEST(BufferCacheTest, OutOfMemoryFreesWhatIsKept) {
  BufferCache cache(64 * MiB, 8, &failingAlignedAlloc);
  cache.release(cache.allocate(64, 2 * MiB));
  ASSERT_EQ(cache.keptBlocks(), 1u);
  failuresLeft = 1; // the first try fails, the retry succeeds
  void *p = cache.allocate(64, 16 * MiB);
  EXPECT_NE(p, nullptr);
  EXPECT_EQ(cache.keptBlocks(), 0u);
  cache.release(p); // kept
  failuresLeft = 2;  // both tries fail: null, and nothing is kept any more
  EXPECT_EQ(cache.allocate(64, 32 * MiB), nullptr);
  EXPECT_EQ(cache.keptBlocks(), 0u);
  EXPECT_EQ(failuresLeft, 0);
}

// Compiled code allocates and frees from OpenMP threads at once (the
// sanitizer build runs this under ASan/UBSan).
TEST(BufferCacheTest, ThreadsShareIt) {
  BufferCache cache(32 * MiB, 16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 50; ++i) {
        size_t bytes = MiB + size_t((t + i) % 3) * MiB;
        auto *p = static_cast<unsigned char *>(cache.allocate(64, bytes));
        ASSERT_NE(p, nullptr);
        p[0] = p[bytes - 1] = static_cast<unsigned char>(t);
        cache.release(p);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_LE(cache.keptBytes(), 32 * MiB);
  EXPECT_LE(cache.keptBlocks(), 16u);
}

} // namespace
