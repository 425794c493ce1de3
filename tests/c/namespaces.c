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
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

/* ---- mount namespaces --------------------------------------------------------- */

/* Whether /proc/<who>/mountinfo has a mount at `point`. */
static int has_mount(const char *who, const char *point) {
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%s/mountinfo", who);
    FILE *f = fopen(path, "r");
    int found = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        char mp[512];
        if (sscanf(line, "%*s %*s %*s %*s %511s", mp) == 1 && strcmp(mp, point) == 0)
            found = 1;
    }
    fclose(f);
    return found;
}

/* Writes `text` to a new file `path`. */
static void put_text(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0) {
        write(fd, text, strlen(text));
        close(fd);
    }
}

/* Whether `path` holds the line `want`. */
static int holds(const char *path, const char *want) {
    char buf[64] = "";
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 && strcmp(buf, want) == 0;
}

/* A recursive bind takes the mounts below along, and MS_MOVE moves a
 * mount with everything mounted below it. In a mount namespace of its own,
 * on a tmpfs of its own. */
static void mnt_move(void) {
    char base[] = "/tmp/mntmv-XXXXXX";
    if (!mkdtemp(base)) {
        printf("mkdtemp: %s\n", errno_name(errno));
        return;
    }
    pid_t c = xfork();
    if (c == 0) {
        char a[64], sub[64], b[64], to[64], p[96];
        unshare(CLONE_NEWNS);
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
        mount("tmpfs", base, "tmpfs", 0, "mode=755");
        snprintf(a, sizeof a, "%s/a", base);
        snprintf(sub, sizeof sub, "%s/a/sub", base);
        snprintf(b, sizeof b, "%s/b", base);
        snprintf(to, sizeof to, "%s/c", base);
        mkdir(a, 0755);
        mkdir(sub, 0755);
        mkdir(b, 0755);
        mkdir(to, 0755);
        snprintf(p, sizeof p, "%s/f", a);
        put_text(p, "top\n");
        mount("tmpfs", sub, "tmpfs", 0, NULL);
        snprintf(p, sizeof p, "%s/g", sub);
        put_text(p, "below\n");
        EXPECT_OK("rbind", mount(a, b, NULL, MS_BIND | MS_REC, NULL));
        snprintf(p, sizeof p, "%s/sub/g", b);
        expect("rbind-has-submount", holds(p, "below\n"), "%s", p);
        EXPECT_OK("move", mount(b, to, NULL, MS_MOVE, NULL));
        snprintf(p, sizeof p, "%s/f", to);
        expect("moved-top", holds(p, "top\n"), "%s", p);
        snprintf(p, sizeof p, "%s/sub/g", to);
        expect("moved-submount-too", holds(p, "below\n"), "%s", p);
        snprintf(p, sizeof p, "%s/sub/g", b);
        expect("old-place-empty", access(p, F_OK) < 0 && errno == ENOENT, "%s", errno_name(errno));
        umount2(base, MNT_DETACH);
        _exit(0);
    }
    wait_text(c);
    rmdir(base);
}

static void mnt(void) {
    char dir[] = "/tmp/mntns-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("mkdtemp: %s\n", errno_name(errno));
        return;
    }
    char file[64], sock[64];
    snprintf(file, sizeof file, "%s/inside", dir);
    snprintf(sock, sizeof sock, "%s/sock", dir);
    char outer_mnt[64];
    snprintf(outer_mnt, sizeof outer_mnt, "%s", link_text("/proc/self/ns/mnt"));
    errno = 0;
    long r = syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    expect_ret("clone-newns-fs-einval", r, errno, -1, EINVAL);
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid_t c = xfork();
    if (c == 0) {
        EXPECT_OK("unshare-newns", unshare(CLONE_NEWNS));
        /* Natively, keep mounts from propagating back to the host. */
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
        expect("mnt-link-changed", strcmp(link_text("/proc/self/ns/mnt"), outer_mnt) != 0 &&
               strncmp(link_text("/proc/self/ns/mnt"), "mnt:[", 5) == 0, "%s", link_text("/proc/self/ns/mnt"));
        EXPECT_OK("mount-tmpfs", mount("tmpfs", dir, "tmpfs", 0, "mode=755"));
        int fd = open(file, O_CREAT | O_WRONLY, 0644);
        EXPECT_OK("create-inside", fd);
        close(fd);
        expect("own-mountinfo-has-it", has_mount("self", dir) == 1, "%d", has_mount("self", dir));
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
        EXPECT_OK("bind-socket-inside", bind(s, (struct sockaddr *)&a, sizeof a));
        listen(s, 1);
        write_int(p[1], 0);
        read_int(q[0]);
        close(s); /* a bound socket keeps the mount busy */
        EXPECT_OK("umount", umount(dir));
        expect("file-gone-after-umount", access(file, F_OK) < 0 && errno == ENOENT, "%s", errno_name(errno));
        _exit(0);
    }
    read_int(p[0]);
    expect("outside-no-file", access(file, F_OK) < 0 && errno == ENOENT, "%s", errno_name(errno));
    expect("outside-mountinfo-lacks-it", has_mount("self", dir) == 0, "%d", has_mount("self", dir));
    char cs[16];
    snprintf(cs, sizeof cs, "%d", c);
    expect("child-mountinfo-from-outside", has_mount(cs, dir) == 1, "%d", has_mount(cs, dir));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    EXPECT_ERR("outside-connect-enoent", connect(s, (struct sockaddr *)&a, sizeof a), ENOENT);
    close(s);
    /* A helper joins the child's mount namespace: the file is there, and
     * its working directory is that namespace's root. */
    pid_t h = xfork();
    if (h == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", c);
        int fd = open(path, O_RDONLY);
        chdir("/tmp");
        EXPECT_OK("setns-mnt", setns(fd, CLONE_NEWNS));
        expect("joined-sees-file", access(file, F_OK) == 0, "%s", errno_name(errno));
        char cwd[256] = "";
        getcwd(cwd, sizeof cwd);
        expect("joined-cwd-is-root", strcmp(cwd, "/") == 0, "%s", cwd);
        int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
        EXPECT_OK("joined-connect", connect(s2, (struct sockaddr *)&a, sizeof a));
        _exit(0);
    }
    wait_text(h);
    write_int(q[1], 0);
    wait_text(c);
    rmdir(dir);
    mnt_move();
}

