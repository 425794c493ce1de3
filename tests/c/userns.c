/*
 * User namespaces: clone/unshare(CLONE_NEWUSER), /proc/PID/{uid_map,
 * gid_map,setgroups} and who may write them, ids seen through the maps
 * (getuid, getgroups, stat, /proc/PID/status), ids passed in (setuid,
 * chown: EINVAL unmapped), capabilities held in a child namespace (only
 * over namespaces it owns and files whose ids it maps), setns, nsfs
 * ioctls.
 *
 * Run as root natively and under husk; every change is made in a child
 * process inside new namespaces or in a scratch directory of its own.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char scratch[64];

/* A private scratch directory with a file owned by 0:0 (mode 000) and one
 * owned by 1000:1000 (mode 600). */
static void make_scratch(void) {
    snprintf(scratch, sizeof scratch, "/tmp/husk-userns-%d", getpid());
    mkdir(scratch, 0755);
    char p[128];
    snprintf(p, sizeof p, "%s/root", scratch);
    close(open(p, O_CREAT | O_WRONLY, 0));
    chmod(p, 0);
    snprintf(p, sizeof p, "%s/user", scratch);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    chown(p, 1000, 1000);
    snprintf(p, sizeof p, "%s/mnt", scratch);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/udir", scratch);
    mkdir(p, 0755);
    chown(p, 1000, 1000);
}

static void drop_scratch(void) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    system(cmd);
}

static const char *in_scratch(const char *name) {
    static char p[4][128];
    static int i;
    char *b = p[i++ % 4];
    snprintf(b, 128, "%s/%s", scratch, name);
    return b;
}

