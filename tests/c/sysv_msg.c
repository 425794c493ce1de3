/*
 * System V message queues. Every check prints "name: ok" natively; husk
 * must print the same. Keys are made from the pid so a native run never
 * meets another program's queues.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/msg.h>

struct msg {
    long mtype;
    char mtext[9000];
};

static key_t test_key(int n) {
    return (key_t)(0x4d000000 | ((getpid() & 0xffff) << 8) | n);
}

static int send(int id, long type, const char *text, int flags) {
    struct msg m;
    m.mtype = type;
    size_t n = strlen(text);
    memcpy(m.mtext, text, n);
    return msgsnd(id, &m, n, flags);
}

/* Receives into a static buffer: "type:text", or the errno name. */
static const char *recv_text(int id, size_t size, long type, int flags) {
    static struct msg m;
    static char out[9100];
    memset(&m, 0, sizeof m);
    ssize_t n = msgrcv(id, &m, size, type, flags);
    if (n < 0)
        return errno_name(errno);
    snprintf(out, sizeof out, "%ld:%.*s", m.mtype, (int)n, m.mtext);
    return out;
}

static void expect_text(const char *name, const char *got, const char *want) {
    expect(name, strcmp(got, want) == 0, "got %s, want %s", got, want);
}

static struct msqid_ds stat_of(int id) {
    struct msqid_ds ds;
    memset(&ds, 0, sizeof ds);
    if (msgctl(id, IPC_STAT, &ds) < 0)
        ds.msg_qbytes = (msglen_t)-errno;
    return ds;
}

/* Waits until process `pid` sleeps (in a blocking call), then a bit more. */
static void wait_sleeping(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            char *p = strrchr(buf, ')');
            if (p && p[1] == ' ' && p[2] == 'S')
                break;
        }
        sleep_ms(10);
    }
    sleep_ms(100);
}

/* Whether the effective capabilities (/proc/self/status) have `cap`. */
static int has_cap(int cap) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long eff = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &eff) == 1)
            break;
    if (f)
        fclose(f);
    return (eff >> cap) & 1;
}

/* ---- creation, control, limits ---------------------------------------- */

