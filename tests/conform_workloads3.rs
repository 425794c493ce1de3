//! Conformance found by a third sweep of everyday tools (util-linux,
//! procps, psmisc, lsof, coreutils), each family run natively and under
//! `husk do` in fresh directories and compared (tests/common/conform.rs).
//! Only what legitimately differs is normalised: process ids, and the
//! sandbox's own uptime. The tools act only on processes the case itself
//! started (children of its shell, or a uniquely named copy of `sleep`),
//! never on other processes of the host.

mod common;
#[path = "common/conform.rs"]
mod conform;

use common::*;
use conform::{Batch, Case};

/// The shell's report of a job it waited for: "line N: <pid> Killed ...".
const JOB_PID: &str = r"(line \d+): +\d+ ";

/// `lscpu` in every output format shows what it shows natively: threads
/// per core, cores and sockets from `cpuN/topology`, cache sizes and
/// instances from `cpuN/cache/indexM`, the NUMA nodes, the CPU's
/// vulnerabilities; and each of those files reads as the host's.
#[test]
fn lscpu_shows_the_hosts_cpu_shape() {
    // The sandbox shows the CPUs the tests may use: natively lscpu shows
    // every CPU, so the two agree only when the tests are not pinned.
    let n = native(&["sh", "-c", "nproc; nproc --all"]);
    let counts: Vec<String> = stdout_text(&n).lines().map(str::to_string).collect();
    if counts.first() != counts.get(1) {
        eprintln!("skipped: the tests run on {:?} of {:?} CPUs", counts.first(), counts.get(1));
        return;
    }
    Batch::new("lscpu")
        .bash("lscpu_formats", "lscpu; lscpu -e; lscpu -p; lscpu -C; lscpu -J; lscpu -y -p=CPU,CORE,SOCKET,NODE,CACHE")
        // hwloc's view (less PCI devices, which the sandbox has none of).
        .bash(
            "hwloc_topology",
            "lstopo-no-graphics --of console --no-io; hwloc-calc --number-of core all; hwloc-calc --number-of pu all
             hwloc-bind core:0 -- sh -c 'hwloc-bind --get'; hwloc-ls --of xml --no-io | grep -c -e '<object' -e '<cpukind'",
        )
        .bash(
            "topology_and_cache_files",
            "cd /sys/devices/system/cpu
             for f in $(find cpu[0-9]*/cpu_capacity cpu[0-9]*/topology cpu[0-9]*/cache/index* vulnerabilities -maxdepth 1 -type f ! -name uevent | sort)
             do echo \"$f: $(cat $f)\"; done
             ls cpu0/topology; ls cpu0/cache | grep index; ls vulnerabilities | wc -l
             cd ../node && for f in $(ls -d has_* online possible node[0-9]*/cpumap node[0-9]*/cpulist node[0-9]*/distance)
             do echo \"$f: $(cat $f)\"; done; ls -d node[0-9]*",
        )
        .check();
}

/// pgrep, pkill, pidof, killall, pwdx and pstree find and signal the
/// case's own processes (a copy of sleep with a name nothing else has).
#[test]
fn process_finders_act_on_the_sandboxs_processes() {
    let script = "execd() { until [ \"$(cat /proc/$1/comm)\" = $2 ]; do sleep 0.02; done; }
         cp /bin/sleep ./hk3sleep; ./hk3sleep 5 & a=$!; ./hk3sleep 6 & b=$!; execd $a hk3sleep; execd $b hk3sleep
         pgrep -P $$ -x hk3sleep | sort | tr '\\n' ' ' | sed \"s/$a/A/;s/$b/B/\"; echo
         pgrep -c -P $$ hk3sleep; pgrep -l -P $$ -n hk3sleep | sed \"s/^$b /B /\"; pgrep -a -P $$ -o hk3sleep | sed \"s/^$a /A /\"
         pgrep -P $$ -x nosuchthing; echo rc=$?; pgrep -s 0 -x hk3sleep | wc -l; pgrep -g 0 -x hk3sleep | wc -l
         pidof hk3sleep | tr ' ' '\\n' | sort | tr '\\n' ' ' | sed \"s/$a/A/;s/$b/B/\"; echo; pidof -s nosuch; echo rc=$?
         pwdx $a | sed \"s|^$a: $PWD$|A: PWD|\"; pstree -A $$ > tree; sed 's/[0-9]//g' tree
         killall -0 hk3sleep; echo rc=$?; killall -q -0 nosuchthing; echo rc=$?
         pkill -STOP -P $$ -n hk3sleep; echo rc=$?; sleep 0.1; ps -o stat= -p $b
         pkill -CONT -P $$ hk3sleep; pkill -P $$ -x hk3sleep; echo rc=$?; wait $a; echo a=$?; wait $b; echo b=$?
         pkill -P $$ -x hk3sleep; echo rc=$?
         ./hk3sleep 5 & c=$!; execd $c hk3sleep; killall -v -s USR1 hk3sleep 2>&1 | sed \"s/($c)/(C)/\"; wait $c; echo c=$?
         ./hk3sleep 5 & execd $! hk3sleep; killall -w hk3sleep; echo rc=$?; killall hk3sleep; echo rc=$?";
    Batch::new("finders").case(Case::new("pgrep_pkill_killall", script).sub(JOB_PID, "$1: PID ")).check();
}

