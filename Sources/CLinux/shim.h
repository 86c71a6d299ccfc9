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
