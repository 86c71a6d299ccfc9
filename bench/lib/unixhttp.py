"""What the Python benchmarks share: HTTP over the daemon's Unix socket, and the load.

A benchmark finds this folder with:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
"""
import http.client
import socket


class UnixHTTP(http.client.HTTPConnection):
    """http.client over a Unix socket (the daemon's control API); `timeout` in seconds, so a daemon
    that never answers fails the benchmark instead of holding it."""

    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)