/// fuser, lsof, lslocks and pmap report the files, locks and mappings of
/// the case's own processes; `fuser -k` signals the users of a file.
/// (Natively lslocks lists the whole host's locks, whose names set its
/// column widths: those are squeezed.)
#[test]
fn file_users_locks_and_maps_are_reported() {
    let users = "execd() { until [ \"$(cat /proc/$1/comm)\" = $2 ]; do sleep 0.02; done; }
         echo data > f; echo other > g; sleep 5 < f & s=$!; execd $s sleep
         fuser f 2>/dev/null | tr -s ' ' '\\n' | grep -v '^$' | sed \"s/^$s\\$/SLEEP/\"
         fuser -v f 2>&1 | grep -v '^Cannot stat' | sed \"s/ $s / S /\" | tr -s ' '
         fuser g 2>/dev/null; echo rc=$?; fuser -a nosuch; echo rc=$?
         fuser -k -TERM f >/dev/null 2>&1; wait $s; echo rc=$?
         exec 3<f; lsof -p $$ -a -d 0,3 -F ftan | sed \"s/^p$$/pP/\"; exec 3<&-
         sleep 5 < g & s=$!; execd $s sleep; lsof -w g | awk 'NR>1{print $1, $4, $5, $9}'; kill $s; wait $s; echo rc=$?";
    let locks = "touch lk; flock lk sleep 1 & until lslocks -u -o PATH | grep -q \"$PWD/lk\"; do sleep 0.02; done
         lslocks -o COMMAND,TYPE,MODE,M,START,END,PATH | grep -e \"$PWD\" -e COMMAND | tr -s ' '; lslocks -u -o TYPE,PATH | grep -c \"$PWD\"; wait
         exec 4>pl; python3 -c 'import fcntl,os; fcntl.lockf(4, fcntl.LOCK_EX, 10, 5); os.system(\"lslocks -o TYPE,MODE,START,END,PATH -p %d\" % os.getpid())'
         pmap -x $$ | sed -n 2p; pmap -d $$ | tail -1 | sed 's/[0-9]\\+/N/g'; pmap -q -A 0,0 $$ | wc -l; pmap 999999; echo rc=$?";
    Batch::new("fileusers").bash("fuser_lsof", users).bash("lslocks_pmap", locks).check();
}

/// `watch -g` ends when the output changes, `watch -e` when the command
/// fails, plain `watch` runs until `timeout` stops it.
#[test]
fn watch_stops_on_change_or_error() {
    let script = "export TERM=dumb
         echo a > f; (sleep 0.5; echo b > f) & timeout 5 watch -t -n0.1 -g cat f >/dev/null 2>&1; echo rc=$?; wait
         timeout 5 watch -t -n0.1 -e false >/dev/null 2>&1; echo rc=$?
         timeout 1 watch -t -n0.1 true >/dev/null 2>&1; echo rc=$?; watch -n0.1 -q 2>/dev/null; echo rc=$?";
    Batch::new("watch").bash("watch_g_e", script).check();
}

/// chrt (the non-real-time policies), taskset, nice, renice, setsid and
/// prlimit read and change what Linux lets root change, and refuse the rest
/// with Linux's messages.
#[test]
fn scheduling_and_limit_tools() {
    let script = "chrt -p $$ | sed \"s/ $$'s/ P's/\"; chrt -o 0 chrt -p 0
         chrt -b 0 bash -c 'chrt -p $$' | sed \"s/[0-9]*'s/P's/\"; chrt -i 0 bash -c 'chrt -p $$' | sed \"s/[0-9]*'s/P's/\"
         chrt -m; chrt -r 0 true; echo rc=$?; chrt -b 5 true; echo rc=$?; chrt -p 999999; echo rc=$?
         chrt -R -b 0 bash -c 'chrt -p $$' | sed \"s/[0-9]*'s/P's/\"
         taskset -p $$ | sed \"s/ $$'s/ P's/\"; taskset -c 0 bash -c 'taskset -cp $$' | sed \"s/[0-9]*'s/P's/\"
         taskset -c 0 nproc; taskset 1 grep Cpus_allowed_list /proc/self/status; taskset -c 99 true 2>&1 | sed 's/pid [0-9]*/pid P/'; echo rc=$?
         nice -n 5 nice; nice -n 50 nice; nice -n -5 nice; renice -n 3 -p $$ | sed \"s/^$$ /P /\"; nice
         setsid -w bash -c 'exit 3'; echo rc=$?; setsid -w bash -c 'ps -o pid=,sid= -p $$ | awk \"{print (\\$1==\\$2)}\"'
         setsid -f true; echo rc=$?; setsid bash -c 'kill -TERM $$'; echo rc=$?
         prlimit --nofile=100:200 bash -c 'ulimit -n; ulimit -Hn'; prlimit -o RESOURCE,SOFT,HARD -n -s
         prlimit --pid $$ --core=0:0; prlimit -c --pid $$ -o SOFT,HARD; prlimit --nofile=300:200 true; echo rc=$?
         prlimit --cpu=1 bash -c 'while :; do :; done'; echo rc=$?
         ionice -c 3 -p $$; ionice -p $$; ionice -t -c 9 true; echo rc=$?";
    Batch::new("sched")
        .case(
            Case::new("chrt_taskset_nice_setsid_prlimit", script).sub(JOB_PID, "$1: PID ").sub(r"pid \d+'s", "pid P's"),
        )
        .check();
}