/* nsfs ioctls: every namespace belongs to the initial user namespace
 * (NS_GET_USERNS gives a close-on-exec descriptor of it), which has no
 * parent or owner; NS_GET_NSTYPE, NS_GET_OWNER_UID; NS_GET_PARENT of a
 * namespace without a hierarchy is EINVAL; setns to one's own user
 * namespace is EINVAL. */
static void nsfs(void) {
    int pid = open("/proc/self/ns/pid", O_RDONLY), uts = open("/proc/self/ns/uts", O_RDONLY);
    int u = ioctl(pid, NS_GET_USERNS);
    struct stat st, me;
    fstat(u, &st);
    stat("/proc/self/ns/user", &me);
    expect("userns-is-mine", u >= 0 && st.st_ino == me.st_ino, "%s", errno_name(errno));
    expect("userns-cloexec", fcntl(u, F_GETFD) & FD_CLOEXEC, "no FD_CLOEXEC");
    char link[64] = "";
    readlink("/proc/self/ns/user", link, sizeof link - 1);
    expect("userns-link", strcmp(link, "user:[4026531837]") == 0, "%s", link);
    expect("nstype-pid", ioctl(pid, NS_GET_NSTYPE) == CLONE_NEWPID, "wrong");
    expect("nstype-user", ioctl(u, NS_GET_NSTYPE) == CLONE_NEWUSER, "wrong");
    uid_t owner = 99;
    EXPECT_OK("owner-uid", ioctl(u, NS_GET_OWNER_UID, &owner));
    expect("owner-uid-root", owner == 0, "%u", owner);
    EXPECT_ERR("owner-uid-not-user", ioctl(pid, NS_GET_OWNER_UID, &owner), EINVAL);
    EXPECT_ERR("parent-of-uts", ioctl(uts, NS_GET_PARENT), EINVAL);
    EXPECT_ERR("parent-of-init-user", ioctl(u, NS_GET_PARENT), EPERM);
    EXPECT_ERR("owner-of-init-user", ioctl(u, NS_GET_USERNS), EPERM);
    EXPECT_ERR("parent-of-own-pidns", ioctl(pid, NS_GET_PARENT), EPERM);
    EXPECT_ERR("setns-own-userns", setns(u, CLONE_NEWUSER), EINVAL);
    EXPECT_ERR("unknown-ioctl", ioctl(pid, _IO(0xb7, 0x7f)), ENOTTY);
    /* A child PID namespace's parent is ours (asked from here: from
     * inside, the parent is outside the caller's namespace, EPERM). */
    EXPECT_OK("unshare-pid", unshare(CLONE_NEWPID));
    int go[2];
    pipe(go);
    pid_t c = fork();
    if (c == 0) {
        int mine = open("/proc/self/ns/pid", O_RDONLY);
        int inside = ioctl(mine, NS_GET_PARENT) < 0 && errno == EPERM;
        char b;
        read(go[0], &b, 1);
        _exit(inside ? 0 : 1);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", c);
    int child = open(path, O_RDONLY);
    int parent = ioctl(child, NS_GET_PARENT);
    struct stat a, b;
    expect("child-pidns-parent-is-ours",
           parent >= 0 && fstat(parent, &a) == 0 && fstat(pid, &b) == 0 && a.st_ino == b.st_ino, "%s",
           errno_name(errno));
    write(go[1], "g", 1);
    int ws = 0;
    waitpid(c, &ws, 0);
    expect("parent-invisible-from-inside", WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "status %x", ws);
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"uts", uts},
        {"ipc", ipc},
        {"mnt", mnt},
        {"nsfs", nsfs},
    };
    return RUN_GROUPS(argc, argv, groups);
}