static void msg_get(void) {
    key_t k = test_key(1);
    EXPECT_ERR("msgget missing key", msgget(k, 0600), ENOENT);
    int id = msgget(k, IPC_CREAT | IPC_EXCL | 0640);
    expect("msgget create", id >= 0, "%s", errno_name(errno));
    EXPECT_ERR("msgget excl again", msgget(k, IPC_CREAT | IPC_EXCL | 0640), EEXIST);
    expect_ret("msgget existing", msgget(k, 0), errno, id, 0);
    int p1 = msgget(IPC_PRIVATE, 0600), p2 = msgget(IPC_PRIVATE, 0600);
    expect("ipc_private makes new ones", p1 >= 0 && p2 >= 0 && p1 != p2 && p1 != id, "%d %d %d", id, p1, p2);

    struct msqid_ds ds;
    memset(&ds, 0xff, sizeof ds);
    EXPECT_OK("ipc_stat", msgctl(id, IPC_STAT, &ds));
    expect("ipc_stat fields",
           (ds.msg_perm.mode & 0777) == 0640 && ds.msg_perm.__key == k && ds.msg_qnum == 0 &&
               ds.__msg_cbytes == 0 && ds.msg_qbytes == 16384 && ds.msg_lspid == 0 && ds.msg_lrpid == 0 &&
               ds.msg_stime == 0 && ds.msg_rtime == 0 && ds.msg_ctime != 0 && ds.msg_perm.uid == geteuid() &&
               ds.msg_perm.cuid == geteuid() && ds.msg_perm.gid == getegid(),
           "mode %o key %x qnum %lu qbytes %lu", ds.msg_perm.mode, ds.msg_perm.__key, (unsigned long)ds.msg_qnum,
           (unsigned long)ds.msg_qbytes);
    EXPECT_ERR("ipc_stat bad buffer", msgctl(id, IPC_STAT, (struct msqid_ds *)8), EFAULT);
    EXPECT_ERR("msgctl bad command", msgctl(id, 12345, &ds), EINVAL);
    EXPECT_ERR("msgctl negative id", msgctl(-1, IPC_STAT, &ds), EINVAL);
    EXPECT_ERR("msgctl unknown id", msgctl(id + 7 * 32768, IPC_STAT, &ds), EINVAL);

    ds.msg_perm.mode = 0604;
    ds.msg_qbytes = 100;
    EXPECT_OK("ipc_set", msgctl(id, IPC_SET, &ds));
    struct msqid_ds d2 = stat_of(id);
    expect("ipc_set mode and qbytes", (d2.msg_perm.mode & 0777) == 0604 && d2.msg_qbytes == 100, "%o %lu",
           d2.msg_perm.mode, (unsigned long)d2.msg_qbytes);
    ds.msg_qbytes = 100000; /* above msgmnb: only with CAP_SYS_RESOURCE */
    errno = 0;
    int r = msgctl(id, IPC_SET, &ds);
    expect("ipc_set qbytes above msgmnb", has_cap(24) ? r == 0 : r < 0 && errno == EPERM, "%d %s", r,
           errno_name(errno));
    EXPECT_ERR("ipc_set bad buffer", msgctl(id, IPC_SET, (struct msqid_ds *)8), EFAULT);

    struct msginfo info;
    memset(&info, 0xff, sizeof info);
    int max = msgctl(0, IPC_INFO, (struct msqid_ds *)&info);
    expect("ipc_info", max >= 0 && info.msgmax == 8192 && info.msgmnb == 16384 && info.msgmni == 32000 &&
               info.msgssz == 16 && info.msgseg == 0xffff && info.msgpool == 512000 && info.msgmap == 16384 &&
               info.msgtql == 16384,
           "%d max %d mnb %d mni %d pool %d", max, info.msgmax, info.msgmnb, info.msgmni, info.msgpool);
    send(p1, 1, "hello", 0);
    send(p1, 2, "abc", 0);
    int max2 = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);
    expect("msg_info", max2 >= 0 && info.msgpool >= 3 && info.msgmap >= 2 && info.msgtql >= 8, "%d pool %d map %d tql %d",
           max2, info.msgpool, info.msgmap, info.msgtql);
    /* MSG_STAT takes an index and returns the id. */
    int found = 0;
    for (int i = 0; i <= max2; i++) {
        struct msqid_ds d;
        if (msgctl(i, MSG_STAT, &d) == p1)
            found = d.msg_qnum == 2 && d.__msg_cbytes == 8;
    }
    expect("msg_stat finds it", found, "no");
    int found_any = 0;
    for (int i = 0; i <= max2; i++) {
        struct msqid_ds d;
        if (msgctl(i, MSG_STAT_ANY, &d) == id)
            found_any = 1;
    }
    expect("msg_stat_any finds it", found_any, "no");

    EXPECT_OK("rmid", msgctl(id, IPC_RMID, NULL));
    EXPECT_ERR("stat after rmid", msgctl(id, IPC_STAT, &ds), EINVAL);
    EXPECT_ERR("rmid again", msgctl(id, IPC_RMID, NULL), EINVAL);
    EXPECT_ERR("key gone after rmid", msgget(k, 0), ENOENT);
    msgctl(p1, IPC_RMID, NULL);
    msgctl(p2, IPC_RMID, NULL);
}

/* ---- send and receive: types, flags, errors --------------------------- */

