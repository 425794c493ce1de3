/*
 * Prints what a new process finds on its initial stack: argc, argv, the
 * environment (sorted) and the auxiliary vector. Values that differ between
 * runs (addresses, ids) are printed as presence or consistency checks only.
 * The Rust test runs it natively and under husk and compares the output.
 */
#define _GNU_SOURCE
#include "husk_test.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <unistd.h>

extern const ElfW(Ehdr) __ehdr_start;

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints a string with non-printable bytes escaped. */
static void print_escaped(const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == '\\')
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

int main(int argc, char **argv, char **envp) {
    line_buffered_stdout();

    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]: ", i);
        print_escaped(argv[i]);
        putchar('\n');
    }
    check("argv-null-terminated", argv[argc] == NULL);
    check("envp-follows-argv", envp == argv + argc + 1);

    int envc = 0;
    while (envp[envc])
        envc++;
    char **sorted = calloc(envc + 1, sizeof *sorted);
    memcpy(sorted, envp, envc * sizeof *sorted);
    qsort(sorted, envc, sizeof *sorted, cmp_str);
    printf("envc: %d\n", envc);
    for (int i = 0; i < envc; i++) {
        printf("env: ");
        print_escaped(sorted[i]);
        putchar('\n');
    }

    /* The auxiliary vector follows the environment's NULL. */
    ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(envp + envc + 1);
    unsigned long val[64] = {0};
    int seen[64] = {0};
    int count = 0;
    for (ElfW(auxv_t) *a = auxv; a->a_type != AT_NULL; a++) {
        count++;
        if (a->a_type < 64) {
            seen[a->a_type] = 1;
            val[a->a_type] = a->a_un.a_val;
        }
        if (count > 200) {
            printf("auxv: unterminated\n");
            return 1;
        }
    }

#define PRESENT(t) printf("%s: %s\n", #t, seen[t] ? "present" : "missing")
#define VALUE(t) \
    seen[t] ? printf("%s: %lu\n", #t, val[t]) : printf("%s: missing\n", #t)

    /* The program headers, entry point and count describe this binary. */
    const ElfW(Ehdr) *eh = &__ehdr_start;
    uintptr_t base = eh->e_type == ET_DYN ? (uintptr_t)eh : 0;
    PRESENT(AT_PHDR);
    check("AT_PHDR-is-ours",
          val[AT_PHDR] == (uintptr_t)eh + eh->e_phoff);
    VALUE(AT_PHENT);
    PRESENT(AT_PHNUM);
    check("AT_PHNUM-is-ours", val[AT_PHNUM] == eh->e_phnum);
    PRESENT(AT_ENTRY);
    check("AT_ENTRY-is-ours", val[AT_ENTRY] == base + eh->e_entry);
    VALUE(AT_PAGESZ);
    PRESENT(AT_RANDOM);
    if (seen[AT_RANDOM]) {
        /* 16 readable bytes, not all zero. */
        const unsigned char *r = (const unsigned char *)val[AT_RANDOM];
        int nonzero = 0;
        for (int i = 0; i < 16; i++)
            nonzero |= r[i];
        check("AT_RANDOM-nonzero", nonzero);
    }
    PRESENT(AT_HWCAP);
    PRESENT(AT_SYSINFO_EHDR);
    if (seen[AT_SYSINFO_EHDR])
        check("AT_SYSINFO_EHDR-is-elf",
              memcmp((const void *)val[AT_SYSINFO_EHDR], ELFMAG, SELFMAG) == 0);
    PRESENT(AT_EXECFN);
    if (seen[AT_EXECFN]) {
        printf("AT_EXECFN-string: ");
        print_escaped((const char *)val[AT_EXECFN]);
        putchar('\n');
    }
    PRESENT(AT_UID);
    VALUE(AT_SECURE);
    VALUE(AT_CLKTCK);
    printf("done\n");
    return 0;
}
