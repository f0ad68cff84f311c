// A small persistent thread pool for row-parallel loops in slipkit's fused ops.
//
// TensorFlow's C API does not expose its intra-op thread pool to kernels; its threads are idle
// while an eager op runs, so the ops split their rows over this pool instead.
#pragma once

#include <sched.h>

#include <algorithm>
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

  // Runs fn(begin, end) over [0, rows) split into one contiguous range per thread; the
  // caller runs the first range. Small jobs (rows·width below a pass of ~64 KiB) run inline.
  void forRows(int64_t rows, int64_t width, const std::function<void(int64_t, int64_t)>& fn) {
    const int parts = static_cast<int>(std::min<int64_t>(threads(), rows));
    if (parts <= 1 || rows * width < (1 << 14)) {
      fn(0, rows);
      return;
    }
    std::unique_lock<std::mutex> submit(submitMutex_);  // one job at a time
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      rows_ = rows;
      parts_ = parts;
      pending_ = parts - 1;
      ++generation_;
    }
    wake_.notify_all();
    fn(0, rangeEnd(0, rows, parts));
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  RowPool() {
    int n = configuredThreads();
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { work(i); });
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

  static int64_t rangeEnd(int part, int64_t rows, int parts) { return rows * (part + 1) / parts; }

  void work(int index) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t, int64_t)>* job;
      int64_t rows;
      int parts;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_) return;
        job = job_;
        rows = rows_;
        parts = parts_;
      }
      if (job && index < parts) {
        (*job)(rangeEnd(index - 1, rows, parts), rangeEnd(index, rows, parts));
        std::lock_guard<std::mutex> lock(mutex_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex submitMutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t rows_ = 0;
  int parts_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace slipkit