static void msg_order(void) {
    int id = msgget(IPC_PRIVATE, 0600);
    struct msg m = {.mtype = 1};
    EXPECT_ERR("msgsnd type 0", (m.mtype = 0, msgsnd(id, &m, 1, 0)), EINVAL);
    EXPECT_ERR("msgsnd negative type", (m.mtype = -3, msgsnd(id, &m, 1, 0)), EINVAL);
    m.mtype = 1;
    EXPECT_ERR("msgsnd above msgmax", msgsnd(id, &m, 8193, 0), EINVAL);
    EXPECT_ERR("msgsnd negative size", msgsnd(id, &m, (size_t)-1, 0), EINVAL);
    EXPECT_ERR("msgsnd bad buffer", msgsnd(id, (void *)8, 1, 0), EFAULT);
    EXPECT_ERR("msgsnd bad text", msgsnd(id, (char *)sysconf(_SC_PAGESIZE) - 8, 100, 0), EFAULT);
    EXPECT_ERR("msgsnd unknown id", msgsnd(id + 32768 * 5, &m, 1, 0), EINVAL);
    EXPECT_ERR("msgsnd negative id", msgsnd(-1, &m, 1, 0), EINVAL);
    EXPECT_OK("msgsnd msgmax", msgsnd(id, &m, 8192, 0));
    expect_ret("msgrcv msgmax", msgrcv(id, &m, 8192, 0, 0), errno, 8192, 0);
    EXPECT_OK("msgsnd empty", send(id, 7, "", 0));
    expect_text("msgrcv empty", recv_text(id, 10, 0, 0), "7:");

    const char *sent[] = {"3:c1", "1:a1", "2:b1", "1:a2", "5:e1", "2:b2"};
    for (unsigned i = 0; i < sizeof sent / sizeof *sent; i++)
        send(id, sent[i][0] - '0', sent[i] + 2, 0);
    struct msqid_ds ds = stat_of(id);
    expect("queued", ds.msg_qnum == 6 && ds.__msg_cbytes == 12 && ds.msg_lspid == getpid() && ds.msg_stime != 0,
           "qnum %lu cbytes %lu", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes);

    /* MSG_COPY: by position, the queue unchanged. */
    expect_text("msg_copy 0", recv_text(id, 100, 0, MSG_COPY | IPC_NOWAIT), "3:c1");
    expect_text("msg_copy 4", recv_text(id, 100, 4, MSG_COPY | IPC_NOWAIT), "5:e1");
    expect_text("msg_copy past end", recv_text(id, 100, 6, MSG_COPY | IPC_NOWAIT), "E42");
    expect_text("msg_copy without nowait", recv_text(id, 100, 0, MSG_COPY), "EINVAL");
    expect_text("msg_copy with except", recv_text(id, 100, 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT), "EINVAL");
    expect_text("msg_copy too small", recv_text(id, 1, 0, MSG_COPY | IPC_NOWAIT), "E2BIG");
    expect("msg_copy leaves the queue", stat_of(id).msg_qnum == 6, "%lu", (unsigned long)stat_of(id).msg_qnum);

    expect_text("type 2 first", recv_text(id, 100, 2, 0), "2:b1");
    expect_text("except 3", recv_text(id, 100, 3, MSG_EXCEPT), "1:a1");
    expect_text("lowest up to 5", recv_text(id, 100, -5, 0), "1:a2");
    expect_text("lowest up to 5 again", recv_text(id, 100, -5, 0), "2:b2");
    expect_text("none of type 9", recv_text(id, 100, 9, IPC_NOWAIT), "E42");
    expect_text("none up to 2", recv_text(id, 100, -2, IPC_NOWAIT), "E42");
    expect_text("too small", recv_text(id, 1, 0, IPC_NOWAIT), "E2BIG");
    expect("e2big keeps the message", stat_of(id).msg_qnum == 2, "%lu", (unsigned long)stat_of(id).msg_qnum);
    expect_text("noerror truncates", recv_text(id, 1, 0, MSG_NOERROR), "3:c");
    expect_text("any", recv_text(id, 100, 0, 0), "5:e1");
    ds = stat_of(id);
    expect("drained", ds.msg_qnum == 0 && ds.__msg_cbytes == 0 && ds.msg_lrpid == getpid() && ds.msg_rtime != 0,
           "qnum %lu", (unsigned long)ds.msg_qnum);
    expect_text("empty nowait", recv_text(id, 100, 0, IPC_NOWAIT), "E42");
    send(id, LONG_MAX, "max", 0);
    expect_text("type LONG_MIN", recv_text(id, 100, LONG_MIN, IPC_NOWAIT), "9223372036854775807:max");
    EXPECT_ERR("msgrcv negative size", msgrcv(id, &m, (size_t)-1, 0, IPC_NOWAIT), EINVAL);
    EXPECT_ERR("msgrcv negative id", msgrcv(-1, &m, 10, 0, IPC_NOWAIT), EINVAL);
    send(id, 4, "lost", 0);
    EXPECT_ERR("msgrcv bad buffer", msgrcv(id, (void *)8, 10, 0, IPC_NOWAIT), EFAULT);
    expect("bad buffer lost the message", stat_of(id).msg_qnum == 0, "%lu", (unsigned long)stat_of(id).msg_qnum);
    msgctl(id, IPC_RMID, NULL);
}

