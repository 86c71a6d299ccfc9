// Linux system headers that Swift's Glibc module does not include.
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/inotify.h>
