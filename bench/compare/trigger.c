/* The floor for a CLI trigger: a plain C client that sends one POST over the Unix socket and reads
   the reply. Usage: trigger SOCKET NAME */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return 1;
    char request[512];
    int n = snprintf(request, sizeof request,
                     "POST /routines/%s/trigger HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", argv[2]);
    if (write(fd, request, n) != n) return 1;
    char reply[4096];
    ssize_t got = read(fd, reply, sizeof reply);
    close(fd);
    return got > 12 && memcmp(reply + 9, "202", 3) == 0 ? 0 : 1;
}
