// Column sums over rows, computed in parallel and the same bit for bit on every run.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "row_pool.h"

namespace slipkit {

// Rows are cut into this many parts whatever the thread count, so that sums do not depend on
// the machine either.
constexpr int64_t kSumParts = 16;

// Runs fn(begin, end, partial) over fixed contiguous parts of [0, rows) in parallel, each part
// adding its rows' contributions into its own partial [width]; returns the partials' total,
// added in part order. Why not one shared sum under a lock: the order in which threads finish
// would change the float rounding from run to run, and training runs must be reproducible.
template <typename Fn>
Eigen::ArrayXf forRowsSummingColumns(int64_t rows, int64_t width, Fn&& fn) {
  const int64_t parts = std::max<int64_t>(1, std::min(kSumParts, rows));
  std::vector<Eigen::ArrayXf> partials(parts, Eigen::ArrayXf::Zero(width));
  RowPool::instance().forRows(parts, (rows + parts - 1) / parts * width, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) fn(rows * p / parts, rows * (p + 1) / parts, partials[p]);
  });
  Eigen::ArrayXf total = Eigen::ArrayXf::Zero(width);
  for (const Eigen::ArrayXf& partial : partials) total += partial;
  return total;
}

}  // namespace slipkit