/* Waits for a child and checks that it exited 0. */
static void reap(const char *name, pid_t c) {
    int st = 0;
    waitpid(c, &st, 0);
    expect(name, WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %x", st);
}

/* Writes `text` to /proc/<pid>/<file> ("self" for pid 0). */
static int write_proc(pid_t pid, const char *file, const char *text) {
    char p[64];
    if (pid)
        snprintf(p, sizeof p, "/proc/%d/%s", pid, file);
    else
        snprintf(p, sizeof p, "/proc/self/%s", file);
    return write_control(p, text);
}

/* The "Uid:" line of /proc/self/status. */
static const char *status_line(const char *key) {
    static char line[128];
    char *s = slurp("/proc/self/status");
    char *at = s ? strstr(s, key) : NULL;
    line[0] = 0;
    if (at) {
        size_t n = strcspn(at, "\n");
        snprintf(line, sizeof line, "%.*s", (int)n, at);
    }
    return line;
}

/* Maps root of a new namespace onto the caller's own ids, as `unshare -r`. */
static void map_self(void) {
    EXPECT_OK("setgroups-deny", write_proc(0, "setgroups", "deny"));
    EXPECT_OK("write-own-uid-map", write_proc(0, "uid_map", "0 0 1"));
    EXPECT_OK("write-own-gid-map", write_proc(0, "gid_map", "0 0 1"));
}

/* A fresh namespace seen from inside: no maps, everything is the
 * overflow id; the rules for writing its own maps; ids through them. */
static void maps(void) {
    make_scratch();
    expect("init-uid-map", strcmp(slurp("/proc/self/uid_map"), "         0          0 4294967295\n") == 0, "%s",
           slurp("/proc/self/uid_map"));
    expect("init-setgroups", strcmp(slurp("/proc/self/setgroups"), "allow\n") == 0, "%s", slurp("/proc/self/setgroups"));
    EXPECT_ERR("init-uid-map-write", write_proc(0, "uid_map", "0 0 1"), EPERM);
    expect("overflowuid", strcmp(slurp("/proc/sys/kernel/overflowuid"), "65534\n") == 0, "%s",
           slurp("/proc/sys/kernel/overflowuid"));
    char *max = slurp("/proc/sys/user/max_user_namespaces");
    expect("max-user-namespaces", max && atol(max) > 0, "%s", max ? max : "missing");
    struct stat init_ns;
    stat("/proc/self/ns/user", &init_ns);
    pid_t c = xfork();
    if (c == 0) {
        EXPECT_OK("unshare-user", unshare(CLONE_NEWUSER));
        expect("empty-uid-map", strcmp(slurp("/proc/self/uid_map"), "") == 0, "%s", slurp("/proc/self/uid_map"));
        expect("unmapped-getuid", getuid() == 65534 && geteuid() == 65534, "%d", getuid());
        expect("unmapped-getgid", getgid() == 65534, "%d", getgid());
        gid_t gs[8];
        int n = getgroups(8, gs);
        int all = 1;
        for (int i = 0; i < n; i++)
            all &= gs[i] == 65534;
        expect("unmapped-groups", n >= 0 && all, "%d %d", n, n > 0 ? (int)gs[0] : -1);
        expect("unmapped-status", strcmp(status_line("Uid:"), "Uid:\t65534\t65534\t65534\t65534") == 0, "%s",
               status_line("Uid:"));
        struct stat st;
        stat(in_scratch("root"), &st);
        expect("unmapped-stat", st.st_uid == 65534 && st.st_gid == 65534, "%d:%d", st.st_uid, st.st_gid);
        struct stat mine;
        stat("/proc/self/ns/user", &mine);
        expect("new-ns-inode", mine.st_ino != init_ns.st_ino, "same inode");
        char link[64] = "";
        readlink("/proc/self/ns/user", link, sizeof link - 1);
        char want[64];
        snprintf(want, sizeof want, "user:[%lu]", (unsigned long)mine.st_ino);
        expect("ns-link", strcmp(link, want) == 0, "%s", link);
        /* From inside: only one's own id, one line. */
        EXPECT_ERR("own-map-two-ids", write_proc(0, "uid_map", "0 0 2"), EPERM);
        EXPECT_ERR("own-map-other-id", write_proc(0, "uid_map", "0 5 1"), EPERM);
        EXPECT_ERR("bad-map-text", write_proc(0, "uid_map", "0 0"), EINVAL);
        EXPECT_ERR("gid-map-before-deny", write_proc(0, "gid_map", "0 0 1"), EPERM);
        EXPECT_ERR("setgroups-junk", write_proc(0, "setgroups", "maybe"), EINVAL);
        map_self();
        expect("uid-map-read", strcmp(slurp("/proc/self/uid_map"), "         0          0          1\n") == 0, "%s",
               slurp("/proc/self/uid_map"));
        expect("setgroups-read", strcmp(slurp("/proc/self/setgroups"), "deny\n") == 0, "%s", slurp("/proc/self/setgroups"));
        EXPECT_ERR("uid-map-twice", write_proc(0, "uid_map", "0 0 1"), EPERM);
        EXPECT_ERR("setgroups-allow-again", write_proc(0, "setgroups", "allow"), EPERM);
        expect("mapped-getuid", getuid() == 0 && geteuid() == 0 && getgid() == 0, "%d", getuid());
        expect("mapped-status", strcmp(status_line("Uid:"), "Uid:\t0\t0\t0\t0") == 0, "%s", status_line("Uid:"));
        stat(in_scratch("root"), &st);
        expect("mapped-stat", st.st_uid == 0 && st.st_gid == 0, "%d:%d", st.st_uid, st.st_gid);
        stat(in_scratch("user"), &st);
        expect("unmapped-owner-stat", st.st_uid == 65534 && st.st_gid == 65534, "%d:%d", st.st_uid, st.st_gid);
        EXPECT_ERR("setgroups-denied", setgroups(0, NULL), EPERM);
        EXPECT_ERR("setuid-unmapped", setuid(5), EINVAL);
        EXPECT_ERR("setresuid-unmapped", setresuid(-1, 5, -1), EINVAL);
        EXPECT_OK("setuid-mapped", setuid(0));
        EXPECT_ERR("chown-unmapped", chown(in_scratch("root"), 5, -1), EINVAL);
        EXPECT_OK("chown-mapped", chown(in_scratch("root"), 0, 0));
        _exit(0);
    }
    reap("child-maps", c);
    drop_scratch();
}

/* Sends SCM_CREDENTIALS with ids `uid`/`gid` of the caller's namespace. */
static int send_creds(int s, uid_t uid, gid_t gid) {
    struct ucred uc = {.pid = getpid(), .uid = uid, .gid = gid};
    char ctl[CMSG_SPACE(sizeof uc)];
    memset(ctl, 0, sizeof ctl);
    char byte = 'x';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof uc);
    memcpy(CMSG_DATA(c), &uc, sizeof uc);
    return sendmsg(s, &m, 0);
}