/// free, uptime, w and vmstat print the layout they print natively; the
/// figures are the sandbox's (its memory, its uptime), so only their shape
/// is compared. `stat -f` names the kernel file systems as Linux does.
#[test]
fn memory_and_load_reports_keep_their_shape() {
    let script = "free | awk '{print $1}'; free -b | awk 'NR==2{print ($2>0), ($3>0), ($7>0), NF}'; free -w -h | head -1
         free -k -s 0.2 -c 2 | grep -c Mem; free -t | awk 'NR==4{print $1}'
         uptime | sed -E 's/^ [0-9:]{8} up .*, +[0-9]+ users?, +load average: [0-9.]+, [0-9.]+, [0-9.]+$/UP USERS LOAD/'
         uptime -s | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}$'; uptime -p | grep -cE '^up [0-9]+ (minute|hour|day|week|year)'
         stat -f -c '%T %s %l' /proc /sys /dev/pts /dev/shm
         w | sed -n 2p; w -h | wc -l; vmstat -s | awk '{$1=\"\"; print}' | head -8; vmstat 1 1 | head -2";
    Batch::new("reports").bash("free_uptime_w_vmstat", script).check();
}

/// ipcmk, ipcs and lsipc in a fresh IPC namespace: the limits, the new
/// objects and their use as Linux reports them.
#[test]
fn ipc_tools_in_a_new_ipc_namespace() {
    let script = "cat > inner.sh <<'END'
ipcs -l; lsipc | cut -c1-60
ipcmk -Q >/dev/null; ipcmk -M 4096 >/dev/null; ipcmk -S 3 >/dev/null
ipcs -q | awk 'NR>3 && NF{print $3, $4, $5, $6}'; ipcs -m | awk 'NR>3 && NF{print $3, $4, $5, $6, $7}'; ipcs -s | awk 'NR>3 && NF{print $3, $4, $5}'
lsipc -q -o PERMS,OWNER,USEDBYTES,MSGS; lsipc -m -o PERMS,SIZE,NATTCH,STATUS; lsipc -s -o PERMS,NSEMS
ipcs -q -i $(ipcs -q | awk 'NR==4{print $2}') | grep -v time | sed 's/key=0x[0-9a-f]*/key=K/'
lsipc -g | awk '{print $1, $NF}'
END
unshare -i bash inner.sh";
    Batch::new("ipc").bash("ipcs_lsipc_ipcmk", script).check();
}

/// findmnt, mountpoint, df and du on a tmpfs mounted (and bound,
/// remounted, unmounted) in a private mount namespace; and df and
/// mountinfo name the sandbox's own /proc and /sys by the device stat
/// gives them (df matches a file to its mount by device number).
#[test]
fn mount_tools_see_mounts_as_linux() {
    let private = "cat > inner.sh <<'END'
mkdir -p m1 m2
mount -t tmpfs -o size=2m,nr_inodes=100,mode=750 t1 m1 || exit 9
mount --bind m1 m2
findmnt -n -o FSTYPE,SOURCE,OPTIONS,SIZE,AVAIL,USE% --target m1 | tr -s ' '
findmnt -n -o TARGET m2 | sed \"s|$PWD|PWD|\"; findmnt -n -o PROPAGATION m1
mountpoint m1; mountpoint -q m2; echo rc=$?; mountpoint -d m1 | grep -c :; mountpoint -x m1; echo rc=$?
df -i m1 | awk 'NR==2{print $1, $2, $3, $4, $5}'; df -h m1 | awk 'NR==2{print $1, $2, $5}'; df --output=fstype,itotal,size,pcent m1
seq 1000 > m1/f; df -k m1 | awk 'NR==2{print $3}'; du -sk m1; stat -f -c '%T %b %f %c %d' m1
mount -o remount,ro m1; touch m1/x; echo rc=$?; findmnt -n -o OPTIONS m1
umount m2; umount m1; mountpoint -q m1; echo rc=$?
mount -t tmpfs -o size=1k t3 m1 && df -k m1 | awk 'NR==2{print $2}'; umount m1
END
unshare -m bash inner.sh";
    let system = "df -T /proc /sys | awk '{print $1, $2, $NF}'
         for m in /proc /sys; do d=$(stat -c '%Hd:%Ld' $m); awk -v m=$m -v d=$d '$5==m {print m, ($3==d)}' /proc/self/mountinfo; done
         findmnt -n -o SOURCE,FSTYPE -T /proc/self";
    Batch::new("mounts").bash("tmpfs_in_private_namespace", private).bash("system_mounts_by_device", system).check();
}
