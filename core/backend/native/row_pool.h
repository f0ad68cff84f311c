// A small persistent thread pool for row-parallel loops in slipkit's fused ops.
//
// TensorFlow's C API does not expose its intra-op thread pool to kernels; its threads are idle
// while an eager op runs, so the ops split their rows over this pool instead.
#pragma once

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace slipkit {

class RowPool {
 public:
  static RowPool& instance() {
    static RowPool pool;
    return pool;
  }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(begin, end) over [0, rows) in contiguous chunks, a few per thread, which the caller
  // and the workers take in turn: a thread slowed by other load on the machine takes fewer
  // chunks instead of holding up the rest. Small jobs (rows·width below a pass of ~64 KiB)
  // run inline.
  void forRows(int64_t rows, int64_t width, const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t chunks = std::min<int64_t>(int64_t{kChunksPerThread} * threads(), rows);
    if (threads() == 1 || chunks <= 1 || rows * width < (1 << 14)) {
      fn(0, rows);
      return;
    }
    std::unique_lock<std::mutex> submit(submitMutex_);  // one job at a time
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      rows_ = rows;
      chunks_ = chunks;
      next_.store(0);
      pending_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    wake_.notify_all();
    runChunks(fn, rows, chunks);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  static constexpr int kChunksPerThread = 4;

  RowPool() {
    int n = configuredThreads();
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { work(); });
  }

  ~RowPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  // SLIPKIT_OP_THREADS, else the CPUs this process may run on (as TensorFlow's intra-op pool).
  static int configuredThreads() {
    if (const char* env = std::getenv("SLIPKIT_OP_THREADS")) {
      int n = std::atoi(env);
      if (n >= 1) return std::min(n, 256);
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
  }

  // Takes chunks until none is left.
  void runChunks(const std::function<void(int64_t, int64_t)>& fn, int64_t rows, int64_t chunks) {
    for (int64_t c = next_.fetch_add(1); c < chunks; c = next_.fetch_add(1)) fn(rows * c / chunks, rows * (c + 1) / chunks);
  }

  void work() {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t, int64_t)>* job;
      int64_t rows, chunks;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_) return;
        job = job_;
        rows = rows_;
        chunks = chunks_;
      }
      if (job) runChunks(*job, rows, chunks);
      std::lock_guard<std::mutex> lock(mutex_);
      if (job && --pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex submitMutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t rows_ = 0;
  int64_t chunks_ = 0;
  std::atomic<int64_t> next_{0};
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace slipkit
