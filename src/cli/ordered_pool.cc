#include "src/cli/ordered_pool.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "warden/status.h"

namespace warden {
namespace {

class Pool {
 public:
  Pool(size_t count, const std::function<void(size_t)>& work) : work_(work), done_(count, 0) {}

  // Takes items in increasing order until none are left or the pool stops.
  void WorkerLoop() {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_ || next_ >= done_.size()) return;
        i = next_++;
      }
      try {
        work_(i);
      } catch (...) {
        Stop(std::current_exception());
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        done_[i] = 1;
      }
      // notify_all: the emitter is the only waiter, but a notify_one could wake nobody
      // useful if more waiters are ever added.
      cv_.notify_all();
    }
  }

  // Blocks until item i is done; false if the pool stopped first.
  bool WaitFor(size_t i) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_[i] != 0 || stop_; });
    return !stop_;
  }

  void Stop(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (error && !error_) error_ = error;
      stop_ = true;
    }
    cv_.notify_all();
  }

  std::exception_ptr error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  const std::function<void(size_t)>& work_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<char> done_;    // guarded by mu_
  size_t next_ = 0;           // guarded by mu_
  bool stop_ = false;         // guarded by mu_
  std::exception_ptr error_;  // guarded by mu_
};

}  // namespace

void RunOrdered(size_t count, int jobs, const std::function<void(size_t)>& work,
                const std::function<void(size_t)>& emit) {
  WARDEN_CHECK(jobs >= 1);
  if (jobs == 1 || count <= 1) {
    for (size_t i = 0; i < count; ++i) {
      work(i);
      emit(i);
    }
    return;
  }
  Pool pool(count, work);
  std::vector<std::thread> workers;
  const size_t n = std::min(count, static_cast<size_t>(jobs));
  workers.reserve(n);
  for (size_t t = 0; t < n; ++t) workers.emplace_back([&pool] { pool.WorkerLoop(); });

  std::exception_ptr emit_error;
  for (size_t i = 0; i < count; ++i) {
    if (!pool.WaitFor(i)) break;
    try {
      emit(i);
    } catch (...) {
      emit_error = std::current_exception();
      pool.Stop(emit_error);
      break;
    }
  }
  for (auto& w : workers) w.join();
  if (std::exception_ptr e = pool.error()) std::rethrow_exception(e);
}

}  // namespace warden