/* SO_PEERCRED and SCM_CREDENTIALS carry ids as the reader's namespace
 * maps them; unmapped ids cannot be sent (EINVAL). */
static void peer_creds(void) {
    int sv[2], on = 1;
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    struct ucred uc;
    socklen_t len = sizeof uc;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len);
    expect("peercred-mapped", uc.uid == 20 && uc.gid == 7, "%d:%d", uc.uid, uc.gid);
    EXPECT_OK("scm-creds-own", send_creds(sv[0], 20, 7));
    char byte, ctl[64];
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    recvmsg(sv[1], &m, 0);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    struct ucred got = {0, 0, 0};
    if (c && c->cmsg_type == SCM_CREDENTIALS)
        memcpy(&got, CMSG_DATA(c), sizeof got);
    expect("scm-creds-received", got.uid == 20 && got.gid == 7, "%d:%d", got.uid, got.gid);
    EXPECT_ERR("scm-creds-unmapped", send_creds(sv[0], 50, 7), EINVAL);
}

/* Maps written from the parent namespace: several lines with
 * CAP_SETUID there; the lower ids shown as each reader sees them. */
static void parent_maps(void) {
    int go[2], done[2];
    pipe(go);
    pipe(done);
    pid_t c = xfork();
    if (c == 0) {
        char b;
        unshare(CLONE_NEWUSER);
        write(done[1], "u", 1);
        read(go[0], &b, 1);
        const char *want = "         0       1000         10\n        20          0          1\n";
        expect("child-reads-map", strcmp(slurp("/proc/self/uid_map"), want) == 0, "%s", slurp("/proc/self/uid_map"));
        expect("child-uid-through-map", getuid() == 20, "%d", getuid());
        expect("child-gid-through-map", getgid() == 7, "%d", getgid());
        EXPECT_OK("setgroups-allowed", setgroups(0, NULL));
        peer_creds();
        _exit(0);
    }
    char b;
    read(done[0], &b, 1);
    EXPECT_ERR("overlapping-map", write_proc(c, "uid_map", "0 1000 10\n5 0 1"), EINVAL);
    char big[8192] = "";
    for (int i = 0; i < 341; i++)
        sprintf(big + strlen(big), "%d %d 1\n", i * 2, i * 2);
    EXPECT_ERR("map-341-lines", write_proc(c, "uid_map", big), EINVAL);
    EXPECT_OK("parent-writes-uid-map", write_proc(c, "uid_map", "0 1000 10\n20 0 1\n"));
    EXPECT_OK("parent-writes-gid-map", write_proc(c, "gid_map", "7 0 1"));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", c);
    expect("parent-reads-map", strcmp(slurp(path), "         0       1000         10\n        20          0          1\n") == 0,
           "%s", slurp(path));
    /* NS_GET_PARENT and NS_GET_OWNER_UID of the child's namespace, from here. */
    snprintf(path, sizeof path, "/proc/%d/ns/user", c);
    int fd = open(path, O_RDONLY);
    int parent = ioctl(fd, NS_GET_PARENT);
    struct stat a, mine;
    stat("/proc/self/ns/user", &mine);
    expect("ns-get-parent", parent >= 0 && fstat(parent, &a) == 0 && a.st_ino == mine.st_ino, "%s", errno_name(errno));
    uid_t owner = 99;
    EXPECT_OK("ns-get-owner-uid", ioctl(fd, NS_GET_OWNER_UID, &owner));
    expect("owner-is-root", owner == 0, "%u", owner);
    /* setns into it: full capabilities there, ids through its map. */
    pid_t h = xfork();
    if (h == 0) {
        EXPECT_OK("setns-user", setns(fd, CLONE_NEWUSER));
        expect("setns-getuid", getuid() == 20, "%d", getuid());
        int self = open("/proc/self/ns/user", O_RDONLY);
        EXPECT_ERR("setns-own-again", setns(self, CLONE_NEWUSER), EINVAL);
        _exit(0);
    }
    reap("setns-child", h);
    write(go[1], "g", 1);
    reap("child-parent-maps", c);
}

/* Capabilities of a child namespace's root: over the namespaces it owns
 * and over files whose ids it maps, nowhere else. */
