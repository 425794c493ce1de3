//! Conformance: bash (and busybox sh) features that lean on the kernel
//! behave under `husk do` exactly as natively: here-documents (temporary
//! files or pipes), process substitution (/dev/fd), coprocesses, `wait -n`,
//! traps, `set -e`/pipefail, `read -t`, ulimit, job control in scripts,
//! /dev/tcp, `exec {fd}>`, globstar, long pipelines, exit statuses,
//! signals. Same harness as tests/conform_coreutils.rs.

mod common;
#[path = "common/conform.rs"]
mod conform;

use conform::{Batch, Case};

/// bash reports a job killed by a signal with its pid.
const JOB_PID: &str = r"(line \d+): +\d+ ";

#[test]
fn redirections_and_substitutions() {
    Batch::new("redir")
        .bash(
            "heredocs",
            "cat <<EOF\nhere $((1+2)) ${HOME} `echo cmd`\nEOF\ncat <<-\"EOF\"\n\tquoted $HOME\n\tEOF\n\
             cat <<< 'here string'; read a b <<< 'x y'; echo $b; cat <<EOF | wc -c\n$(seq 10000)\nEOF\n\
             while read l; do echo \"[$l]\"; done <<EOF\n1\n2\nEOF\ncat <<A; cat <<B\na\nA\nb\nB\n\
             f() { cat; }; f <<< 'to function'; x=$(cat <<EOF\nin subst\nEOF\n); echo \"$x\"",
        )
        .bash(
            "process_substitution",
            "paste <(seq 3) <(seq 4 6); echo hi > >(cat); wait; cat <(echo a) <(echo b); diff <(echo a) <(echo b); echo rc=$?
             wc -l < <(seq 100); echo <(true) | grep -c '^/dev/fd/[0-9]*$'; tee >(wc -c) >(wc -l >&2) < <(seq 5) >/dev/null; wait; sleep 0.2
             while read l; do echo got $l; done < <(printf 'a\\nb\\n'); cmp <(seq 1000) <(seq 1000) && echo same",
        )
        .bash(
            "dev_fd_and_named_fds",
            "echo fd1 > /dev/fd/1; echo fd2 2>&1 > /dev/fd/2; exec {fd}>file; echo via named >&$fd; exec {fd}>&-; cat file
             exec {r}<file; read -u $r line; echo $line; exec {r}<&-; exec 7>seven; echo 7 >&7; ls /dev/fd/7 >/dev/null && echo has7
             exec 7>&-; ls /dev/fd/7; echo rc=$?; cat seven; echo data > /dev/stdout; cat < /dev/stdin; exec 3<&0; echo rc=$?
             exec 4<>rw; echo abc >&4; cat rw; exec 4>&-; echo 'x' >> /dev/fd/1; : > trunc; ls -s trunc",
        )
        .case(
            Case::new(
                "stdio_links",
                "ls -l /proc/self/fd/ | awk '$9 ~ /^[0-3]$/ {print $9, $10, $11}'; readlink /proc/$$/fd/0 /proc/$$/fd/1; realpath /dev/stdin
                 echo x | readlink /proc/self/fd/0; readlink /proc/self/fd/1 < /dev/zero; stat -L -c %F /dev/stdin /dev/stdout",
            )
            .sub(r"(pipe|socket):\[\d+\]", "$1:[INO]")
            .sub(r"/proc/\d+/fd", "/proc/PID/fd"),
        )
        .bash(
            "redirection_errors",
            "cat < nonexistent; echo rc=$?; echo x > /; echo rc=$?; mkdir d; echo x > d; echo rc=$?; exec 99>&-; echo rc=$?
             echo > /dev/full; echo rc=$?; cat /dev/null > out; ls -s out; echo hi >&-; echo rc=$?; set -C; echo a > out; echo rc=$?",
        )
        .check();
}

