// A small pool for the kernels' parallel loops. The caller works too and never waits for a
// helper that has not started: on a busy machine (CI, a desktop compiling) a descheduled
// helper then costs nothing, where an OpenMP team would stall every region's barrier.
// Helpers spin for a short while after each job before they sleep: a run hands out a new loop
// every few tens of microseconds, and waking a sleeping thread (a futex and, in a virtual
// machine, an interrupt between cores) took about as long as a whole MatMul block, so the
// caller had finished most blocks alone before its helper woke (a BERT-style encoder ran with
// one core's CPU time on two threads).
#include <atomic>
#include <cstdlib>
#include <string_view>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "eval/kernel.h"
#include "eval/simd.h"

namespace graft::eval {

namespace {

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// How long a helper (and a caller waiting for a helper's last block) spins before sleeping.
constexpr std::chrono::microseconds kSpin{300};

// Spins until pred() holds or kSpin has passed; true when pred() held.
template <typename Pred>
bool spinUntil(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + kSpin;
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (pred()) return true;
      cpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return pred();
  }
}

struct Job {
  std::function<void(std::int64_t, std::int64_t)> fn;
  std::int64_t count = 0, grain = 1, chunks = 0;
  std::atomic<std::int64_t> next{0}, done{0};
  std::mutex m;
  std::condition_variable cv;
  std::exception_ptr error;

  void work() {
    for (std::int64_t c; (c = next.fetch_add(1)) < chunks;) {
      try {
        fn(c * grain, std::min(count, (c + 1) * grain));
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!error) error = std::current_exception();
      }
      if (done.fetch_add(1) + 1 == chunks) {
        std::lock_guard<std::mutex> lock(m);
        cv.notify_all();
      }
    }
  }
};

thread_local bool tInParallel = false;

class Pool {
 public:
  void ensureWorkers(int helpers) {
    std::lock_guard<std::mutex> lock(m_);
    while (static_cast<int>(workers_.size()) < helpers) workers_.emplace_back([this] { loop(); }).detach();
  }
  void setActive(int helpers) { active_.store(helpers); }
  int active() const { return active_.load(); }

  void run(const std::shared_ptr<Job>& job) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = job;
      generation_.fetch_add(1, std::memory_order_release);
      wake = sleeping_ > 0;
    }
    if (wake) cv_.notify_all();
    tInParallel = true;
    job->work();
    tInParallel = false;
    // A helper still finishing its block: usually a few microseconds, not worth a sleep.
    if (!spinUntil([&] { return job->done.load(std::memory_order_acquire) == job->chunks; })) {
      std::unique_lock<std::mutex> lock(job->m);
      job->cv.wait(lock, [&] { return job->done.load() == job->chunks; });
    }
    if (job->error) std::rethrow_exception(job->error);
  }

 private:
  void loop() {
    tInParallel = true;
    std::uint64_t seen = 0;
    while (true) {
      std::shared_ptr<Job> job;
      spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lock(m_);
        if (generation_.load() == seen) {
          ++sleeping_;
          cv_.wait(lock, [&] { return generation_.load() != seen; });
          --sleeping_;
        }
        seen = generation_.load();
        job = job_;
      }
      if (job) job->work();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::shared_ptr<Job> job_;
  std::atomic<std::uint64_t> generation_{0};
  int sleeping_ = 0;  // helpers waiting on cv_ (guarded by m_)
  std::atomic<int> active_{0};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: helpers may still sleep on it at exit
  return *p;
}

}  // namespace

void setThreads(int threads) {
  int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  pool().ensureWorkers(n - 1);
  pool().setActive(n - 1);
}

int threadCount() { return pool().active() + 1; }

void parallelFor(std::int64_t count, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (count <= 0) return;
  grain = std::max<std::int64_t>(1, grain);
  if (tInParallel || pool().active() == 0 || count <= grain) {
    fn(0, count);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = fn;
  job->count = count;
  job->grain = grain;
  job->chunks = (count + grain - 1) / grain;
  pool().run(job);
}

bool genericSimdRequested() {
  static const bool generic = [] {
    const char* s = std::getenv("GRAFT_EVAL_SIMD");
    return s && std::string_view(s) == "generic";
  }();
  return generic;
}

}  // namespace graft::eval
