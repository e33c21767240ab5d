/*
 * Runs a program with a system log of its own, and prints what it logged: for the tests of
 * idlewatch-keepalive's audit line (test/integration/keepalive-helper.test.ts).
 *
 *   syslog-catcher PROGRAM [ARG...]      (as root)
 *
 * In a new mount namespace (private, so nothing reaches the caller's) it mounts a tmpfs over
 * /dev holding /dev/null and a datagram socket at /dev/log, which is where glibc's syslog()
 * sends; then it runs the program with the same stdin, stdout, stderr and environment. When
 * the program has exited it prints each message received as "SYSLOG<TAB>message" with control
 * bytes as \xHH, and exits with the program's status (128 + signal when killed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "syslog-catcher: %s: %s\n", what, strerror(errno));
  exit(125);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: syslog-catcher PROGRAM [ARG...]\n");
    return 125;
  }
  if (unshare(CLONE_NEWNS) != 0) die("unshare(CLONE_NEWNS)");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("make / private");
  if (mount("syslog-catcher", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") != 0) die("mount tmpfs on /dev");
  if (mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3)) != 0) die("mknod /dev/null");

  int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, "/dev/log");
  if (bind(sock, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind /dev/log");
  int big = 1 << 20;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);

  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    execv(argv[1], argv + 1);
    fprintf(stderr, "syslog-catcher: cannot run %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");

  fflush(stdout);
  char msg[8192];
  for (;;) {
    ssize_t n = recv(sock, msg, sizeof msg, MSG_DONTWAIT);
    if (n < 0) break;
    fputs("SYSLOG\t", stdout);
    for (ssize_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)msg[i];
      if (c < 0x20 || c == 0x7f || c == '\\')
        printf("\\x%02x", c);
      else
        putchar(c);
    }
    putchar('\n');
  }
  fflush(stdout);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