static void caps(void) {
    make_scratch();
    pid_t c = xfork();
    if (c == 0) {
        int init_user = open("/proc/self/ns/user", O_RDONLY);
        unshare(CLONE_NEWUSER);
        map_self();
        EXPECT_ERR("sethostname-init-uts", sethostname("inner", 5), EPERM);
        EXPECT_ERR("mount-init-mntns", mount("none", in_scratch("mnt"), "tmpfs", 0, NULL), EPERM);
        EXPECT_OK("unshare-uts", unshare(CLONE_NEWUTS));
        EXPECT_OK("sethostname-own-uts", sethostname("inner", 5));
        EXPECT_OK("unshare-mnt", unshare(CLONE_NEWNS));
        EXPECT_OK("mount-own-mntns", mount("none", in_scratch("mnt"), "tmpfs", 0, NULL));
        EXPECT_OK("umount-own-mntns", umount(in_scratch("mnt")));
        int uts = open("/proc/self/ns/uts", O_RDONLY);
        int owner = ioctl(uts, NS_GET_USERNS);
        struct stat a, b;
        stat("/proc/self/ns/user", &b);
        expect("uts-owner-is-new-userns", owner >= 0 && fstat(owner, &a) == 0 && a.st_ino == b.st_ino, "%s",
               errno_name(errno));
        int me = open("/proc/self/ns/user", O_RDONLY);
        EXPECT_ERR("parent-outside", ioctl(me, NS_GET_PARENT), EPERM);
        EXPECT_OK("dac-override-mapped", open(in_scratch("root"), O_RDONLY));
        EXPECT_ERR("no-dac-override-unmapped", open(in_scratch("user"), O_RDONLY), EACCES);
        EXPECT_ERR("no-fowner-unmapped", chmod(in_scratch("user"), 0644), EPERM);
        EXPECT_OK("fowner-mapped", chmod(in_scratch("root"), 0));
        EXPECT_OK("create-in-mapped-dir", open(in_scratch("new"), O_CREAT | O_WRONLY, 0600));
        EXPECT_ERR("create-in-unmapped-dir", open(in_scratch("udir/new"), O_CREAT | O_WRONLY, 0600), EACCES);
        EXPECT_ERR("mknod-device", mknod(in_scratch("dev"), S_IFCHR | 0600, makedev(1, 3)), EPERM);
        EXPECT_ERR("setns-back-to-init", setns(init_user, CLONE_NEWUSER), EPERM);
        _exit(0);
    }
    reap("child-caps", c);
    drop_scratch();
}

static int clone_child(void *arg) {
    (void)arg;
    return getuid() == 65534 ? 0 : 1;
}

/* clone(CLONE_NEWUSER); the flags it refuses; an unprivileged creator. */
static void creators(void) {
    static char stack[1 << 16];
    pid_t c = clone(clone_child, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, NULL);
    expect("clone-newuser", c > 0, "%s", errno_name(errno));
    if (c > 0)
        reap("clone-child-unmapped", c);
    errno = 0;
    long r = syscall(SYS_clone, CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        _exit(0);
    expect_ret("clone-newuser-fs", r, errno, -1, EINVAL);
    pid_t u = xfork();
    if (u == 0) {
        alone_as(1000);
        /* Its /proc files are its own again (a uid change made it undumpable). */
        prctl(PR_SET_DUMPABLE, 1);
        EXPECT_OK("unprivileged-unshare", unshare(CLONE_NEWUSER));
        EXPECT_ERR("unprivileged-other-id", write_proc(0, "uid_map", "0 0 1"), EPERM);
        EXPECT_OK("unprivileged-own-id", write_proc(0, "uid_map", "0 1000 1"));
        EXPECT_ERR("unprivileged-gid-without-deny", write_proc(0, "gid_map", "0 1000 1"), EPERM);
        EXPECT_OK("unprivileged-deny", write_proc(0, "setgroups", "deny"));
        EXPECT_OK("unprivileged-own-gid", write_proc(0, "gid_map", "0 1000 1"));
        expect("unprivileged-now-root", getuid() == 0 && getgid() == 0, "%d", getuid());
        _exit(0);
    }
    reap("unprivileged-child", u);
}

int main(int argc, char **argv) {
    static const struct test_group groups[] = {
        {"maps", maps},
        {"parent_maps", parent_maps},
        {"caps", caps},
        {"creators", creators},
    };
    return RUN_GROUPS(argc, argv, groups);
}
