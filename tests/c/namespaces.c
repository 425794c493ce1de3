/*
 * UTS, IPC and mount namespaces: clone and unshare with CLONE_NEWUTS,
 * CLONE_NEWIPC and CLONE_NEWNS, setns by /proc/<pid>/ns/ descriptors,
 * and what each namespace keeps apart (host and domain names; mounts).
 *
 * Run as root, natively and under husk; every change is made inside a new
 * namespace (never to the caller's own host name or mounts), and every
 * line is "name: ok" or what differed.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

/* The text of a symlink ("" on error). */
static const char *link_text(const char *path) {
    static char buf[4][256];
    static int i;
    char *b = buf[i++ % 4];
    ssize_t n = readlink(path, b, 255);
    b[n < 0 ? 0 : n] = 0;
    return b;
}

/* The first line of a file, without its newline ("" on error). */
static const char *first_line(const char *path) {
    static char buf[256];
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

static const char *nodename(void) {
    static struct utsname u;
    uname(&u);
    return u.nodename;
}

static const char *domainname(void) {
    static struct utsname u;
    uname(&u);
    return u.domainname;
}

static int read_int(int fd) {
    int v;
    return read(fd, &v, sizeof v) == sizeof v ? v : -1;
}

static void write_int(int fd, int v) {
    write(fd, &v, sizeof v);
}

/* Runs `body` in a child and waits for it (its changes stay there). */
static void in_child(void (*body)(void)) {
    pid_t c = xfork();
    if (c == 0) {
        body();
        fflush(stdout);
        _exit(0);
    }
    const char *s = wait_text(c);
    if (strcmp(s, "exited 0") != 0)
        printf("child: %s\n", s);
}

/* ---- UTS ------------------------------------------------------------------ */

static char outer_host[128], outer_dom[128], outer_uts[64];

static void uts_unshare(void) {
    EXPECT_OK("unshare-newuts", unshare(CLONE_NEWUTS));
    expect("uts-link-changed", strcmp(link_text("/proc/self/ns/uts"), outer_uts) != 0 &&
           strncmp(link_text("/proc/self/ns/uts"), "uts:[", 5) == 0, "%s", link_text("/proc/self/ns/uts"));
    expect("copy-keeps-hostname", strcmp(nodename(), outer_host) == 0, "%s", nodename());
    EXPECT_OK("sethostname", sethostname("husk-uts-a", 10));
    expect("uname-shows-new-hostname", strcmp(nodename(), "husk-uts-a") == 0, "%s", nodename());
    expect("proc-hostname", strcmp(first_line("/proc/sys/kernel/hostname"), "husk-uts-a") == 0, "%s",
           first_line("/proc/sys/kernel/hostname"));
    EXPECT_OK("setdomainname", setdomainname("example.test", 12));
    expect("uname-shows-domainname", strcmp(domainname(), "example.test") == 0, "%s", domainname());
    expect("proc-domainname", strcmp(first_line("/proc/sys/kernel/domainname"), "example.test") == 0, "%s",
           first_line("/proc/sys/kernel/domainname"));
    int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
    EXPECT_OK("write-proc-hostname", write(fd, "husk-uts-b\n", 11));
    close(fd);
    expect("uname-after-proc-write", strcmp(nodename(), "husk-uts-b") == 0, "%s", nodename());
    char long_name[80];
    memset(long_name, 'x', sizeof long_name);
    EXPECT_ERR("sethostname-65-einval", sethostname(long_name, 65), EINVAL);
    EXPECT_OK("sethostname-64-ok", sethostname(long_name, 64));
    EXPECT_ERR("sethostname-bad-pointer-efault", syscall(SYS_sethostname, 8L, 5L), EFAULT);
    if (setuid(65534) == 0)
        EXPECT_ERR("unprivileged-sethostname-eperm", sethostname("nope", 4), EPERM);
}

static void uts_clone_body(void) {
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
    if (c == 0) {
        expect("clone-child-starts-with-parents-name", strcmp(nodename(), outer_host) == 0, "%s", nodename());
        sethostname("husk-uts-c", 10);
        write_int(p[1], 0);
        read_int(q[0]);
        _exit(0);
    }
    read_int(p[0]);
    expect("parent-name-unchanged", strcmp(nodename(), outer_host) == 0, "%s", nodename());
    /* Joining the child's namespace shows its name. */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/uts", c);
    int fd = open(path, O_RDONLY);
    EXPECT_ERR("setns-uts-as-pid-einval", setns(fd, CLONE_NEWPID), EINVAL);
    EXPECT_OK("setns-uts", setns(fd, CLONE_NEWUTS));
    expect("joined-name", strcmp(nodename(), "husk-uts-c") == 0, "%s", nodename());
    expect("joined-link", strcmp(link_text("/proc/self/ns/uts"), link_text(path)) == 0, "%s",
           link_text("/proc/self/ns/uts"));
    write_int(q[1], 0);
    wait_text(c);
}

static void uts(void) {
    snprintf(outer_host, sizeof outer_host, "%s", nodename());
    snprintf(outer_dom, sizeof outer_dom, "%s", domainname());
    snprintf(outer_uts, sizeof outer_uts, "%s", link_text("/proc/self/ns/uts"));
    in_child(uts_unshare);
    in_child(uts_clone_body);
    expect("caller-name-unchanged", strcmp(nodename(), outer_host) == 0 && strcmp(domainname(), outer_dom) == 0,
           "%s %s", nodename(), domainname());
    expect("caller-uts-unchanged", strcmp(link_text("/proc/self/ns/uts"), outer_uts) == 0, "%s",
           link_text("/proc/self/ns/uts"));
}

/* ---- IPC ------------------------------------------------------------------ */

static char outer_ipc[64];

static void ipc_body(void) {
    errno = 0;
    long r = syscall(SYS_clone, CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    expect_ret("clone-newipc-sysvsem-einval", r, errno, -1, EINVAL);
    int back = open("/proc/self/ns/ipc", O_RDONLY);
    struct stat sb;
    fstat(back, &sb);
    expect("ns-fd-inode", (unsigned long)sb.st_ino == strtoul(outer_ipc + 5, NULL, 10), "ino %lu for %s",
           (unsigned long)sb.st_ino, outer_ipc);
    EXPECT_OK("unshare-newipc", unshare(CLONE_NEWIPC));
    expect("ipc-link-changed", strcmp(link_text("/proc/self/ns/ipc"), outer_ipc) != 0 &&
           strncmp(link_text("/proc/self/ns/ipc"), "ipc:[", 5) == 0, "%s", link_text("/proc/self/ns/ipc"));
    EXPECT_OK("setns-back-ipc", setns(back, CLONE_NEWIPC));
    expect("ipc-link-back", strcmp(link_text("/proc/self/ns/ipc"), outer_ipc) == 0, "%s",
           link_text("/proc/self/ns/ipc"));
    pid_t c = syscall(SYS_clone, CLONE_NEWIPC | SIGCHLD, 0, 0, 0, 0);
    if (c == 0) {
        expect("clone-newipc-child-link", strcmp(link_text("/proc/self/ns/ipc"), outer_ipc) != 0, "%s",
               link_text("/proc/self/ns/ipc"));
        _exit(0);
    }
    wait_text(c);
}

static void ipc(void) {
    snprintf(outer_ipc, sizeof outer_ipc, "%s", link_text("/proc/self/ns/ipc"));
    in_child(ipc_body);
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"uts", uts},
        {"ipc", ipc},
    };
    return RUN_GROUPS(argc, argv, groups);
}
