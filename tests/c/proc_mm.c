/*
 * proc_mm: the memory figures and program layout /proc shows for a process
 * (stat's code/data/stack/argument addresses, statm, status's Vm and Rss
 * lines) and cmdline/environ read from the process's memory, so a program
 * that rewrites its arguments is shown as it rewrote them. Every check
 * prints "name: ok" natively and under husk.
 *
 * Usage: proc_mm GROUP   (groups: layout figures cmdline)
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;
static char **orig_argv, **orig_envp;
static int orig_argc;
/* Initialised data: it lies between start_data and end_data. */
static int some_data = 42;

/* Field N (1-based, as proc(5) numbers them) of /proc/self/stat. */
static unsigned long stat_field(int n) {
    char *s = slurp("/proc/self/stat");
    char *p = s ? strrchr(s, ')') : NULL;
    if (!p)
        return 0;
    p += 2;
    for (int i = 3; i < n && p; i++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoul(p, NULL, 10) : 0;
}

/* "Key:" of /proc/self/status, in kB. */
static long status_kb(const char *key) {
    char *s = slurp("/proc/self/status");
    char *p = s ? strstr(s, key) : NULL;
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void statm(long v[7]) {
    char *s = slurp("/proc/self/statm");
    for (int i = 0; i < 7; i++)
        v[i] = -1;
    if (s)
        sscanf(s, "%ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
}

static char *string_end(char *s) { return s + strlen(s) + 1; }

static void g_layout(void) {
    unsigned long start_code = stat_field(26), end_code = stat_field(27), start_stack = stat_field(28);
    unsigned long main_at = (unsigned long)&g_layout;
    expect("code-holds-main", start_code <= main_at && main_at < end_code, "%lx %lx %lx", start_code, main_at,
           end_code);
    /* The initial stack pointer: argc, just below argv. */
    expect("start-stack-is-argc", start_stack == (unsigned long)orig_argv - 8, "%lx vs %lx", start_stack,
           (unsigned long)orig_argv - 8);
    unsigned long start_data = stat_field(45), end_data = stat_field(46);
    unsigned long d = (unsigned long)&some_data;
    expect("data-holds-data", start_data <= d && d < end_data, "%lx %lx %lx", start_data, d, end_data);
    unsigned long start_brk = stat_field(47);
    expect("brk-after-data", start_brk >= end_data, "%lx %lx", start_brk, end_data);
    unsigned long arg_start = stat_field(48), arg_end = stat_field(49);
    unsigned long env_start = stat_field(50), env_end = stat_field(51);
    expect("arg-start", arg_start == (unsigned long)orig_argv[0], "%lx", arg_start);
    expect("arg-end", arg_end == (unsigned long)string_end(orig_argv[orig_argc - 1]), "%lx", arg_end);
    char **e = orig_envp;
    while (*e && e[1])
        e++;
    expect("env-start", *orig_envp ? env_start == (unsigned long)orig_envp[0] : env_start == arg_end, "%lx",
           env_start);
    expect("env-end", *orig_envp ? env_end == (unsigned long)string_end(*e) : env_end == env_start, "%lx", env_end);
    long m[7];
    statm(m);
    unsigned long text = ((end_code + 4095) & ~4095UL) - (start_code & ~4095UL);
    expect("statm-text", m[3] * 4096 == (long)text, "%ld vs %lu", m[3], text / 4096);
    expect("statm-lib-dt-zero", m[4] == 0 && m[6] == 0, "%ld %ld", m[4], m[6]);
    expect("status-vmexe", status_kb("VmExe:") * 1024 == (long)text, "%ld", status_kb("VmExe:"));
}

/* Sums of /proc/self/maps: executable and not writable; private writable. */
static void maps_sums(long *exec_kb, long *data_kb, long *stack_kb) {
    char *s = slurp("/proc/self/maps");
    *exec_kb = *data_kb = *stack_kb = 0;
    for (char *line = s; line && *line;) {
        char *nl = strchr(line, '\n');
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3) {
            long kb = (long)(hi - lo) / 1024;
            int stack = strstr(line, "[stack]") && (!nl || strstr(line, "[stack]") < nl);
            /* The vsyscall page is not a mapping of the process's. */
            if (strstr(line, "[vsyscall]") && (!nl || strstr(line, "[vsyscall]") < nl))
                kb = 0;
            if (stack)
                *stack_kb += kb;
            else if (perms[2] == 'x' && perms[1] != 'w')
                *exec_kb += kb;
            else if (perms[1] == 'w' && perms[3] == 'p')
                *data_kb += kb;
        }
        line = nl ? nl + 1 : NULL;
    }
}

static void g_figures(void) {
    long exec_kb, data_kb, stack_kb;
    maps_sums(&exec_kb, &data_kb, &stack_kb);
    long exe = status_kb("VmExe:"), lib = status_kb("VmLib:");
    expect("exe-plus-lib-is-exec-maps", exe + lib == exec_kb, "%ld + %ld vs %ld", exe, lib, exec_kb);
    expect("vmdata-is-private-writable", status_kb("VmData:") == data_kb, "%ld vs %ld", status_kb("VmData:"),
           data_kb);
    long m[7];
    statm(m);
    long rss = status_kb("VmRSS:"), anon = status_kb("RssAnon:"), file = status_kb("RssFile:");
    long shmem = status_kb("RssShmem:");
    expect("rss-is-sum", rss == anon + file + shmem, "%ld vs %ld+%ld+%ld", rss, anon, file, shmem);
    expect("program-pages-are-file", file > 0, "%ld", file);
    expect("statm-size", m[0] * 4 == status_kb("VmSize:"), "%ld vs %ld", m[0] * 4, status_kb("VmSize:"));
    expect("statm-data", m[5] * 4 == status_kb("VmData:") + status_kb("VmStk:"), "%ld", m[5]);

    /* Touching 4 MiB of private memory makes it resident anonymous memory. */
    size_t big = 4 << 20;
    long anon0 = status_kb("RssAnon:");
    char *a = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 1, big);
    long anon1 = status_kb("RssAnon:");
    expect("anon-grows", anon1 - anon0 >= 4096 && anon1 - anon0 < 4096 + 512, "%ld", anon1 - anon0);
    statm(m);
    expect("statm-resident-is-vmrss", m[1] * 4 == status_kb("VmRSS:"), "%ld vs %ld", m[1] * 4, status_kb("VmRSS:"));
    expect("statm-shared-is-file-shmem", m[2] * 4 == status_kb("RssFile:") + status_kb("RssShmem:"), "%ld", m[2]);
    /* Linux updates its resident high-water mark lazily (it may even fall
     * after munmap), but never shows it below VmRSS. */
    expect("hwm-covers-rss", status_kb("VmHWM:") >= status_kb("VmRSS:"), "%ld", status_kb("VmHWM:"));
    munmap(a, big);
    expect("hwm-covers-rss-after", status_kb("VmHWM:") >= status_kb("VmRSS:"), "%ld", status_kb("VmHWM:"));
    expect("anon-falls", status_kb("RssAnon:") < anon1 - 4000, "%ld", status_kb("RssAnon:"));

    /* Shared anonymous memory is resident shared memory. */
    long sh0 = status_kb("RssShmem:");
    char *sh = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(sh, 1, 1 << 20);
    long sh1 = status_kb("RssShmem:");
    expect("shmem-grows", sh1 - sh0 >= 1024 && sh1 - sh0 < 1024 + 64, "%ld", sh1 - sh0);
    munmap(sh, 1 << 20);

    /* A 64 MiB mapping raises VmSize, and VmPeak keeps it after munmap. */
    long size0 = status_kb("VmSize:");
    char *r = mmap(NULL, 64 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect("size-grows", status_kb("VmSize:") == size0 + 65536, "%ld", status_kb("VmSize:") - size0);
    munmap(r, 64 << 20);
    expect("size-back", status_kb("VmSize:") == size0, "%ld", status_kb("VmSize:"));
    expect("peak-kept", status_kb("VmPeak:") >= size0 + 65536, "%ld", status_kb("VmPeak:"));

    /* Locked pages. */
    char *l = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long lck0 = status_kb("VmLck:");
    expect("mlock", mlock(l, 4 * 4096) == 0, "%s", errno_name(errno));
    expect("vmlck", status_kb("VmLck:") == lck0 + 16, "%ld", status_kb("VmLck:"));
    munlock(l, 4 * 4096);
    expect("vmlck-back", status_kb("VmLck:") == lck0, "%ld", status_kb("VmLck:"));
    munmap(l, 4 * 4096);
    expect("vmpte", status_kb("VmPTE:") > 0, "%ld", status_kb("VmPTE:"));
}

static void g_cmdline(void) {
    size_t n;
    char *s = slurp_n("/proc/self/cmdline", &n);
    size_t arg_len = string_end(orig_argv[orig_argc - 1]) - orig_argv[0];
    expect("cmdline-as-exec", s && n == arg_len && memcmp(s, orig_argv[0], n) == 0, "%zu vs %zu", n, arg_len);

    /* Arguments overwritten in place (a password hidden from ps). */
    memset(orig_argv[1], 'x', strlen(orig_argv[1]));
    s = slurp_n("/proc/self/cmdline", &n);
    expect("rewritten-arg-shown", s && n == arg_len && memcmp(s + (orig_argv[1] - orig_argv[0]), "xxx", 3) == 0,
           "%s", s ? s + (orig_argv[1] - orig_argv[0]) : "none");

    /* An environment string changed in place shows in environ. */
    if (orig_envp[0] && orig_envp[0][0]) {
        char was = orig_envp[0][0];
        orig_envp[0][0] = '#';
        s = slurp("/proc/self/environ");
        expect("environ-from-memory", s && s[0] == '#', "%c", s ? s[0] : '?');
        orig_envp[0][0] = was;
    } else {
        expect("environ-from-memory", 1, "");
    }

    /* setproctitle: a title over the arguments, past their end into the
     * environment: the last argument byte is no longer NUL, so Linux shows
     * the text up to its first NUL. */
    size_t env_len = 0;
    for (char **e = orig_envp; *e; e++)
        env_len += strlen(*e) + 1;
    size_t room = arg_len + (env_len < 16 ? env_len : 16);
    char title[512];
    size_t tl = room - 1 < sizeof title - 1 ? room - 1 : sizeof title - 1;
    for (size_t i = 0; i < tl; i++)
        title[i] = 'a' + i % 26;
    title[tl] = 0;
    memcpy(orig_argv[0], title, tl + 1);
    s = slurp_n("/proc/self/cmdline", &n);
    int over = tl >= arg_len;
    expect("process-title", s && (over ? (n == tl + 1 && strcmp(s, title) == 0) : n == arg_len), "%zu vs %zu (%s)", n,
           tl + 1, s ? s : "none");
}

static const struct test_group groups[] = {
    {"layout", g_layout},
    {"figures", g_figures},
    {"cmdline", g_cmdline},
};

int main(int argc, char **argv) {
    orig_argv = argv;
    orig_argc = argc;
    orig_envp = environ;
    return RUN_GROUPS(argc, argv, groups);
}
