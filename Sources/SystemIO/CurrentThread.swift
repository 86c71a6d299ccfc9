import CLinux

/// The calling thread, as the kernel sees it.
public enum CurrentThread {
    /// Names the calling thread as `ps`, `top` and /proc/PID/task/TID/comm show it (`prctl
    /// PR_SET_NAME`, 15 bytes at most; Foundation's `Thread.name` does not reach the kernel on
    /// Linux).
    public static func setName(_ name: String) {
        routines_name_thread(name)
    }
}