#[test]
fn jobs_and_signals() {
    Batch::new("jobs")
        .case(Case::new(
            "coproc_and_wait",
            "coproc C { read l; echo got $l; }; echo ping >&${C[1]}; read r <&${C[0]}; echo $r; wait $C_PID; echo cop=$?
             sleep 0.4 & sleep 0.1 & wait -n; echo waitn=$?; jobs | wc -l; wait; (exit 3) & wait $!; echo st=$?
             (sleep 0.3; exit 1) & (exit 2) & wait -n; echo first=$?; wait; sleep 5 & pid=$!; kill $pid; wait $pid; echo killed=$?
             wait 12345; echo nochild=$?",
        ).sub(JOB_PID, "$1: PID "))
        .case(Case::new(
            "traps",
            "trap 'echo exit trap' EXIT; trap 'echo err trap $?' ERR; false; trap 'echo chld' CHLD; (exit 3); echo sub=$?
             true & wait; trap - CHLD; trap 'echo got usr1' USR1; kill -USR1 $$; trap -p USR1; trap '' INT; kill -INT $$; echo survived
             trap 'echo term; exit 5' TERM; kill $$; echo notreached",
        ))
        .bash(
            "set_e_pipefail",
            "set -o pipefail; false | true; echo pf=$?; true | (exit 4) | true; echo pf=$?; set +o pipefail; false | true; echo nopf=$?
             echo ${PIPESTATUS[@]}; (exit 2) | (exit 3); echo ${PIPESTATUS[@]}; bash -c 'set -e; false; echo no'; echo e=$?
             bash -c 'set -e; if false; then :; fi; false || true; echo yes'; bash -c 'set -eu; echo $undefined'; echo u=$?
             bash -c 'set -e; f() { false; echo in-f; }; f || echo handled'; bash -o errexit -c '(false); echo no'; echo sub=$?",
        )
        .case(Case::new(
            "job_control_in_scripts",
            "set -m; sleep 5 & jobs; kill -STOP %1; sleep 0.1; jobs; kill -CONT %1; jobs -l | sed 's/ \\+[0-9]\\+ / PID /'; kill %1; wait
             jobs; sleep 0.2 & p=$!; [ \"$(ps -o pgid= $p | tr -d ' ')\" = \"$p\" ] && echo own-group; wait
             (sleep 0.1; exit 3) & wait %%; echo rc=$?; disown -a; echo done",
        ).sub(JOB_PID, "$1: PID "))
        .case(Case::new(
            "kill_and_signals",
            "kill -l | head -3; kill -l 15; kill -l TERM; kill -l 137; sleep 5 & kill -TERM $!; wait $!; echo $?
             sleep 5 & kill -KILL $!; wait $!; echo $?; sleep 5 & kill -HUP $!; wait $!; echo $?; kill -0 99999; echo rc=$?
             kill -s NOSUCH $$; echo rc=$?; ulimit -c 0; bash -c 'kill -SEGV $$'; echo segv=$?; bash -c 'kill -ABRT $$'; echo abrt=$?
             sh -c 'kill -PIPE $$'; echo pipe=$?; yes | head -1; echo ${PIPESTATUS[@]}; timeout -s INT 0.1 sleep 1; echo int=$?",
        ).sub(JOB_PID, "$1: PID "))
        .check();
}

#[test]
fn builtins_and_limits() {
    Batch::new("builtins")
        .bash(
            "arrays_and_expansion",
            "a=(one two three); echo ${#a[@]} ${a[1]} ${a[@]:1}; declare -A m=([k]=v [z]=w); echo ${m[k]} ${#m[@]}; a+=(four); echo ${a[-1]}
             s='hello world'; echo ${s^^} ${s#* } ${s/o/0} ${#s} ${s:3:4}; set -- x y z; echo $# $2 \"$*\"; shift; echo $@
             mapfile -t lines < <(seq 3); echo ${lines[2]}; printf -v v '%03d' 7; echo $v; echo $((2**10)) $((7%3)) $((1<<4))
             i=0; while ((i < 3)); do ((i++)); done; echo $i; for ((j=0;j<2;j++)); do echo j$j; done; echo {a..c} {1..5..2}
             x=${undefined:-default}; echo $x; : ${y:=set}; echo $y; echo ${z:+alt}; IFS=: read -r p q <<< 'a:b'; echo $q",
        )
        .bash(
            "read_timeouts",
            "read -t 0.1 x < <(sleep 1); echo rt=$?; read -t 0 x < /dev/null; echo rt0=$?; read -t 1 x < <(echo quick); echo $x
             read -n 3 c <<< abcdef; echo $c; read -d , f <<< 'a,b'; echo $f; read -s -t 0.05 z; echo silent=$?
             mkfifo ff; (sleep 0.2; echo late > ff) & read -t 2 w < ff; echo $w; wait; read -t 0.1 q <> ff; echo fifo=$?",
        )
        .case(
            Case::new(
                "ulimit_umask_times",
                "ulimit -a; ulimit -n; ulimit -Sn 100; ulimit -n; (ulimit -n 50; ulimit -n); ulimit -Hn >/dev/null; ulimit -s; ulimit -c
                 ulimit -n 100000000; echo rc=$?; ulimit -v 1000000; (ulimit -v); ulimit -f 1; dd if=/dev/zero of=big bs=1k count=2 2>/dev/null
                 echo f=$?; ls -s big; umask; umask -S; umask 027; umask -S; touch f; stat -c %a f; mkdir d; stat -c %a d
                 times | wc -l; times | tr -d '0-9.' ",
            )
            .sub(JOB_PID, "$1: PID "),
        )
        .case(Case::new(
            "random_and_special_vars",
            "echo $((RANDOM < 32768)); RANDOM=42; echo $RANDOM $RANDOM; SRANDOM=1; [ -n \"$SRANDOM\" ] && echo srandom
             [ $$ -gt 0 ] && echo pid; [ $BASHPID = $$ ] && echo same; (  [ $BASHPID != $$ ] && echo subshell-differs )
             echo $0 | grep -c random_and_special_vars; echo $SHLVL $- | tr -d 'B'; [ -n \"$PPID\" ] && echo ppid; echo $UID $EUID
             echo ${BASH_VERSINFO[0]} $HOSTTYPE $OSTYPE; [ \"$HOSTNAME\" = \"$(hostname)\" ] && echo hostname; echo $PWD | grep -c random
             echo $((SECONDS < 5)); type cd; command -v ls; hash -r; type -t ls; enable -n echo; echo builtin; enable echo; echo $LINENO",
        ))
        .bash(
            "globbing",
            "shopt -s extglob\n             shopt -s globstar; mkdir -p g/a/b; touch g/a/b/x.txt g/y.txt g/.hidden; echo g/**/*.txt; echo g/*; shopt -s dotglob; echo g/*
             shopt -s nullglob; echo none*; shopt -u nullglob; echo none*; echo g/!(a); echo g/@(y|z).txt
             shopt -s nocaseglob; echo G/*.TXT g/Y.*; shopt -s failglob; echo nomatch*; echo rc=$?; cd g; echo **; echo [xy]*",
        )
        .check();
}

#[test]
fn pipelines_and_processes() {
    Batch::new("pipes")
        .bash(
            "long_pipelines",
            "seq 1000 | cat | cat | cat | cat | cat | cat | cat | cat | cat | cat | cat | cat | cat | cat | cat | cat | tail -1
             seq 100000 | grep 7 | sort -r | uniq | wc -l; yes | head -c 1000000 | wc -c; seq 20 | while read n; do echo $((n*n)); done | tail -1
             for i in $(seq 30); do echo $i; done | paste -sd+ | bc; (seq 3; seq 4 6) | tac | head -2; echo $(echo $(echo $(echo deep)))",
        )
        .case(Case::new(
            "subshell_exit_codes",
            "(exit 7); echo $?; ( ( exit 9 ) ); echo $?; bash -c 'exit 300'; echo $?; bash -c 'exit -1'; echo $?; sh -c 'exit 255'; echo $?
             $(exit 4); echo $?; x=$(exit 5); echo $?; ! true; echo $?; ! false; echo $?; nonexistent_cmd; echo $?; ./nope; echo $?
             touch noexec; ./noexec; echo $?; chmod +x noexec; ./noexec; echo $?; printf '#!/nonexistent\\n' > badi; chmod +x badi; ./badi; echo $?
             printf '#!/bin/sh\\nexit 12\\n' > ok.sh; chmod +x ok.sh; ./ok.sh; echo $?; mkdir dir; ./dir; echo $?; exec 2>&1; bash -c 'kill -9 $$'; echo $?",
        ).sub(JOB_PID, "$1: PID "))
        .case(Case::new(
            "dev_tcp_loopback",
            "port=$((20000 + RANDOM % 20000)); (busybox nc -l -p $port -e echo served &); for i in $(seq 50); do
               { exec 3<>/dev/tcp/127.0.0.1/$port; } 2>/dev/null && break; sleep 0.1; done; read -r line <&3; echo \"$line\"
             exec 3<&-; exec 4<>/dev/tcp/127.0.0.1/1; echo refused=$?; echo > /dev/tcp/localhost/1; echo refused=$?",
        ))
        .bash(
            "many_processes",
            "for i in $(seq 50); do (echo $i) & done | sort -n | tail -1; wait; for i in $(seq 20); do bash -c 'echo $((1+1))'; done | uniq -c
             seq 200 | xargs -n 1 -P 4 sh -c 'echo $(($0 * 2))' | sort -n | tail -1; ( sleep 0.1; echo a ) & ( echo b ) ; wait",
        )
        // Python writes an empty string before each line of a traceback: a
        // null write to a pipe must not wait for room or a reader.
        .bash(
            "tracebacks_into_pipes",
            "python3 -c 'import os; os.get_terminal_size()' 2>&1 | tail -1; python3 -c 'raise SystemExit(\"bye\")' 2>&1 | cat
             python3 -c 'import os; print(os.write(1, b\"\"))' | cat; python3 -c 'x = 1/0' 2>&1 >/dev/null | wc -l",
        )
        .check();
}

// `wait $!` for a job killed by a signal: ash prints "Terminated" only
// when that wait is what reaps the job; one that died before the wait
// began is reaped silently (natively too, e.g. with a sleep between the
// kill and the wait). The message is timing, so it goes to /dev/null.
#[test]
fn busybox_shell() {
    Batch::new("ash")
        .bb(
            "ash_basics",
            "cat <<EOF\nhere $((6*7))\nEOF\nx=$(echo sub); echo $x; f() { return 3; }; f; echo $?; set -- a b; echo $#
             trap 'echo exit trap' EXIT; (exit 4); echo $?; false | true; echo $?; echo ${#x} ${x%b}; i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i
             read v <<EOF\nread-heredoc\nEOF\necho $v; sleep 5 & kill $!; wait $! 2>/dev/null; echo $?; ulimit -n; umask; echo $((RANDOM >= 0))
             exec 3>f3; echo three >&3; exec 3>&-; cat f3; mkfifo p; (echo fifo > p &); read l < p; echo $l; kill -l 9; echo done",
        )
        .bb(
            "ash_jobs_and_errors",
            "set -e; (false) || echo caught; sh -c 'exit 3'; echo never",
        )
        .check();
}
