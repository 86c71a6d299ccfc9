// Linux system headers that Swift's Glibc module does not include.
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>

/// Names the calling thread (as ps, top and /proc/PID/task/TID/comm show it; 15 bytes at most).
static inline void routines_name_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }

/// The Swift concurrency runtime's hook for jobs on the global concurrent executor (a runtime data
/// symbol). Set once, before any task runs, by `GlobalExecutor.install()`.
extern void *swift_task_enqueueGlobal_hook;
static inline void routines_install_global_hook(void *hook) { swift_task_enqueueGlobal_hook = hook; }

#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

/// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: opens `path` below the folder `dirfd`,
/// refusing (EXDEV) any `..` or symbolic link that would leave it, and /proc magic links (ELOOP).
/// Returns the descriptor or -1 with errno (ENOSYS before Linux 5.6). `syscall` is variadic, so
/// Swift cannot call it directly.
static inline int routines_open_beneath(int dirfd, const char *path, int flags) {
    struct open_how how = {0};
    how.flags = (unsigned long long)flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}
