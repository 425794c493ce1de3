//! Conformance: Debian's /bin/bash running non-interactive scripts under
//! `husk do` behaves exactly as natively, deeper than tests/conform_shell.rs:
//! coprocesses, process substitution, `wait -n`/`-p`/`-f`, `read` timeouts
//! and readiness, `select`, traps (EXIT, ERR, RETURN, DEBUG, signals sent
//! by children), job control built-ins, named descriptors, here-documents
//! on both sides of the pipe/temporary-file cut, ulimit read back by
//! children, special variables, PATH search, `exec` forms, deep nesting,
//! many jobs, write errors, `cd -P`, trees deeper than PATH_MAX, listing
//! order of host directories, real-time and resource-limit signals,
//! argument size limits and exec failures (`#!` parsing, ETXTBSY). Each
//! case runs in a fresh directory on both sides (tests/common/conform.rs);
//! only pids, pipe inodes and temporary file names are normalised.

mod common;
#[path = "common/conform.rs"]
mod conform;

use conform::{Batch, Case};

/// bash reports a job that died of a signal with its pid.
const JOB_PID: &str = r"(line \d+): +\d+ ";
/// Pipe inode numbers and bash's here-document file names.
const PIPE_INO: &str = r"pipe:\[\d+\]";
const HEREDOC_FILE: &str = r"sh-thd\.\w+";

/// Closes the descriptors above 2 a case inherits (other than bash's own
/// 255): natively the test runner may leak some (the sandbox gets only
/// stdio), and the cases below list or allocate descriptors.
fn own_fds(script: &str) -> String {
    format!(
        "for f in /proc/$$/fd/*; do n=${{f##*/}}; [ $n -gt 2 ] && [ $n -ne 255 ] && eval \"exec $n>&-\"; done 2>/dev/null\n{script}"
    )
}

