// Runs a call that may crash (the onnx library on a model the checks could not rule out) in a
// forked child: the child inherits the model copy for free (copy-on-write), gets an address-space
// limit and a deadline, and sends its result back through a pipe. A signal, timeout or memory
// exhaustion in the child becomes an error message; the studio and the CLI stay up.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "graft/guard.h"

namespace graft {

namespace {

std::atomic<bool> gInChild{false};

std::uint64_t currentAddressSpace() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t pages = 0;
  if (!(in >> pages)) return 0;
  return pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

bool writeAll(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// The child's reply: one status byte, then the payload (result bytes or an error message).
enum : char { kOk = 'o', kOutOfMemory = 'm', kException = 'e' };

Result<std::string> runHere(const std::function<std::string()>& fn, const IsolationOptions& options) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::Unsupported, options.what + " ran out of memory on this model");
  } catch (const std::exception& e) {
    return Status(ErrorCode::Internal, options.what + " failed: " + e.what());
  } catch (...) {
    return Status(ErrorCode::Internal, options.what + " failed with an unknown error");
  }
}

}  // namespace

bool inIsolatedChild() { return gInChild.load(std::memory_order_relaxed); }

Result<std::string> runIsolated(const std::function<std::string()>& fn, const IsolationOptions& options) {
  if (const char* env = std::getenv("GRAFT_ISOLATE"); (env && std::strcmp(env, "0") == 0) || inIsolatedChild())
    return runHere(fn, options);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return runHere(fn, options);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return runHere(fn, options);
  }
  if (pid == 0) {
    ::close(fds[0]);
    gInChild = true;
    // The parent's crash handlers (Qt Test's, a studio's) must not run here: the child has to die
    // by the signal so the parent can say which one it was.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS}) ::signal(sig, SIG_DFL);
    sigset_t crashes;
    sigemptyset(&crashes);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS}) sigaddset(&crashes, sig);
    ::pthread_sigmask(SIG_UNBLOCK, &crashes, nullptr);
    // No core files for the crashes this is here to contain.
    struct rlimit core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &core);
    const std::uint64_t extra = options.extraAddressSpace ? options.extraAddressSpace : (std::uint64_t(4) << 30);
    struct rlimit as {};
    if (::getrlimit(RLIMIT_AS, &as) == 0) {
      const std::uint64_t want = currentAddressSpace() + extra;
      if (as.rlim_cur == RLIM_INFINITY || want < as.rlim_cur) {
        as.rlim_cur = want;
        ::setrlimit(RLIMIT_AS, &as);
      }
    }
    std::string reply;
    try {
      std::string out = fn();
      reply.reserve(out.size() + 1);
      reply.push_back(kOk);
      reply += out;
    } catch (const std::bad_alloc&) {
      reply.assign(1, kOutOfMemory);
    } catch (const std::exception& e) {
      reply = std::string(1, kException) + e.what();
    } catch (...) {
      reply = std::string(1, kException) + "unknown error";
    }
    bool ok = writeAll(fds[1], reply.data(), reply.size());
    ::_exit(ok ? 0 : 3);
  }
  ::close(fds[1]);
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.timeoutSeconds);
  bool timedOut = false, cancelled = false;
  char buf[1 << 16];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    if (options.cancelled && options.cancelled()) {
      cancelled = true;
      break;
    }
    struct pollfd p = {fds[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200)));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timedOut || cancelled) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (cancelled) return Status(ErrorCode::Cancelled, options.what + " was cancelled");
  if (timedOut) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.0f", options.timeoutSeconds);
    return Status(ErrorCode::Unsupported,
                  options.what + " did not finish within " + secs + " s on this model and was stopped");
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    std::string what = name ? std::string("SIG") + name : "signal " + std::to_string(sig);
    if (sig == SIGKILL)
      return Status(ErrorCode::Unsupported, options.what + " was killed (" + what +
                                                ", most likely out of memory) on this model; this process is unharmed");
    return Status(ErrorCode::Unsupported, options.what + " crashed (" + what +
                                              ") on this model; the crash was contained and nothing else is affected");
  }
  if (reply.empty())
    return Status(ErrorCode::Internal, options.what + " ended without an answer (exit status " +
                                           std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  switch (reply[0]) {
    case kOk:
      return reply.substr(1);
    case kOutOfMemory:
      return Status(ErrorCode::Unsupported, options.what + " ran out of memory on this model (limit " +
                                                std::to_string((options.extraAddressSpace ? options.extraAddressSpace
                                                                                          : (std::uint64_t(4) << 30)) >>
                                                               20) +
                                                " MiB)");
    default:
      return Status(ErrorCode::Internal, options.what + " failed: " + reply.substr(1));
  }
}

}  // namespace graft
