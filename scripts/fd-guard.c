// fd-guard: an LD_PRELOAD library that catches a process closing a file descriptor it no longer
// owns (a double close), which scripts/test.sh loads into the test processes.
//
// A double close is harmless only while the number stays free; once another part of the process
// has been given that number (an SQLite database, a timerfd, an eventfd, an epoll), the second
// close takes that part's file away, and it fails much later, far from the cause ("disk I/O
// error", timerfd_settime EINVAL, lost wake-ups). Here `close(fd)` does not free the number: it
// atomically replaces the descriptor by a tombstone (dup3 of /dev/null, which closes the file
// itself as close would) and keeps the closing stack. The number stays taken for the next
// QUARANTINE closes (fewer with a low RLIMIT_NOFILE), so a second close finds the tombstone:
// both stacks go to FD_GUARD_LOG.PID and the call fails with EBADF, as a double close of a free
// number does. Then the tombstone is really closed.
//
// Only programs whose name starts with "routines" are guarded (the test runner, the daemon and
// the CLI it starts); other programs the tests start (Python, Mosquitto) pass through. A forked
// child (before exec) is not guarded either. Closes inside the C library itself (fclose,
// closedir) are not seen.
//
// Build: clang -O1 -g -shared -fPIC -o fd-guard.so scripts/fd-guard.c -ldl -lpthread
// Use:   FD_GUARD_LOG=/tmp/x/fd LD_PRELOAD=$PWD/fd-guard.so PROGRAM; then any /tmp/x/fd.* is a finding.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { MAX_FD = 65536, DEPTH = 48, QUARANTINE = 256 };

struct closing {
    void *stack[DEPTH];
    int depth;
    char thread[16];
    int tombstone;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int (*real_close)(int);
static int initialized, guarded;
static struct closing *closings;
static int ring[QUARANTINE], ring_end, ring_count;
static int null_fd = -1, log_fd = -1, log_pid, high_fd;
static char log_prefix[256];

static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&lock); }
static void after_fork_child(void) {
    __atomic_store_n(&guarded, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lock);
}

