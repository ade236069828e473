// RunChild: fork + execve with a prepared environment, an exec-error pipe, and a
// sigtimedwait loop that forwards signals and reaps the child.
#include "flashrig/hil/emulate/child_runner.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

extern char** environ;

namespace flashrig::hil {
namespace {

sigset_t Forwarded() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&set, s);
  return set;
}

// argv[0] as execve wants it: itself if it names a path, else the first executable in
// PATH. "" if there is none.
std::string Resolve(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = dirs.find(':', start);
    const std::string dir =
        dirs.substr(start, colon == std::string::npos ? colon : colon - start);
    // Built by appends: assigning "." to `dir` trips GCC 12's false -Wrestrict at -O3.
    std::string candidate = dir.empty() ? std::string(".") : dir;
    candidate += '/';
    candidate += name;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

std::vector<std::string> Environment(const ChildSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& kv : spec.set_env) replaced = replaced || kv.first == key;
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [key, value] : spec.set_env) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

double Seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; }

// Waits for the child, forwarding signals. Returns its wait status.
int WaitForwarding(pid_t pid, ChildOutcome* outcome) {
  const sigset_t set = Forwarded();
  int received = 0;
  for (;;) {
    int status = 0;
    rusage usage{};
    const pid_t done = wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) {
      outcome->user_seconds = Seconds(usage.ru_utime);
      outcome->system_seconds = Seconds(usage.ru_stime);
      return status;
    }
    if (done < 0 && errno != EINTR) return 0;
    siginfo_t info{};
    const timespec tick{.tv_sec = 0, .tv_nsec = 200'000'000};
    const int sig = sigtimedwait(&set, &info, &tick);
    if (sig <= 0 || sig == SIGCHLD) continue;
    ++received;
    if (received >= 3) {
      kill(pid, SIGKILL);
    } else if (!(sig == SIGINT && info.si_code == SI_KERNEL)) {
      kill(pid, sig);
      ++outcome->forwarded_signals;
    }
  }
}

}  // namespace

ForwardedSignals::ForwardedSignals() {
  const sigset_t set = Forwarded();
  pthread_sigmask(SIG_BLOCK, &set, &original_);
}

ForwardedSignals::~ForwardedSignals() {
  // Drop what is still pending (a late SIGCHLD) before unblocking, so nothing fires.
  const sigset_t set = Forwarded();
  siginfo_t info{};
  const timespec zero{};
  while (sigtimedwait(&set, &info, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &original_, nullptr);
}

ChildOutcome RunChild(const ChildSpec& spec, const ForwardedSignals& signals) {
  ChildOutcome outcome;
  if (spec.argv.empty()) {
    outcome.error = "no command";
    outcome.exit_code = 127;
    return outcome;
  }
  const std::string path = Resolve(spec.argv[0]);
  if (path.empty()) {
    outcome.error = spec.argv[0] + ": command not found";
    outcome.exit_code = 127;
    return outcome;
  }
  std::vector<std::string> args = spec.argv;
  std::vector<std::string> env = Environment(spec);
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    outcome.error = std::string("pipe: ") + std::strerror(errno);
    outcome.exit_code = 126;
    return outcome;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to execve: other threads exist.
    close(fds[0]);
    pthread_sigmask(SIG_SETMASK, &signals.original_mask(), nullptr);
    if (spec.fine_timer_slack) prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    execve(path.c_str(), argv.data(), envp.data());
    const int err = errno;
    (void)!write(fds[1], &err, sizeof err);
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    outcome.error = std::string("fork: ") + std::strerror(errno);
    outcome.exit_code = 126;
    return outcome;
  }
  int exec_errno = 0;
  ssize_t got = 0;
  do {
    got = read(fds[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  close(fds[0]);
  const int status = WaitForwarding(pid, &outcome);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    outcome.error = path + ": " + std::strerror(exec_errno);
    outcome.exit_code = exec_errno == ENOENT ? 127 : 126;
    return outcome;
  }
  outcome.started = true;
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.term_signal = WTERMSIG(status);
    outcome.exit_code = 128 + outcome.term_signal;
  }
  return outcome;
}

}  // namespace flashrig::hil