/* ---- blocking: full queues, waiting receivers ------------------------- */

static void msg_block(void) {
    int id = msgget(IPC_PRIVATE, 0600);
    struct msqid_ds ds = stat_of(id);
    ds.msg_qbytes = 10;
    msgctl(id, IPC_SET, &ds);
    EXPECT_OK("fill 6", send(id, 1, "aaaaaa", IPC_NOWAIT));
    EXPECT_ERR("no room nowait", send(id, 1, "bbbbb", IPC_NOWAIT), EAGAIN);
    EXPECT_OK("fits 4", send(id, 1, "cccc", IPC_NOWAIT));
    /* qbytes also bounds the number of messages. */
    int id2 = msgget(IPC_PRIVATE, 0600);
    ds = stat_of(id2);
    ds.msg_qbytes = 2;
    msgctl(id2, IPC_SET, &ds);
    send(id2, 1, "", 0);
    send(id2, 1, "", 0);
    EXPECT_ERR("message count bounded", send(id2, 1, "", IPC_NOWAIT), EAGAIN);
    msgctl(id2, IPC_RMID, NULL);

    /* A sender blocks until a receiver makes room. */
    pid_t c = xfork();
    if (c == 0)
        _exit(send(id, 2, "dddddd", 0) == 0 ? 0 : 1);
    wait_sleeping(c);
    expect("sender waiting", stat_of(id).msg_qnum == 2, "%lu", (unsigned long)stat_of(id).msg_qnum);
    expect_text("receive makes room", recv_text(id, 100, 0, 0), "1:aaaaaa");
    const char *ct = wait_text(c);
    expect("sender woke", strcmp(ct, "exited 0") == 0, "%s", ct);
    ds = stat_of(id);
    expect("sender's message queued", ds.msg_qnum == 2 && ds.__msg_cbytes == 10 && ds.msg_lspid == c, "%lu %d",
           (unsigned long)ds.msg_qnum, ds.msg_lspid);
    recv_text(id, 100, 0, 0);
    recv_text(id, 100, 0, 0);

    /* A waiting receiver gets the message straight away: it never queues. */
    int pfd[2];
    if (pipe(pfd) < 0)
        return;
    c = xfork();
    if (c == 0) {
        const char *t = recv_text(id, 100, 5, 0);
        write(pfd[1], t, strlen(t));
        _exit(0);
    }
    wait_sleeping(c);
    send(id, 4, "four", 0);
    send(id, 5, "five", 0);
    ds = stat_of(id);
    expect("handed over, not queued", ds.msg_qnum == 1 && ds.msg_lrpid == c, "qnum %lu lrpid %d",
           (unsigned long)ds.msg_qnum, ds.msg_lrpid);
    wait_text(c);
    char buf[64] = {0};
    read(pfd[0], buf, sizeof buf - 1);
    expect_text("waiting receiver got its type", buf, "5:five");
    expect_text("other type still queued", recv_text(id, 100, 0, IPC_NOWAIT), "4:four");

    /* A message too long for a waiting receiver: E2BIG for it. */
    c = xfork();
    if (c == 0) {
        const char *t = recv_text(id, 2, 0, 0);
        _exit(strcmp(t, "E2BIG") == 0 ? 0 : 1);
    }
    wait_sleeping(c);
    send(id, 1, "long one", 0);
    ct = wait_text(c);
    expect("waiting receiver gets E2BIG", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect("long message queued", stat_of(id).msg_qnum == 1, "%lu", (unsigned long)stat_of(id).msg_qnum);
    recv_text(id, 100, 0, 0);

    /* Receivers are served in arrival order. */
    pid_t r1 = xfork();
    if (r1 == 0) {
        const char *t = recv_text(id, 100, 0, 0);
        _exit(strcmp(t, "1:first") == 0 ? 0 : 1);
    }
    wait_sleeping(r1);
    pid_t r2 = xfork();
    if (r2 == 0) {
        const char *t = recv_text(id, 100, 0, 0);
        _exit(strcmp(t, "1:second") == 0 ? 0 : 1);
    }
    wait_sleeping(r2);
    send(id, 1, "first", 0);
    send(id, 1, "second", 0);
    const char *t1 = wait_text(r1);
    expect("first receiver first", strcmp(t1, "exited 0") == 0, "%s", t1);
    const char *t2 = wait_text(r2);
    expect("second receiver second", strcmp(t2, "exited 0") == 0, "%s", t2);
    msgctl(id, IPC_RMID, NULL);
}

/* ---- removal and signals ---------------------------------------------- */

static void on_usr1(int sig) {
    (void)sig;
}

static void msg_rmid(void) {
    int id = msgget(IPC_PRIVATE, 0600);
    pid_t r = xfork();
    if (r == 0) {
        struct msg m;
        _exit(msgrcv(id, &m, 10, 5, 0) < 0 && errno == EIDRM ? 0 : 1);
    }
    wait_sleeping(r);
    struct msqid_ds ds = stat_of(id);
    ds.msg_qbytes = 1;
    msgctl(id, IPC_SET, &ds);
    send(id, 9, "x", 0);
    pid_t s = xfork();
    if (s == 0)
        _exit(send(id, 1, "y", 0) < 0 && errno == EIDRM ? 0 : 1);
    wait_sleeping(s);
    expect("receiver still waits after ipc_set", waitpid(r, NULL, WNOHANG) == 0, "it ended");
    EXPECT_OK("rmid with waiters", msgctl(id, IPC_RMID, NULL));
    const char *rt = wait_text(r);
    expect("receiver gets EIDRM", strcmp(rt, "exited 0") == 0, "%s", rt);
    const char *st = wait_text(s);
    expect("sender gets EIDRM", strcmp(st, "exited 0") == 0, "%s", st);

    id = msgget(IPC_PRIVATE, 0600);
    r = xfork();
    if (r == 0) {
        struct msg m;
        _exit(msgrcv(id, &m, 10, 0, 0) < 0 && errno == EIDRM ? 0 : 1);
    }
    wait_sleeping(r);
    msgctl(id, IPC_RMID, NULL);
    rt = wait_text(r);
    expect("receiver of any type gets EIDRM", strcmp(rt, "exited 0") == 0, "%s", rt);
}

static void msg_eintr(void) {
    int id = msgget(IPC_PRIVATE, 0600);
    pid_t c = xfork();
    if (c == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART; /* msgrcv is never restarted after a handler */
        sigaction(SIGUSR1, &sa, NULL);
        struct msg m;
        _exit(msgrcv(id, &m, 10, 0, 0) < 0 && errno == EINTR ? 0 : 1);
    }
    wait_sleeping(c);
    kill(c, SIGUSR1);
    const char *ct = wait_text(c);
    expect("msgrcv EINTR", strcmp(ct, "exited 0") == 0, "%s", ct);

    struct msqid_ds ds = stat_of(id);
    ds.msg_qbytes = 1;
    msgctl(id, IPC_SET, &ds);
    send(id, 1, "x", 0);
    c = xfork();
    if (c == 0) {
        signal(SIGUSR1, on_usr1);
        _exit(send(id, 1, "y", 0) < 0 && errno == EINTR ? 0 : 1);
    }
    wait_sleeping(c);
    kill(c, SIGUSR1);
    ct = wait_text(c);
    expect("msgsnd EINTR", strcmp(ct, "exited 0") == 0, "%s", ct);

    /* A stop and continue (no handler) restarts the wait. */
    c = xfork();
    if (c == 0) {
        struct msg m;
        ssize_t n = msgrcv(id, &m, 10, 2, 0);
        _exit(n == 1 && m.mtype == 2 ? 0 : 1);
    }
    wait_sleeping(c);
    kill(c, SIGSTOP);
    int st;
    waitpid_ms(c, &st, WUNTRACED, 5000);
    kill(c, SIGCONT);
    sleep_ms(100);
    recv_text(id, 10, 0, 0);
    send(id, 2, "z", 0);
    ct = wait_text(c);
    expect("restarted after stop", strcmp(ct, "exited 0") == 0, "%s", ct);
    msgctl(id, IPC_RMID, NULL);
}

/* ---- permissions and namespaces --------------------------------------- */

static void msg_perms(void) {
    int id = msgget(IPC_PRIVATE, 0600);
    int id2 = msgget(IPC_PRIVATE, 0622);
    send(id, 1, "x", 0);
    pid_t c = xfork();
    if (c == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(9);
        struct msqid_ds ds;
        EXPECT_ERR("other: send", send(id, 1, "a", IPC_NOWAIT), EACCES);
        EXPECT_ERR("other: receive", msgrcv(id, &(struct msg){0}, 10, 0, IPC_NOWAIT), EACCES);
        EXPECT_ERR("other: stat", msgctl(id, IPC_STAT, &ds), EACCES);
        EXPECT_ERR("other: rmid", msgctl(id, IPC_RMID, NULL), EPERM);
        EXPECT_ERR("other: msgget", msgget(test_key(3), 0), ENOENT);
        EXPECT_OK("other: send to 0622", send(id2, 1, "a", IPC_NOWAIT));
        EXPECT_ERR("other: receive from 0622", msgrcv(id2, &(struct msg){0}, 10, 0, IPC_NOWAIT), EACCES);
        int idx = -1;
        for (int i = 0; i < 32768 && idx < 0; i++) {
            struct msqid_ds d;
            if (msgctl(i, MSG_STAT_ANY, &d) == id)
                idx = i;
        }
        expect("other: msg_stat_any", idx >= 0, "not found");
        EXPECT_ERR("other: msg_stat", msgctl(idx, MSG_STAT, &ds), EACCES);
        int own = msgget(IPC_PRIVATE, 0600);
        ds = stat_of(own);
        ds.msg_qbytes = 20000;
        EXPECT_ERR("other: qbytes above msgmnb", msgctl(own, IPC_SET, &ds), EPERM);
        ds.msg_qbytes = 100;
        EXPECT_OK("other: lower qbytes", msgctl(own, IPC_SET, &ds));
        msgctl(own, IPC_RMID, NULL);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    msgctl(id, IPC_RMID, NULL);
    msgctl(id2, IPC_RMID, NULL);
}

static void msg_ns(void) {
    key_t k = test_key(12);
    int id = msgget(k, IPC_CREAT | 0600);
    send(id, 1, "parent", 0);
    pid_t c = xfork();
    if (c == 0) {
        EXPECT_OK("unshare ipc", unshare(CLONE_NEWIPC));
        EXPECT_ERR("new ns: key not found", msgget(k, 0), ENOENT);
        EXPECT_ERR("new ns: id not found", msgrcv(id, &(struct msg){0}, 10, 0, IPC_NOWAIT), EINVAL);
        FILE *f = fopen("/proc/sysvipc/msg", "r");
        char line[256];
        int lines = 0;
        while (f && fgets(line, sizeof line, f))
            lines++;
        if (f)
            fclose(f);
        expect("new ns: /proc/sysvipc/msg empty", lines == 1, "%d lines", lines);
        _exit(0);
    }
    const char *ct = wait_text(c);
    expect("child", strcmp(ct, "exited 0") == 0, "%s", ct);
    expect("parent's queue untouched", msgget(k, 0) == id && stat_of(id).msg_qnum == 1, "no");
    msgctl(id, IPC_RMID, NULL);
}

static const struct test_group groups[] = {
    {"msg_get", msg_get},     {"msg_order", msg_order}, {"msg_block", msg_block}, {"msg_rmid", msg_rmid},
    {"msg_eintr", msg_eintr}, {"msg_perms", msg_perms}, {"msg_ns", msg_ns},
};

int main(int argc, char **argv) {
    return RUN_GROUPS(argc, argv, groups);
}