// The real close is looked up when the library loads, not at a first close that may come in an
// awkward place (a child spawned by a crash reporter).
__attribute__((constructor)) static void look_up_close(void) {
    real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

// With the lock held.
static void set_up(void);
static void initialize(void) {
    if (initialized) return;
    if (!real_close) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    set_up();
    __atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
}

static void set_up(void) {
    const char *prefix = getenv("FD_GUARD_LOG");
    if (!prefix || strncmp(program_invocation_short_name, "routines", 8) != 0) return;
    closings = calloc(MAX_FD, sizeof *closings);
    if (!closings) return;
    snprintf(log_prefix, sizeof log_prefix, "%s", prefix);
    // The guard's own descriptors sit high, out of the way of the numbers the program uses.
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    high_fd = limit.rlim_cur > 4096 ? 4000 : (int)limit.rlim_cur - 8;
    int opened = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
    if (opened < 0) return;
    null_fd = fcntl(opened, F_DUPFD_CLOEXEC, high_fd);
    syscall(SYS_close, opened);
    if (null_fd < 0) return;
    void *warm[2];
    backtrace(warm, 2);  // loads libgcc_s now, not inside a later close
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    __atomic_store_n(&guarded, 1, __ATOMIC_RELEASE);
}

static void report(const char *what, int fd, void *const *stack, int depth, const char *thread) {
    if (log_pid != getpid()) {
        char path[300];
        snprintf(path, sizeof path, "%s.%d", log_prefix, getpid());
        int opened = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (opened < 0) return;
        log_fd = fcntl(opened, F_DUPFD_CLOEXEC, high_fd + 1);
        syscall(SYS_close, opened);
        log_pid = getpid();
    }
    char line[400];
    int length = snprintf(line, sizeof line, "%s fd %d on thread '%s' of %s (pid %d):\n", what, fd, thread,
                          program_invocation_short_name, getpid());
    if (write(log_fd, line, length) < 0) return;
    backtrace_symbols_fd(stack, depth, log_fd);
    if (write(log_fd, "\n", 1) < 0) return;
}

// Really closes the oldest tombstones until fewer than the quarantine's size remain. With the lock held.
static void release_tombstones(int keep) {
    while (ring_count > 0 && ring_count >= keep) {
        int index = (ring_end - ring_count + QUARANTINE) % QUARANTINE;
        int fd = ring[index];
        ring[index] = -1;
        ring_count -= 1;
        if (fd >= 0) {
            closings[fd].tombstone = 0;
            syscall(SYS_close, fd);
        }
    }
}

int close(int fd) {
    // Programs that are not guarded close without the lock (a close may block: a lingering socket).
    if (__atomic_load_n(&initialized, __ATOMIC_ACQUIRE) && !__atomic_load_n(&guarded, __ATOMIC_ACQUIRE)) {
        return real_close(fd);
    }
    pthread_mutex_lock(&lock);
    initialize();
    if (!guarded || fd <= 2 || fd >= MAX_FD || fd == null_fd || fd == log_fd) {
        pthread_mutex_unlock(&lock);
        return real_close(fd);
    }
    struct closing now;
    now.depth = backtrace(now.stack, DEPTH);
    memset(now.thread, 0, sizeof now.thread);
    prctl(PR_GET_NAME, now.thread);
    struct closing *earlier = &closings[fd];
    if (earlier->tombstone) {
        report("DOUBLE CLOSE: a second close of", fd, now.stack, now.depth, now.thread);
        report("... closed first", fd, earlier->stack, earlier->depth, earlier->thread);
        pthread_mutex_unlock(&lock);
        errno = EBADF;
        return -1;
    }
    // dup3 onto an open descriptor closes its file, as close would, without freeing the number.
    if (fcntl(fd, F_GETFD) == -1 || syscall(SYS_dup3, null_fd, fd, O_CLOEXEC) == -1) {
        pthread_mutex_unlock(&lock);
        return real_close(fd);
    }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    int quarantine = limit.rlim_cur / 8 < QUARANTINE ? (int)limit.rlim_cur / 8 : QUARANTINE;
    release_tombstones(quarantine);
    if (quarantine == 0) {
        syscall(SYS_close, fd);
    } else {
        *earlier = now;
        earlier->tombstone = 1;
        ring[ring_end] = fd;
        ring_end = (ring_end + 1) % QUARANTINE;
        ring_count += 1;
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

// A descriptor made on top of a tombstone (dup2, dup3) is the program's again.
static void forget_tombstone(int fd) {
    if (!guarded || fd < 0 || fd >= MAX_FD || !closings[fd].tombstone) return;
    closings[fd].tombstone = 0;
    for (int index = 0; index < QUARANTINE; index++) {
        if (ring[index] == fd) ring[index] = -1;
    }
}

// dup2 and dup3 go straight to the kernel: a lookup with dlsym here could block on the loader's
// lock in a child the crash reporter spawns while another thread holds that lock (a daemon that
// aborted never exited so). dup2 onto itself only checks that the descriptor is open.
static int raw_dup3(int old_fd, int new_fd, int flags) { return (int)syscall(SYS_dup3, old_fd, new_fd, flags); }

int dup2(int old_fd, int new_fd) {
    if (old_fd == new_fd) return fcntl(old_fd, F_GETFD) == -1 ? -1 : new_fd;
    if (!__atomic_load_n(&guarded, __ATOMIC_ACQUIRE)) return raw_dup3(old_fd, new_fd, 0);
    pthread_mutex_lock(&lock);
    forget_tombstone(new_fd);
    int result = raw_dup3(old_fd, new_fd, 0);
    pthread_mutex_unlock(&lock);
    return result;
}

int dup3(int old_fd, int new_fd, int flags) {
    if (!__atomic_load_n(&guarded, __ATOMIC_ACQUIRE)) return raw_dup3(old_fd, new_fd, flags);
    pthread_mutex_lock(&lock);
    if (old_fd != new_fd) forget_tombstone(new_fd);
    int result = raw_dup3(old_fd, new_fd, flags);
    pthread_mutex_unlock(&lock);
    return result;
}