#[test]
fn coproc_and_process_substitution() {
    Batch::new("coproc")
        .bash(
            "coprocesses",
            r#"coproc C { while read l; do echo "got $l"; done; }
echo ping >&${C[1]}; read r <&${C[0]}; echo $r
echo pong >&${C[1]}; read r <&${C[0]}; echo $r
exec {C[1]}>&-; wait $C_PID; echo cop=$?
coproc NAMED { cat; exit 4; }; echo x >&${NAMED[1]}; read -u ${NAMED[0]} y; echo $y; eval "exec ${NAMED[1]}>&-"; wait $NAMED_PID; echo named=$?
coproc { sleep 0.2; echo done; }; echo pid-set=$([ -n "$COPROC_PID" ] && echo y); cat <&${COPROC[0]}; wait $COPROC_PID; echo $?
coproc bc -l; echo '2^10' >&${COPROC[1]}; read -u ${COPROC[0]} r; echo bc=$r; kill $COPROC_PID; wait $COPROC_PID; echo killed=$?"#,
        )
        .bash(
            "process_substitution",
            &own_fds(r#"cat <(echo a) <(echo b); echo <(true) | sed 's/[0-9]\+/N/'; echo <(:) >(:) | tr -c ' \n' x; wait
echo hi > >(cat > out.txt); wait $!; cat out.txt
mapfile -t arr < <(seq 5); echo ${#arr[@]} ${arr[4]}; readarray -t -n 2 b < <(printf 'x\ny\nz\n'); declare -p b
mapfile -t -s 1 -n 2 c < <(seq 10); echo "${c[*]}"; mapfile -C 'echo cb' -c 2 d < <(seq 4)
diff <(seq 3) <(seq 3) && echo same; exec 5< <(echo from5); cat <&5; exec 5<&-
f=<(echo content); cat $f; cat $f; echo reread=$?
exec 3< <(echo three; sleep 0.1; echo four); read a <&3; read b <&3; echo $a $b; exec 3<&-
cat <(ls -l /proc/self/fd/ | awk 'NR>1{print $9}' | sort -n | tr '\n' ' '); echo
ls -l /dev/fd/ | awk 'NR>1 {print $9, $10}'; ls /proc/self/fd | wc -l"#),
        )
        .bash(
            "wait_n_and_p",
            r#"sleep 0.3 & a=$!; (exit 3) & b=$!; wait -n -p who; echo st=$? $([ "$who" = "$b" ] && echo b-first); wait
sleep 0.2 & wait -n; echo $?; wait -n; echo none=$?
(exit 5) & sleep 0.1; (exit 6) & sleep 0.2; wait -n -p x; echo $?; wait -n -p y; echo $?; wait -n -p z; echo $? z=${z-unset}
sleep 0.1 & p=$!; wait -p w $p; echo $? $([ "$w" = "$p" ] && echo named)"#,
        )
        .check();
}

#[test]
fn read_and_select() {
    Batch::new("read")
        .bash(
            "read_timeouts",
            r#"s=$EPOCHREALTIME; read -t 0.2 x < <(sleep 2); st=$?; e=$EPOCHREALTIME
echo st=$st; awk -v s=$s -v e=$e 'BEGIN{d=e-s; print (d>=0.19 && d<1.5) ? "timed" : "bad " d}'
mkfifo p; exec 3<>p; read -t 0 -u 3; echo empty=$?; echo line >&3; read -t 0 -u 3; echo ready=$?; read -u 3 l; echo $l
{ sleep 0.3; echo late; } | { read -t 0; echo r0=$?; sleep 0.5; read -t 0; echo r1=$?; read l; echo $l; }
read -t 0.1 v <<< ''; echo here=$?; read -t 0.1 -n 1 k < /dev/null; echo null=$?
TMOUT=0.1 read z < <(sleep 1); echo tmout=$?; read -n 2 -t 1 q < <(printf 'xyz'); echo q=$q"#,
        )
        .bash(
            "read_n_and_select",
            r#"echo abcdefgh | { read -N 3 a; read -N 10 b; echo "[$a][$b]"; }
printf 'a\nb' | { read -N 4 x; echo "[$x]" | od -c | head -1; }
printf 'a b\\ c\n' | { read -r x y; echo "$y"; }; printf 'a b\\\nc\n' | { read x y; echo "$y"; }
printf '2\n' | select c in red green blue; do echo chose $c $REPLY; break; done
printf 'x\n9\n' | select c in one two; do echo "c=[$c] r=$REPLY"; done; echo sel=$?
PS3='pick> '; printf '1\n' | select c in only; do echo $c; break; done"#,
        )
        .check();
}

#[test]
fn traps_and_kill() {
    Batch::new("traps")
        .bash(
            "traps",
            r#"trap 'echo exit trap $?' EXIT
trap 'echo err at $LINENO rc=$?' ERR
false
f() { trap 'echo return from f' RETURN; return 3; }; f; echo f=$?
trap - RETURN
g() { echo in g; }; set -T; trap 'echo ret g' RETURN; g; set +T; trap - RETURN
trap 'echo dbg: $BASH_COMMAND' DEBUG; x=1; y=2; trap - DEBUG
trap 'echo usr1 got' USR1
bash -c "kill -USR1 $$"; echo after1
sh -c 'kill -s USR1 $PPID' ; echo usr-sh
(kill -USR1 $$); echo after2
/bin/kill -USR1 $$; echo after3
trap 'echo usr2' USR2; kill -USR2 $BASHPID
trap -p | sed 's/[0-9]//g'
trap '' HUP; bash -c 'trap -p HUP; kill -HUP $$; echo hup-ignored'
trap 'echo chld' CHLD; sleep 0.1 & wait; trap - CHLD
(trap 'echo got-tstp' TSTP; kill -TSTP $BASHPID; echo cont); echo tstp=$?
exit 3"#,
        )
        .case(
            Case::new(
                "kill_and_jobs",
                r#"kill -l | head -2; kill -l 9 SEGV 130 64; kill -l -s 2>&1; echo kl=$?
kill -L 2>&1 | tail -1
sleep 10 & kill -s TERM %1; wait %1; echo term=$?
sleep 10 & kill -s STOP %+; sleep 0.2; jobs -l | sed 's/ *[0-9]\+ / PID /'; kill -s KILL %1; wait %1; echo kill=$?
sleep 0.1 & kill %1; wait %1; echo $?
sleep 1 & disown; jobs; echo disowned=$?; wait; echo w=$?
sleep 1 & disown -h %1; jobs; kill %1; wait
sleep 5 & disown -r; jobs | wc -l; kill $!"#,
            )
            .sub(JOB_PID, "$1: PID "),
        )
        .case(
            Case::new(
                "realtime_and_limit_signals",
                r#"kill -l 34 35 50 64; trap 'echo rt1' RTMIN+1; kill -s RTMIN+1 $$; trap 'echo rtmax' RTMAX; kill -RTMAX $$; trap - RTMIN+1 RTMAX
bash -c 'kill -s RTMIN+2 $$'; echo rt=$?
trap 'echo winch' WINCH; kill -WINCH $$; trap 'echo cont' CONT; kill -CONT $$; trap 'echo alrm' ALRM; kill -ALRM $$
(ulimit -St 1; exec bash -c 'trap "echo child-xcpu; exit 7" XCPU; while :; do :; done'); echo xcpu=$?
(ulimit -St 1; exec bash -c 'while :; do :; done'); echo xcpu-default=$?
(ulimit -f 1; exec bash -c 'head -c 2000 /dev/zero > big; echo st=$?; ls -s big')"#,
            )
            .sub(JOB_PID, "$1: PID "),
        )
        .bash(
            "signals_during_read_and_wait",
            r#"mkfifo ff; exec 3<>ff
s=$EPOCHREALTIME; sleep 0.1 & read -t 0.6 -u 3 x; st=$?; e=$EPOCHREALTIME; echo chld-during-read=$st $(( (${e/./} - ${s/./}) >= 550000 )); wait
trap 'echo usr1' USR1; s=$EPOCHREALTIME; (sleep 0.1; kill -USR1 $$) & read -t 0.6 -u 3 x; st=$?; e=$EPOCHREALTIME; echo usr-during-read=$st $(( (${e/./} - ${s/./}) >= 550000 )); wait
(sleep 0.2; kill -USR1 $$) & sleep 2 & wait $!; echo wait-intr=$?; kill %2; wait
(sleep 0.1; kill -USR1 $$) & sleep 0.4; echo sleep=$?; wait; trap - USR1
(sleep 0.2; echo data >&3) & read -u 3 z; echo z=$z; wait"#,
        )
        .case(
            Case::new(
                "job_control",
                r#"set -m
sleep 10 & kill -s STOP %1; sleep 0.1; jobs; bg %1; sleep 0.1; jobs; kill -s TERM %1; wait %1; echo st=$?
(sleep 0.2; echo sub-done) & fg %1; echo fg=$?
bash -c 'sleep 5 & sleep 5 & wait' & sleep 0.2; kill -s INT %1; wait %1; echo int=$?; sleep 0.1
sleep 3 & p=$!; kill -STOP $p; sleep 0.1; (sleep 0.3; kill -CONT $p; sleep 0.1; kill $p) & wait -f $p; echo waitf=$?; wait
set +m; suspend 2>&1; echo susp=$?
( sleep 0.1 ; exit 9 ) & p=$!; wait; echo plain-wait=$?; wait $p; echo again=$?"#,
            )
            .sub(JOB_PID, "$1: PID ")
            .sub(r"pid \d+ is not", "pid PID is not"),
        )
        .check();
}

#[test]
fn descriptors_and_heredocs() {
    Batch::new("fds")
        .case(
            Case::new(
                "named_fds",
                &own_fds(r#"fds() { ls -v /proc/$$/fd > .fds; tr '\n' ' ' < .fds; echo; }
exec {fd}>file; echo fd=$((fd >= 10)); echo via >&$fd; ls -l /proc/self/fd/$fd | grep -c "$PWD/file"; exec {fd}>&-; cat file; echo x >&$fd; echo closed=$?
exec {a}<file {b}>>file; echo more >&$b; cat <&$a; exec {a}<&- {b}>&-
fds
exec 3>three 4<&0; fds; exec 3>&- 4<&-
( exec >sub.out; echo inside ); cat sub.out
(ulimit -n 12; exec {x}>f; echo x=$x; exec {y}>g; echo y=$y; exec {z}>h; echo z=$?) 2>&1
echo moved 3>&1 1>&2- | cat; exec 6>six; exec 7>&6-; fds; exec 7>&-
exec 8<>rw; echo hello >&8; cat rw; exec 8>&-; : <> created; ls created"#),
            )
            .sub(PIPE_INO, "pipe:[INO]"),
        )
        .case(
            Case::new(
                "heredoc_sizes",
                r#"big=$(head -c 70000 /dev/zero | tr '\0' a); cat <<EOF | wc -c
$big
EOF
cat <<< "$big" | wc -c
small=$(head -c 1000 /dev/zero | tr '\0' b)
cat <<EOF | wc -c
$small
EOF
ls -l /proc/self/fd/0 <<< "x" | sed 's/.*-> //'
ls -l /proc/self/fd/0 <<< "$big" | sed 's/.*-> //'
ls -l /proc/self/fd/0 <<EOF | sed 's/.*-> //'
$small
EOF
stat -L -c %F /dev/stdin <<< "$big"; stat -L -c %F /dev/stdin <<< "x"
read -r -d '' v <<< "$big"; echo ${#v}
mid=$(head -c 65535 /dev/zero | tr '\0' c); stat -L -c %F /dev/stdin <<< "$mid"; cat <<< "${mid}x" | wc -c
f() { cat; }; f <<< "$big" | tail -c 3 | od -c | head -1; x=$(cat <<< "$big"); echo ${#x}"#,
            )
            .sub(PIPE_INO, "pipe:[INO]")
            .sub(HEREDOC_FILE, "sh-thd.X"),
        )
        .bash(
            "printf_and_time",
            r#"printf -v out '%s-%05.1f-%x' abc 3.14159 255; echo "$out"; printf -v 'arr[3]' '%s' elem; echo ${arr[3]}
printf '%q\n' 'a b$c'; printf '%(%Y)T\n' 0; printf '%b' 'x\ty\n'; printf -v; echo pv=$?
printf -v n '%d' 0x1f; echo $n; printf '%d\n' abc; echo bad=$?; printf '%s|' a b c; echo
TIMEFORMAT='real=%0R user=%0U sys=%0S pct'; time true
TIMEFORMAT='%3lR'; { time sleep 0.01; } 2>&1 | sed 's/[0-9]/N/g'
unset TIMEFORMAT; { time true; } 2>&1 | sed 's/[0-9]/N/g'
{ time -p true; } 2>&1 | sed 's/[0-9]/N/g'
TIMEFORMAT='%R'; { time sleep 0.1; } 2>&1 | awk '{print ($1 >= 0.1 && $1 < 0.5)}'
times | wc -l"#,
        )
        .check();
}

#[test]
fn limits_read_back() {
    Batch::new("ulimit")
        .bash(
            "ulimit_set_and_children",
            r#"ulimit -a
ulimit -n 100; ulimit -Sn; bash -c 'ulimit -n'; grep 'open files' /proc/self/limits
ulimit -s 4096; ulimit -s; bash -c 'ulimit -s'; grep -i 'stack' /proc/self/limits
ulimit -v 2000000; bash -c 'ulimit -v'; grep 'address space' /proc/self/limits
ulimit -c 1024; bash -c 'ulimit -c'; grep 'core' /proc/self/limits
ulimit -Sc 512; ulimit -c; ulimit -Hc; bash -c 'ulimit -Hc; ulimit -Sc'
ulimit -n 1000000000; echo big=$?; ulimit -Hn 50; ulimit -n
ulimit -l; ulimit -q; ulimit -e; ulimit -r; ulimit -x; ulimit -T 2>&1; ulimit -P 2>&1
ulimit -t 100; bash -c 'ulimit -t'; ulimit -f 1000; bash -c 'ulimit -f'; ulimit -m 5000; bash -c 'ulimit -m'
ulimit -S -a | head -3"#,
        )
        // Raising a hard limit needs CAP_SYS_RESOURCE, which a native root
        // in a container may lack: these run as an unprivileged user.
        .bash(
            "ulimit_unprivileged",
            r#"ulimit -c 1024; setpriv --reuid=65534 --regid=65534 --clear-groups bash -c 'ulimit -Hc 2048; echo raise=$?; ulimit -c 512; ulimit -c; ulimit -Hc 4096; echo $?; ulimit -n 1000000000; echo $?; ulimit -s unlimited; echo s=$?'
ulimit -n 1000000000; echo big=$?; ulimit -Hn 50; echo lower=$?; ulimit -n; ulimit -Sn 60; echo raise=$?"#,
        )
        .case(
            Case::new(
                "limits_enforced",
                r#"(ulimit -s 1024; bash -c 'f() { f; }; FUNCNEST=0; f' 2>/dev/null; echo rec=$?)
(ulimit -t 1; bash -c 'while :; do :; done'; echo cpu=$?)
(ulimit -v 100000; python3 -c 'x = bytearray(200 << 20)' 2>&1 | tail -1; echo py=${PIPESTATUS[0]})
(ulimit -v 20000; /bin/true; echo small-v=$?)
(ulimit -n 5; cat /dev/null 3<&0 4<&0; echo n5=$?; exec 6>x; echo e6=$?) 2>&1
ulimit -c 0; bash -c 'kill -SEGV $$'; echo segv=$?"#,
            )
            .sub(JOB_PID, "$1: PID "),
        )
        .check();
}

#[test]
fn special_variables() {
    Batch::new("vars")
        .bash(
            "pids_random_time",
            r#"echo $$ $BASHPID | awk '{print ($1==$2)}'; ( echo $$ $BASHPID | awk '{print ($1!=$2)}' ); ( ( [ $BASHPID != $$ ] && echo nested ) )
( [ $PPID = "$(ps -o ppid= $$ | tr -d ' ')" ] && echo ppid-ok ); bash -c '[ $PPID = '$$' ] && echo child-ppid'
x=$(echo $BASHPID); [ $x != $$ ] && echo cmdsub-differs; echo $BASHPID | { read y; [ $y != $$ ] && echo pipe-differs; }
[ "$(cut -d' ' -f4 /proc/$$/stat)" = "$PPID" ] && echo stat-ppid; [ "$(cut -d' ' -f1 /proc/self/stat)" != $$ ] && echo self
RANDOM=1; echo $RANDOM $RANDOM $RANDOM; RANDOM=1; a=$RANDOM; RANDOM=1; b=$RANDOM; [ $a = $b ] && echo seeded
RANDOM=7; echo $RANDOM; RANDOM=12345; for i in 1 2 3 4 5; do echo -n "$RANDOM "; done; echo
SECONDS=0; sleep 1.1; echo sec=$((SECONDS == 1 || SECONDS == 2)); SECONDS=100; echo $SECONDS
prev=$EPOCHREALTIME; ok=1; for i in $(seq 200); do now=$EPOCHREALTIME; [[ ${now/./} -ge ${prev/./} ]] || ok=0; prev=$now; done; echo mono=$ok
[[ $EPOCHREALTIME =~ ^[0-9]+\.[0-9]{6}$ ]] && echo fmt; s1=$EPOCHSECONDS; d=$(date +%s); echo $((d - s1 <= 1))
e1=$EPOCHREALTIME; sleep 0.2; e2=$EPOCHREALTIME; echo $(( (${e2/./} - ${e1/./}) >= 200000 && (${e2/./} - ${e1/./}) < 1000000 ))
caller; f() { caller 0 | sed 's|/.*/||'; }; f; echo ${FUNCNAME[@]-none}; echo ${BASH_VERSION%%.*}; shopt -q login_shell; echo login=$?"#,
        )
        .bash(
            "builtins_and_path_search",
            r#"enable -n echo; type -t echo; echo still-works; enable echo; type -t echo; enable -n test; [ 1 = 1 ] && echo; type -t test; enable -a | grep -c 'enable -n'
enable -n kill; type -t kill; enable kill
hash -r; ls >/dev/null; hash | tail -n +2 | awk '{print $2}'; hash -r; hash; echo h=$?; hash -t ls; hash -d ls; hash -p /bin/echo myecho; hash -t myecho; myecho via-hash
command -v ls cd nosuch; echo cv=$?; command -V cd; type -P ls; type -P cd; echo tp=$?; type -a echo; type -t if; type -p bash; command -p -v ls
mkdir -p a b; printf '#!/bin/sh\necho from-a\n' > a/tool; printf '#!/bin/sh\necho from-b\n' > b/tool; chmod +x b/tool; PATH=$PWD/a:$PWD/b:$PATH; tool; type -P tool; hash -r
chmod +x a/tool; chmod -x b/tool; hash -r; tool; PATH=$PWD/b:/usr/bin:/bin; tool; echo nx=$?; hash -r; type -P tool; echo tpn=$?
PATH=/usr/bin:/bin
mkdir -p d1; printf 'echo sourced-from-path\n' > d1/srcme; PATH=$PWD/d1:$PATH; . srcme; PATH=/usr/bin:/bin"#,
        )
        .check();
}

#[test]
fn options_nesting_and_many_jobs() {
    Batch::new("options")
        .bash(
            "pipefail_lastpipe_xtrace",
            r#"set -o pipefail; false | true; echo $?; (exit 3) | (exit 4) | true; echo $? ${PIPESTATUS[*]}; yes | head -1 >/dev/null; echo yes=$? ${PIPESTATUS[*]}; set +o pipefail
shopt -s lastpipe; echo piped | read v; echo v=$v; seq 3 | while read n; do last=$n; done; echo last=$last; shopt -u lastpipe; echo again | read w; echo w=${w-unset}
exec 7>trace.log; BASH_XTRACEFD=7; set -x; echo traced; : hidden $((1+1)); set +x; unset BASH_XTRACEFD; exec 7>&-; cat trace.log
PS4='+[$LINENO] '; set -x; true one; set +x"#,
        )
        .bash(
            "exec_forms",
            r#"( exec -a myname bash -c 'echo $0; cat /proc/$$/cmdline | tr "\0" " "; echo' ); (exec -a fakeps sleep 0.3 & sleep 0.1; ps -o args= -p $! ; wait)
exec 3>&1; exec >redir.out; echo to-file; exec >&3 3>&-; cat redir.out; exec 4>&2 2>err.out; ls /nonexistent; exec 2>&4 4>&-; sed 's/ls: //' err.out
(exec nonexistent_zz); echo after-exec=$?; (exec true) ; echo ok=$?"#,
        )
        .bash(
            "nesting_and_many_jobs",
            r#"f() { echo $BASH_SUBSHELL; }; ( ( ( f ) ) ); s='echo $BASH_SUBSHELL'; for i in $(seq 49); do s="( $s )"; done; eval "$s"
d() { if [ $1 -lt 50 ]; then ( d $(( $1 + 1 )) ); else echo depth=$1 sub=$BASH_SUBSHELL; fi; }; d 0
for i in $(seq 200); do (exit $((i % 7))) & done; wait; echo all-waited=$?; jobs -r | wc -l
pids=(); for i in $(seq 200); do sleep 0.0$((i % 5)) & pids+=($!); done; fails=0; for p in "${pids[@]}"; do wait $p || fails=$((fails+1)); done; echo fails=$fails
sum=0; for i in $(seq 200); do (exit $((i % 3))) & pids[$i]=$!; done; for i in $(seq 200); do wait ${pids[$i]}; sum=$((sum + $?)); done; echo sum=$sum"#,
        )
        .check();
}

#[test]
fn standard_files_and_write_errors() {
    Batch::new("stdfiles")
        .bash(
            "dev_std_and_closed",
            r#"echo out > /dev/stdout; echo err 2>/dev/null >> /dev/stderr; cat /dev/stdin < /dev/null; echo in | cat /dev/stdin; echo e2 >> /dev/stderr
echo piped | cat - /dev/stdin; echo x | (read l < /dev/stdin; echo $l); cat < /dev/stdin <<< here
(echo to-closed >&-) ; echo st=$?; (exec >&-; echo closed; echo st2=$? >&2); /bin/echo ext >&-; echo ext=$?; printf x >&-; echo pf=$?
exec 3<&0; exec 0<&-; read v; echo readclosed=$?; cat; echo catclosed=$?; exec 0<&3 3<&-
exec 4>&1; exec 1>&-; echo nostdout; r=$?; exec 1>&4 4>&-; echo r=$r
echo full > /dev/full; echo full=$?; /bin/echo full > /dev/full; echo extfull=$?; printf '%s\n' a > /dev/full; echo pf=$?"#,
        )
        .bash(
            "noclobber_umask_cd",
            r#"set -o noclobber; echo one > nc; echo two > nc; echo nc=$?; echo three >| nc; cat nc; echo four >> nc; cat nc; echo > /dev/null; echo devnull=$?; set +C
ln -s nc ncl; set -C; echo five > ncl; echo ncl=$?; ln -s nowhere dang; echo seven > dang; echo dang=$?; ls nowhere; set +C
umask 022; umask -S; umask 0077; umask -S; umask; umask -S u=rwx,g=rx,o=; umask; umask -p; umask -S g-x; umask; umask 999; echo bad=$?
umask 027; touch f; mkdir dm; stat -c %a f dm; umask 022
mkdir -p real/sub; ln -s real/sub link; cd link; pwd; pwd -P; pwd -L; cd ..; pwd; cd -P link; pwd; cd - >/dev/null; cd -L link/..; pwd; cd "$OLDPWD"
cd -P link/..; pwd; cd ..; echo $PWD; set -P; cd link; pwd; set +P; cd ..; cd link/../..; pwd; cd "$OLDPWD"
cd nowhere; echo cd=$?; touch plain; cd plain; echo cdf=$?; CDPATH=$PWD/real cd sub; pwd"#,
        )
        .bash(
            "getconf_and_argument_sizes",
            r#"getconf ARG_MAX; getconf PAGESIZE; getconf OPEN_MAX; getconf CHILD_MAX >/dev/null && echo cm; getconf LONG_BIT; getconf PATH
big=$(head -c 102400 /dev/zero | tr '\0' x); bash -c "echo \${#0} \$# ok" "$big" a b; bash -c "v='$big'; echo \${#v}"
huge=$(head -c 200000 /dev/zero | tr '\0' y); /bin/echo "$huge" | wc -c; arg=$(head -c 131071 /dev/zero | tr '\0' z); /bin/true "$arg"; echo max1=$?
arg2=$(head -c 131072 /dev/zero | tr '\0' z); /bin/true "$arg2"; echo toolong=$?
many=$(seq 100000); /bin/true $many; echo many=$?; env - "V=$arg" /bin/true; echo env=$?"#,
        )
        .check();
}

/// A tree deeper than PATH_MAX: `mkdir -p` walks it a directory at a time,
/// `cd` goes down step by step, getcwd gives ENAMETOOLONG and the C
/// library and coreutils walk `..` instead. Once through the root overlay,
/// once through a host bind mount.
const DEEP_TREE: &str = r#"c=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
d=a; for i in $(seq 60); do d=$d/$c; done; mkdir -p $d; echo mk=$?; mkdir -p $d; echo again=$?; cd $d 2>/dev/null; echo cd-long=$?
cd a; for i in $(seq 60); do cd $c || break; done; echo depth-ok=$?; echo ${#PWD}; /bin/pwd | wc -c; pwd -P | wc -c; echo x > f; cat f; ls; stat -c %s f
python3 -c 'import os; print(len(os.getcwd()))' 2>&1 | tail -1; cd ../../..; /bin/pwd | wc -c; ls -d $c
cd "$OLDPWD" 2>/dev/null; echo old=$?; cd /; find "$OLDPWD" -name f | wc -l; rm -r "$OLDPWD/a"; echo rm=$?"#;

#[test]
fn deep_trees() {
    Batch::new("deep").bash("deep_overlay", DEEP_TREE).check();
    Batch::new("deep-bind").bind_work().bash("deep_bind_mount", DEEP_TREE).check();
}

/// Unsorted listings (compgen, `ls -U`, os.listdir) of untouched host
/// directories come in the host's order, as through overlayfs.
#[test]
fn listing_order() {
    Batch::new("order")
        .bash(
            "host_directory_order",
            r#"compgen -f -- /etc/host; ls -U -A /etc | head -20 | tr '\n' ' '; echo; ls -U /usr/bin | head -5
find /etc/default -maxdepth 1 | head -5; python3 -c 'import os; print(os.listdir("/etc")[:8])'"#,
        )
        .check();
}

#[test]
fn exec_failures() {
    Batch::new("execfail")
        .bash(
            "shebangs_and_formats",
            r#"printf 'echo no-shebang $0\n' > ns; chmod +x ns; ./ns; echo ns=$?
printf '\x7fELF\x02garbage' > badelf; chmod +x badelf; ./badelf; echo badelf=$?
printf '#!/bin/sh -e -u\necho $0\n' > multi; chmod +x multi; ./multi; echo multi=$?
printf '#!' > bare; chmod +x bare; ./bare; echo bare=$?
printf '#!   ' > blanks; chmod +x blanks; ./blanks; echo blanks=$?
printf '#! \n' > blankline; chmod +x blankline; ./blankline; echo blankline=$?
printf '#!./ns\n' > nested; chmod +x nested; ./nested; echo nested=$?
printf '#!/usr/bin/env bash\necho env-ok "$@"\n' > viaenv; chmod +x viaenv; ./viaenv a; echo env=$?
printf '#!/bin/sh%0300d\n' 0 > longname; chmod +x longname; ./longname; echo longname=$?
printf '#!/bin/echo a%0300d\n' 0 > longarg; chmod +x longarg; ./longarg | wc -c; echo longarg=$?
printf '#!/bin/echo   one  two  \n' > spaced; chmod +x spaced; ./spaced x
printf '#!/bin/ech' > cut; chmod +x cut; ./cut; echo cut=$?
head -c 100 /dev/zero > zeros; chmod +x zeros; ./zeros; echo zeros=$?; (exec ./zeros); echo exz=$?
mkdir dd; read x < dd; echo readdir=$?; cd ns; echo cdfile=$?; . ./dd; echo srcdir=$?; echo hi > dd; echo redir-dir=$?
cat < nosuch; echo $?; : > nosuch/x; echo enotdir=$?; : > ns/x; echo $?"#,
        )
        .bash(
            "text_file_busy",
            r#"cp /bin/true mytrue; exec 5>>mytrue; ./mytrue; echo open-for-write=$?; exec 5>&-; ./mytrue; echo closed=$?
printf '#!/bin/sh\necho script-ran\n' > sc; chmod +x sc; (exec 5>>sc; ./sc; echo script=$?)
cp /bin/sleep mysleep; ./mysleep 1 & sleep 0.3; echo x >> mysleep; echo write-running=$?; : > mysleep; echo trunc-running=$?
truncate -s 0 mysleep; echo truncate=$?; exec 6<mysleep; echo read-running=$?; exec 6<&-; ln mysleep hard; echo x >> hard; echo hardlink=$?
cp mysleep copy; echo copy=$?; rm hard; echo rm=$?; wait; echo x >> mysleep; echo after-exit=$?
cp /bin/sleep s2; (./s2 0.5 & ./s2 0.5 & wait) & sleep 0.3; echo y >> s2; echo two-running=$?; wait; echo y >> s2; echo done=$?
cp /bin/sleep sl; ./sl 0.3 & sleep 0.1; cp /bin/true sl; echo cp-over-running=$?; rm -f sl; cp /bin/true sl; echo recreate=$?; wait
cp /bin/sleep s3; ./s3 0.3 & sleep 0.1; mv s3 s3.old; cp /bin/true s3; ./s3; echo new=$?; wait
gcc -x c -o prog - <<< 'int main(){return 3;}'; ./prog; echo prog=$?; ./prog & gcc -x c -o prog - <<< 'int main(){return 4;}'; echo rebuild=$?; wait; ./prog; echo prog2=$?
cp /bin/sleep sr; ./sr 0.5 & sleep 0.1; exec 5<sr; echo x >> /proc/self/fd/5; echo reopen-w=$?; : > /proc/self/fd/5; echo reopen-trunc=$?; exec 5<&-; wait
cp /bin/true t; exec 6<t; exec 7>>/proc/self/fd/6; ./t; echo exec-while-reopened=$?; exec 7>&- 6<&-; ./t; echo after=$?
cp /bin/cat catcopy; exec 7<>catcopy; ./catcopy < /dev/null; echo rdwr=$?; exec 7>&-
python3 -c '
import os, shutil
shutil.copy("/bin/true", "mf")
fd = os.open("mf", os.O_RDONLY)
pid = os.fork()
if pid == 0:
    os.execv("/proc/self/fd/%d" % fd, ["x"])
print(os.waitpid(pid, 0)[1])
os.close(os.open("mf", os.O_WRONLY)); print("wopen ok")'"#,
        )
        .check();
}
