//! Conformance: Debian's GNU coreutils (dynamic, from the host root) and
//! friends (findutils, tar, gzip, sed, grep, diffutils, util-linux) print
//! under `husk do` exactly what they print natively: same stdout, stderr
//! and status, case by case (see tests/common/conform.rs). Each case runs
//! in a fresh empty directory; times shown are set with `touch -d`, and
//! what legitimately differs (a measured speed, a random name) is
//! replaced on both sides by the case itself.

mod common;
#[path = "common/conform.rs"]
mod conform;

use common::*;
use conform::{Batch, Case};

/// dd's transfer line ends with a time and a speed.
const DD_SPEED: &str = r"copied, [0-9.e-]+ s, [0-9.,]+ [kMG]?B/s";
/// bash reports a job killed by a signal with its pid.
const JOB_PID: &str = r"(line \d+): +\d+ ";

#[test]
fn listing_and_stat() {
    Batch::new("listing")
        .bash(
            "ls_long_file_types",
            "mkdir -p d/sub d/empty; echo hello > d/f; printf '%5000s' x > d/big; ln -s f d/l; ln -s nowhere d/dangling
             mkfifo d/p; ln d/f d/hard; chmod 4755 d/big; chmod 1777 d/empty
             touch -h -d '2020-01-02 03:04:05' d/* d/l d/dangling; touch -d '2019-12-31 23:59:59' d .
             ls -l d; echo; ls -la d; echo; ls -lai d | awk '{$1=\"\"; print}' | sort -u | wc -l
             ls -ln d; ls -ls d; ls -lh d; ls -lS d; ls -lt d; ls -ltr d; ls -1 d; ls -m d; ls -x d
             ls -F d; ls -p d; ls --color=never d; ls -d d d/sub; ls -lL d/l; ls -i d/f d/hard | awk '{print $2}'
             ls -l --time-style=full-iso d/f; ls -l --time-style=+%Y-%m-%d d/f; ls -lR d; ls -R; ls -A d; ls -a d/sub",
        )
        .bash(
            "ls_errors",
            "ls nonexistent; echo rc=$?; ls -l nonexistent d 2>&1; echo rc=$?; mkdir d; chmod 000 d; ls d; echo rc=$?; ls -ld d",
        )
        .bash(
            "stat_formats",
            "echo hello > f; ln -s f l; mkdir d; mkfifo p; touch -d '2021-03-04 05:06:07.123456789' f p d; touch -h -d '2021-03-04 05:06:07' l
             stat -c '%n|%F|%a|%A|%h|%s|%u|%U|%g|%G|%y|%Y|%b|%B|%o|%t|%T' f l d p
             stat -L -c '%n %F %s' l; stat --printf='%n:%s\\n' f d; stat -c '%N' l f
             stat f | grep -v -e Inode -e '^Access: [0-9]' -e Change -e Birth
             stat -c '%d %i' f >/dev/null; stat nonexistent; echo rc=$?
             stat -c '%s %b' /dev/null /dev/zero; stat -c '%F %t %T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
             stat -f -c '%S %l' .",
        )
        .bash(
            "sparse_and_sizes",
            "truncate -s 10k sparse; stat -c '%s %b' sparse; printf x > one; stat -c '%s %b' one
             dd if=/dev/zero of=z bs=4096 count=3 2>/dev/null; stat -c '%s %b' z; du -k z sparse one; du -b z sparse one
             ls -s z sparse one; du -sk . ; du --apparent-size -sk .",
        )
        .bash(
            "access_times_relatime",
            "mkdir d; echo x > f; ln -s f l; touch -d 2020-01-01 f d; touch -h -d 2020-01-01 l; age() { stat -c \"%n %X\" \"$@\" | sed 's/ 1577836800$/ old/;s/ [0-9]*$/ now/'; }
             age f d l; cat f >/dev/null; age f d l; ls d; readlink l; age d l; touch -a -d 2030-01-01 f; cat f >/dev/null; stat -c %X f
             touch -d 2020-01-01 f; head -c0 f; age f; touch -d 2020-01-01 f; cat l >/dev/null; age f l; ls -lu --time-style=+%Y f
             touch -d 2020-01-01 f; find . -amin -1 | sort; touch -a -d '2001-01-01' f; touch -m -d '2002-01-01' f; cat f > /dev/null; age f",
        )
        .bash(
            "dir_link_counts",
            "mkdir -p a/b a/c/d; stat -c '%h %n' a a/b a/c a/c/d .; rmdir a/c/d; stat -c '%h %n' a/c; mv a/b a/c/; stat -c '%h %n' a a/c",
        )
        .check();
}

#[test]
fn copy_move_link() {
    Batch::new("copy")
        .bash(
            "cp_variants",
            "mkdir -p a/b/c; echo x > a/b/c/f; ln -s ../b a/b/c/up; chmod 640 a/b/c/f; touch -d '2001-01-01' a/b/c/f
             cp -a a a2; cp -r a a3; cp --reflink=auto a/b/c/f g; cp -p a/b/c/f p; cp -L a/b/c/up/c/f viaL
             ls -lR --time-style=+%Y a2 a3 | grep -v total; stat -c '%a %y %n' a2/b/c/f p; stat -c '%a %n' a3/b/c/f g viaL; readlink a2/b/c/up a3/b/c/up
             cp a/b/c/f a/b/c/f; echo rc=$?; cp -n g p; echo rc=$?; cp a nodir; echo rc=$?; cp -v g g.v; cp -u g g.v; echo rc=$?
             echo big > src; cp --sparse=always src sp; cmp src sp && echo same; cp -b g p; ls p*",
        )
        .bash(
            "mv_rm",
            "mkdir m1 m2; echo z > m1/z; mv m1/z m2/; mv m2 m1/; find m1 | sort; mv -v m1/m2/z m1/z2; mv m1/m2 m1/m2; echo rc=$?
             mkdir -p t/u/v; touch t/u/v/w t/x; rm -r t; ls; rm t; echo rc=$?; rm -f t; echo rc=$?; mkdir e; rm e; echo rc=$?
             rm -rv m1 | sort; touch a; rm -i a </dev/null; ls; mkdir -p q/r; rmdir q; echo rc=$?; rmdir -p q/r; ls",
        )
        .case(
            // `ls -la` leaves out `..`: natively that is the host's /dev/shm,
            // which other tests running at the same time use too.
            Case::new(
                "across_file_systems",
                "mkdir -p d/sub; echo x > d/f; ln -s f d/l; touch -d 2001-01-01 d/f; s=/dev/shm/conform-$$; mv d $s; ls -l $s | cut -c1-10
                 stat -c '%n %Y' $s/f | sed \"s|$s|S|\"; mv $s d2; find d2 | sort; mv d2/f $s.f; mv $s.f ./g; cat g; stat -c %Y g
                 ln g $s.x; echo rc=$?; cp -a d2 $s; diff -r d2 $s && echo same; rm -rf $s; stat -f -c %T /dev/shm
                 exec 3>$s.fd; stat -c %d $s.fd > a; stat -L -c %d /proc/self/fd/3 > b; cmp a b && echo same-dev; rm $s.fd
                 mkdir $s; stat -c '%s %b' $s; touch $s/a; mkdir $s/b; ln -s a $s/c; stat -c '%s %b' $s $s/b $s/c; rm $s/a; stat -c %s $s
                 ls -la $s | grep -v ' [.][.]$' | sed 's/ [A-Z][a-z][a-z] .* / T /' | tr -s ' '; rm -r $s",
            )
            .sub(r"/dev/shm/conform-\d+", "/dev/shm/conform-PID"),
        )
        .bash(
            "ln_readlink_realpath",
            "mkdir -p a/b/c; echo x > a/b/c/f; ln -s ../b a/b/c/up; ln -s target s1; ln -sf other s1; readlink s1; ln -s x s1; echo rc=$?
             ln a/b/c/f hard; stat -c %h a/b/c/f; ln -f a/b/c/f hard; ln -sr a/b/c/f rel; readlink rel; ln -sfn a/b dirlink; ls -l dirlink | cut -c1-10
             mkdir t1 t2; ln -sfn t1 dl; ln -sfn t2 dl; echo rc=$?; readlink dl; ln -sf ../t1 dl; readlink dl t2/t1
             readlink -f a/b/c/up/c/f; readlink -e nonexist; echo rc=$?; readlink -m nonexist/../x | sed \"s|$PWD|PWD|\"
             realpath a/b/c/up/../c | sed \"s|$PWD|PWD|\"; realpath -m nonexist/../x | sed \"s|$PWD|PWD|\"; realpath --relative-to=a/b a/b/c/f
             realpath -s a/b/c/up; realpath nonexist/x; echo rc=$?; ln -s loop loop; readlink -f loop; echo rc=$?; cat loop; echo rc=$?
             cd a/b/c/up; pwd | sed \"s|$OLDPWD|OLD|\"; pwd -P | sed \"s|${OLDPWD%/a/b/c}|TOP|\"; /bin/pwd | sed \"s|${OLDPWD%/a/b/c}|TOP|\"",
        )
        .bash(
            "renamed_and_removed_working_dirs",
            "top=$PWD; mkdir e; cd e; mv ../e ../e2; pwd | sed \"s|$top|TOP|\"; /bin/pwd | sed \"s|$top|TOP|\"; mkdir ../e; touch here; ls ../e2 ../e
             cd $top; mkdir -p p/q; cd p/q; mv $top/p $top/p2; /bin/pwd | sed \"s|$top|TOP|\"; cd ..; /bin/pwd | sed \"s|$top|TOP|\"; ls
             cd $top; mkdir d; cd d; rmdir ../d; pwd | sed \"s|$top|TOP|\"; touch x; echo rc=$?; mkdir y; echo rc=$?; cd $top; ls",
        )
        .bash(
            "unlinked_open_files",
            "echo data > f; exec 3<f; readlink /proc/self/fd/3 | sed \"s|$PWD|PWD|\"; rm f; cat <&3; readlink /proc/self/fd/3 | sed \"s|$PWD|PWD|\"
             ls -l /proc/$$/fd/3 | sed \"s|.*-> ||;s|$PWD|PWD|\"; cat /proc/self/fd/3; stat -L -c %h /dev/fd/3; echo new > f
             readlink /proc/self/fd/3 | sed \"s|$PWD|PWD|\"; cat f; exec 3<&-; ls",
        )
        .bash(
            "mkdir_mktemp_touch",
            "mkdir -p x/y/z; mkdir x; echo rc=$?; mkdir -m 711 m; stat -c %a m; mkdir -pv p/q | sed \"s|$PWD|PWD|\"
             t=$(mktemp); [ -f \"$t\" ] && stat -c %a \"$t\"; rm \"$t\"; d=$(mktemp -d -p . XXXXXX); stat -c '%a %F' \"$d\"
             mktemp -u -p . foo.XXXX | sed 's/foo\\.[A-Za-z0-9]*/NAME/'; mktemp --suffix=.txt -p . | sed 's/tmp\\.[A-Za-z0-9]*/NAME/'
             touch -d '2011-11-11 11:11:11' g; touch -r g g2; stat -c '%y' g g2; touch -m -d '2012-01-01' g; touch -a -d '2013-01-01' g
             stat -c '%x|%y' g; touch -t 202001020304.05 h; stat -c %y h; touch -c nofile; ls nofile; echo rc=$?
             TZ=Asia/Tokyo touch -d '2020-05-05 12:00' tz; TZ=UTC stat -c %y tz; touch -d @1234567890 at; stat -c %Y at",
        )
        .bash(
            "permissions_as_nobody",
            "mkdir -p priv/sub x/y sticky; echo secret > priv/sub/f; chmod 700 priv; chmod 644 priv/sub/f; touch ro; chmod 444 ro
             chmod 1777 sticky; touch sticky/rootfile; chmod 666 sticky/rootfile; echo hi > x/y/z; chmod 711 x; chmod 600 x/y/z
             U='setpriv --reuid=65534 --regid=65534 --clear-groups'
             $U cat priv/sub/f; echo rc=$?; $U ls priv; echo rc=$?; $U stat -c %s priv/sub/f; echo rc=$?; $U sh -c 'echo x >> ro'; echo rc=$?
             $U rm -f sticky/rootfile; echo rc=$?; $U touch sticky/mine; $U rm sticky/mine; echo rc=$?; $U sh -c 'cd priv'; echo rc=$?
             $U test -r ro && echo readable; $U test -w ro || echo notwritable; $U cat /root/.bashrc; echo rc=$?; $U mkdir /newdir; echo rc=$?
             $U touch -d 2000-01-01 ro; echo rc=$?; $U chmod 777 ro; echo rc=$?; $U ls x; echo rc=$?; $U ls x/y; $U cat x/y/z; echo rc=$?
             chmod 644 x/y/z; $U cat x/y/z; $U cat x/../x/y/z; chmod 600 x; $U cat x/y/z; $U ls -d x/.; echo rc=$?; $U ./priv/sub/f; echo rc=$?
             ln -s priv/sub/f lnk; $U cat lnk; echo rc=$?; $U sh -c 'cd x/y'; echo rc=$?; $U test -e priv/sub/f; echo e=$?; $U find priv; echo rc=$?
             $U mv priv/sub/f here; echo rc=$?; $U ln -s priv/sub/f sl2; echo rc=$?; $U touch priv/new; echo rc=$?",
        )
        .bash(
            "chmod_chown_install",
            "mkdir -p a/b; touch a/b/f a/g; chmod -R go-rx a; ls -lR a | cut -c1-10; chmod u=rwx,g=rx,o= a/g; stat -c %a a/g
             chmod 2755 a/b; stat -c %A a/b; chmod +t a; stat -c %A a; chmod 9999 a; echo rc=$?; chmod -v 644 a/g
             chown -R 12:34 a; stat -c '%u %g %n' a a/b a/b/f; ln -s a/g sl; chown -h 5:6 sl; stat -c '%u %g' sl a/g
             chown nobody:nogroup a/g; stat -c '%U %G' a/g; chgrp 7 a/g; stat -c %g a/g; chown 1:1 missing; echo rc=$?
             echo data > src; install -m 640 -D src inst/dir/g; stat -c '%a %s' inst/dir/g; install -d -m 700 id; stat -c %a id
             install -o 3 -g 4 src o; stat -c '%u %g %a' o; install -v src v.txt | sed \"s|$PWD|PWD|\"",
        )
        .check();
}

#[test]
fn data_tools() {
    Batch::new("data")
        .case(
            Case::new(
                "dd_options",
                "dd if=/dev/zero of=zz bs=1k count=3; printf abcdefgh > q; dd if=q of=zz bs=2 skip=1 seek=1 count=2 conv=notrunc
                 od -c zz | head -3; stat -c %s zz; dd if=q of=t bs=3 seek=2; od -c t; dd if=q bs=1 count=3 status=none; echo
                 dd if=q of=u conv=ucase status=noxfer; cat u; echo; dd if=/dev/urandom bs=1k count=5 iflag=fullblock status=none | wc -c
                 dd if=nonexist; echo rc=$?; dd bs=0; echo rc=$?; dd if=q ibs=3 obs=5 of=v; od -c v",
            )
            .sub(DD_SPEED, "copied, T s, S"),
        )
        .bash(
            "truncate_split_csplit",
            "dd if=/dev/zero of=zz bs=1k count=3 status=none; truncate -s 10k zz; stat -c %s zz; truncate -s -5000 zz; stat -c %s zz
             truncate -s +1 zz; stat -c %s zz; truncate -s '<2k' zz; stat -c %s zz; truncate -c -s 5 none; ls none; echo rc=$?
             seq 100 > n; split -l 30 n pre; wc -l pre*; split -b 50 -d n num; ls num*; wc -c num* | tail -1; split -n 3 n three; wc -c three*
             csplit -s n /50/ {1}; wc -l xx*; csplit n 10 20; csplit -f pp -n 3 n '/9$/' '{*}' | tail -2; ls pp*",
        )
        .bash(
            "sort_uniq_wc",
            "seq 1 50000 | sort -R --random-source=/dev/zero | sort -n | tail -2; printf 'b 2\\na 10\\nc 1\\na 10\\n' > k
             sort -k2 -n k; sort -u k; sort -r k; sort -t' ' -k1,1 -k2,2nr k; uniq k; uniq -c k; sort k | uniq -d; sort k | uniq -u
             wc k; wc -lwc < k; wc -L k; wc -m k; printf 'no newline' | wc -l
             seq 200000 | sort -r | sort -n | sha256sum; seq 100000 | shuf --random-source=/dev/zero | sort -nu | wc -l
             printf '3\\n1\\n2\\n' | sort -c; echo rc=$?; sort nonexistent; echo rc=$?
             printf '1.5K\\n2M\\n100\\n' | sort -h; printf 'v1.10\\nv1.9\\n' | sort -V; printf 'b\\0a\\0' | sort -z | tr '\\0' ' '; echo",
        )
        .bash(
            "head_tail_tee",
            "seq 20 > k; head -c 5 k; head -n 2 k; head -n -17 k; tail -c 7 k; tail -n +18 k; tail -n 2 k k; head -q -n1 k k
             echo abc | tee t1 t2 >/dev/null; cat t1 t2; echo more | tee -a t1; cat t1; seq 3 | tee /dev/stderr | wc -l
             (sleep 0.5; echo appended >> k) & timeout 2 tail -n 1 -f k; echo rc=$?; wait
             (sleep 0.5; echo again >> k) & timeout 2 tail -n 0 -F k; echo rc=$?; wait
             tail -c +3 k | head -2; head nonexist; echo rc=$?",
        )
        .bash(
            "cut_paste_tr_join",
            "printf 'a:b:c\\nd:e:f\\n' > c; cut -d: -f2 c; cut -d: -f1,3 c; cut -c2-4 c; cut -d: --complement -f2 c; cut -b1 c
             paste c c; paste -d, -s c; paste - - < c; echo hello | tr a-z A-Z; echo hello | tr -d l; echo aabbcc | tr -s ab
             echo abc | tr -c a X; echo; echo 'x  y' | tr -s ' ' '\\n'; printf '1 a\\n2 b\\n' > j1; printf '1 x\\n3 y\\n' > j2; join j1 j2
             join -a1 j1 j2; comm <(printf 'a\\nb\\n') <(printf 'b\\nc\\n'); nl c; fold -w 3 c; fmt -w 10 c; expand <(printf 'a\\tb\\n')
             printf 'a b\\n' | column -t; rev c; tac c; printf 'x\\ny\\n' | pr -2 -t",
        )
        .bash(
            "od_hexdump_sums_base64",
            "printf '\\x00\\x01ab\\n\\xff' > b; od -A x -t x1z b; od -c b; od -t d2 b; od -An -tx4 b; hexdump -C b; hexdump b; xxd b
             md5sum b; sha1sum b; sha256sum b; sha512sum b | cut -c1-40; b2sum b | cut -c1-20; cksum b; sum b
             base64 b; base64 b | base64 -d | cmp - b && echo same; base32 b; echo '!!!' | base64 -d; echo rc=$?
             sha256sum b > sums; sha256sum -c sums; echo x >> b; sha256sum -c sums; echo rc=$?",
        )
        .bash(
            "seq_yes_printf_factor",
            "seq -s, 1 5; seq 1 0.5 3; seq -w 8 11; seq 5 -2 0; seq -f '%03g' 3; yes | head -3; yes abc | head -c 11; echo
             printf '%5.2f|%-4s|%x|%o|%e|%c|%%|%b\\n' 3.14159 ab 255 8 12345.678 xyz 'a\\tb'; printf '%s\\n' a b c; printf '%d\\n' 0x10 077 \"'A\"
             printf '%d\\n' abc; echo rc=$?; factor 360 97; numfmt --to=iec 123456789; expr 3 \\* 7; expr length abc; expr 5 / 0; echo rc=$?
             expr abc : 'a\\(.\\)'; test 3 -lt 4 && echo lt; [ -z '' ] && echo empty; [ abc = abd ]; echo rc=$?; [ 1 -eq ]; echo rc=$?",
        )
        // tail follows with inotify on a local file system (tmpfs): lines
        // appended later show at once, where polling would wait a second.
        // (It polls on overlayfs, natively too.)
        .bash(
            "tail_follow_tmpfs",
            "d=$(mktemp -d /dev/shm/follow.XXXXXX); echo first > $d/log; (sleep 0.3; echo second >> $d/log; sleep 0.2; echo third >> $d/log) &
             timeout 0.8 tail -f $d/log; echo rc=$?; wait; rm -r $d",
        )
        .check();
}

#[test]
fn system_info() {
    Batch::new("sysinfo")
        .bash(
            "date_tz",
            "TZ=America/New_York date -d '2020-06-01 12:00 UTC'; TZ=UTC date -d @0; date -u -d '2000-01-01' +%s
             TZ=Europe/Paris date -d '2021-03-28 01:30 UTC' '+%F %T %Z %z'; date -d 'tomorrow' >/dev/null && echo ok; date -d garbage; echo rc=$?
             date -u -d '2024-02-29 +1 year' +%F; TZ=Asia/Kolkata date -r /dev/null >/dev/null && echo ok; date -I -d 2020-01-01
             date -R -u -d @86400; date +%s >/dev/null; TZ=:/usr/share/zoneinfo/Australia/Sydney date -d @1700000000",
        )
        .bash(
            "env_and_ids",
            "env -i A=1 B=2 env; env -i sh -c 'echo $PATH'; env -u HOME sh -c 'echo ${HOME-unset}'; env -i /usr/bin/env
             id; id -u; id -g; id -G; id -un; id -gn; whoami; groups; logname; echo rc=$?; printenv PATH; printenv NOPE; echo rc=$?
             id nobody; id 12345; echo rc=$?; getent passwd root; getent group root; tty; echo rc=$?",
        )
        .case(
            Case::new(
                "uname_nproc_shape",
                "nproc; nproc --all; getconf _NPROCESSORS_ONLN; getconf PAGESIZE; getconf ARG_MAX; getconf OPEN_MAX; getconf CLK_TCK
                 uname -s; uname -m; uname -o; uname -r; uname -p; uname -i; uname -a | wc -w; arch; getconf LONG_BIT",
            ),
        )
        .bash(
            "proc_limits_and_ps_columns",
            "cat /proc/self/limits; ulimit -n 77; ulimit -Sc 0; grep -e files -e core /proc/$$/limits; prlimit --pid $$ | head -3
             ps -o pid,ppid,pgid,comm | head -1; cat /proc/sys/kernel/pid_max >/dev/null && echo ok",
        )
        .case(
            Case::new(
                "df_du",
                "mkdir -p x/y; seq 1000 > x/y/f; du -a x | sort -k2; du -sh x; du -b x/y/f; du -c x x/y | sort -k2; du -s --inodes x
                 df . >/dev/null; echo rc=$?; df -h /nonexistent; echo rc=$?; df -P . | head -1; df --output=target . | head -1",
            ),
        )
        .check();
}

#[test]
fn find_xargs_tar_gzip() {
    Batch::new("find")
        .bash(
            "find_options",
            "mkdir -p x/y/z e; seq 1000 > x/y/f; echo a > x/g; ln -s y x/ly; touch -d '2000-01-01' old; touch -d '2030-01-01' new
             find . -newer old -type f | sort; find . -name 'f*' -print0 | xargs -0 wc -l; find . -type d -exec echo d {} \\; | sort
             find x -mindepth 1 -printf '%y %d %p %s\\n' | sort; find . -empty | sort; find x -maxdepth 1 | sort; find -L x -type d | sort
             find x -name g -delete; ls x; find . -type f -newer new; find nonexist; echo rc=$?; find x -path '*y*' -prune -o -print | sort
             find . -type f -exec sh -c 'echo $#' _ {} + ; find x -size +1k; find x -perm -u+w -type f | sort; find x -links 1 -type f | sort
             find . -regex '.*/[fg]' | sort; find x -type l -lname y; find . -newermt '2010-01-01' -name old; echo end",
        )
        .bash(
            "xargs_options",
            "seq 10 | xargs echo; seq 10 | xargs -n 3 echo; seq 5 | xargs -I{} echo item {}; printf 'a b\\0c\\0' | xargs -0 -n1 echo
             echo | xargs -r echo nothing; seq 3 | xargs -P 2 -n 1 sh -c 'echo $0' | sort; seq 3 | xargs false; echo rc=$?
             echo a | xargs nonexistentcmd; echo rc=$?; seq 100 | xargs -s 40 echo | wc -l",
        )
        .bash(
            "tar_gzip",
            "mkdir -p x/y; seq 1000 > x/y/f; echo hi > x/g; ln -s g x/l; chmod 600 x/g; touch -h -d '2015-05-05' x/g x/l x/y/f x/y x
             tar --sort=name -czf a.tgz x; tar tzf a.tgz; tar tvzf a.tgz --numeric-owner | awk '{print $1, $2, $3, $6}'
             mkdir u; tar xzf a.tgz -C u; diff -r x u/x && echo same; ls -lR u --time-style=+%F | grep -v total
             tar --sort=name -cf - x | tar -tf - | wc -l; tar --sort=name -cjf a.tbz x; tar tjf a.tbz | wc -l; tar --sort=name -cJf a.txz x; tar tJf a.txz | wc -l
             gzip -k x/y/f; gunzip -c x/y/f.gz | tail -1; gzip -l x/y/f.gz | tail -1; gzip -t x/y/f.gz && echo ok; zcat x/y/f.gz | wc -l
             gzip x/g; ls x; gunzip x/g.gz; cat x/g; echo notgz > n.gz; gunzip n.gz; echo rc=$?; gzip -9 -c x/y/f | gzip -d | wc -l
             bzip2 -k x/y/f; bzcat x/y/f.bz2 | wc -l; xz -k x/y/f; xzcat x/y/f.xz | wc -l; tar xf nonexist.tar; echo rc=$?",
        )
        .check();
}

#[test]
fn text_processing() {
    Batch::new("text")
        .bash(
            "sed_awk_grep",
            "echo hello > s; sed -i s/hello/bye/ s; cat s; sed -i.bak 's/bye/ciao/' s; cat s s.bak; seq 10 | sed -n '3,5p'; seq 5 | sed '2d;4q'
             seq 3 | sed 'a\\\\\nafter'; printf 'a b\\n' | sed -E 's/(a) (b)/\\2 \\1/'; seq 1000 > n; busybox awk '{s+=$1} END {print s, NR}' n
             awk -F: '{print $1}' /etc/passwd | head -1; awk 'BEGIN{printf \"%.3f\\n\", atan2(0,-1)}'; awk 'BEGIN{print length(\"abc\"), substr(\"hello\",2,3)}'
             grep -r 999 . | sort; grep -rl 99 . | sort; grep -c 1 n; grep -n '^5$' n; grep -v '[0-8]' n | head -3; grep -E '^(12|13)$' n
             grep -w 10 n; grep -i HELLO <<< hello; grep -q nope n; echo rc=$?; grep x nonexist; echo rc=$?; grep -o '1.1' n | head -2
             grep -A1 -B1 '^500$' n; grep -F -x 7 n; grep -rn --include='*.bak' bye .; seq 3 | grep -z 2 | tr '\\0' '|'; echo",
        )
        .bash(
            "diff_cmp_patch",
            "seq 10 > a; seq 10 | sed 's/5/five/' > b; diff a b; echo rc=$?; diff -u a b | tail -n +3; diff -q a b; echo rc=$?; diff a a; echo rc=$?
             cmp a b; echo rc=$?; cmp -l a b | head -2; cmp a nonexist; echo rc=$?; diff <(echo a) <(echo b); echo rc=$?
             diff -u a b > p; patch a < p; cmp a b && echo patched; mkdir d1 d2; echo x > d1/f; diff -r d1 d2; echo rc=$?; diff -y -W 20 <(seq 2) <(seq 3)",
        )
        .check();
}

#[test]
fn process_tools() {
    Batch::new("proctools")
        .case(Case::new(
            "timeout_nice_nohup",
            "timeout 0.2 sleep 5; echo rc=$?; timeout -s KILL 0.2 sleep 5; echo rc=$?; timeout 5 true; echo rc=$?; timeout 1 false; echo rc=$?
             timeout --preserve-status 0.2 sleep 5; echo rc=$?; timeout -k 0.1 0.1 sh -c 'trap \"\" TERM; sleep 3'; echo rc=$?
             nice; nice -n 5 nice; nice -n 5 nice -n 3 nice; nice -n -5 nice; renice -n 2 -p $$ >/dev/null; nice
             nohup echo hi; cat nohup.out; nohup sh -c 'echo to stderr >&2' 2>&1; ls nohup.out",
        )
        .sub(JOB_PID, "$1: PID "))
        .case(Case::new(
            "flock_stdbuf_sleep_kill",
            "flock lk -c 'echo locked'; flock -n lk -c 'echo nb'; (flock lk sleep 0.5 &) ; sleep 0.1; flock -n lk true; echo rc=$?
             flock -w 2 lk echo waited; exec 9>lk2; flock 9; echo have; flock -u 9; stdbuf -oL echo buf; stdbuf -o0 seq 3 | cat
             sleep 10 & kill $!; wait $!; echo rc=$?; sleep 10 & kill -9 $!; wait $!; echo rc=$?; kill -0 $$; echo rc=$?
             kill -s USR1 $$ 2>/dev/null; echo never; kill 999999; echo rc=$?; sleep 0.1; sleep 0.05s; sleep 1e-2; echo slept",
        )
        .sub(JOB_PID, "$1: PID "))
        .case(Case::new(
            "memory_rlimits",
            "(ulimit -v 10000; ls >/dev/null; echo rc=$?) 2>&1; (ulimit -v 5000; ls >/dev/null; echo rc=$?) 2>&1 | sed 's/: [^:]*: cannot/: X: cannot/'
             (ulimit -v 200000; head -c 300000000 /dev/zero | sort >/dev/null; echo rc=$?) 2>&1; (ulimit -d 1000; seq 1000000 | sort -n > /dev/null; echo rc=$?) 2>&1
             (ulimit -v 300000; bash -c 'x=$(head -c 200000000 /dev/zero | tr \"\\0\" a); echo ${#x}'; echo rc=$?) 2>&1
             (ulimit -d 2000; timeout 10 awk 'BEGIN{while(1) a[i++]=i}'; echo rc=$?) 2>&1 | tail -2
             for v in 1000 2000 2500 3000 8000; do (ulimit -v $v; /bin/true; echo $v=$?) 2>&1 | sed 's/: [^:]*: cannot/: X: cannot/'; done; (ulimit -v 20000; busybox sh -c 'echo bb')
             (ulimit -d 100; bash -c 'echo d'); echo rc=$?",
        ).sub(JOB_PID, "$1: PID "))
        .bash(
            "ionice_and_dmesg",
            "ionice; ionice -p $$; ionice -c 2 -n 5 -p $$; ionice -p $$; ionice -c 3 sh -c ionice; ionice -c 2 -n 9 ionice; echo rc=$?
             ionice -c 1 -n 2 ionice; ionice -c 2 -n 7 setpriv --reuid=65534 ionice -c 1 -n 1 true; echo rc=$?; ionice -u 0
             ionice -c 2 -n 3 bash -c 'ionice; ionice -c 2 -n 1 -p $$; ionice'; ionice -c 0 -n 1 true; echo rc=$?; ionice -c 7 true; echo rc=$?
             ionice -p 999999; echo rc=$?; dmesg >/dev/null; echo rc=$?; setpriv --reuid=65534 dmesg -S >/dev/null; echo rc=$?",
        )
        .bash(
            "misc_small",
            "basename /a/b/c.txt .txt; basename -a /x/y /z; dirname /a/b/c; dirname c; dirname /; sync; echo synced; sync -f .; echo rc=$?
             true; echo $?; false; echo $?; mkfifo ff; (echo via fifo > ff &); cat < ff; exec 3<>ff; echo x >&3; read -u 3 l; echo $l
             tty -s; echo rc=$?; mknod nod p; stat -c %F nod; mknod c0 c 1 3; stat -c '%F %t %T' c0; echo x > c0; cat c0; echo rc=$?
             link ff ff2; stat -c %h ff; unlink ff2; printf 'a\\nb\\n' | tsort; echo 'x y' | tsort; pathchk -p 'ok'; echo rc=$?
             mkdir -p d; shred -u d 2>&1 | head -1; echo abc > s; shred -n1 -z s; od -An -c s | head -1; dircolors -b | head -1 | cut -c1-9",
        )
        .check();
}

#[test]
fn busybox_applets() {
    Batch::new("busybox")
        .bb(
            "bb_files",
            "mkdir -p d/sub; echo hello > d/f; ln -s f d/l; touch -d '2020-01-02 03:04:05' d/f d/sub d
             ls -l d | sed 's/ \\+/ /g; s/[A-Z][a-z][a-z] [0-9]* [0-9:]* l ->/TIME l ->/'; ls -la d/sub | wc -l; stat -c '%n %F %a %s %h' d/f d/l d/sub; cp -a d e; mv e g; find g | sort
             ln -sf x d/l; readlink d/l; readlink -f d/f | sed \"s|$PWD|PWD|\"; realpath d | sed \"s|$PWD|PWD|\"; rm -r g; ls
             du -s d; touch -r d/f t; stat -c %Y t d/f; chmod -R 700 d; stat -c %a d/sub; install -m 600 d/f i; stat -c %a i",
        )
        .bb(
            "bb_text",
            "seq 20 | sort -rn | head -3; printf 'b\\na\\nb\\n' | sort | uniq -c; echo hello | tr a-z A-Z; seq 5 | tail -2; seq 5 | wc -l
             printf 'a:b\\n' | cut -d: -f2; seq 10 | awk '{s+=$1} END{print s}'; seq 10 | sed -n 2p; seq 10 | grep -c 1; echo aGVsbG8= | base64 -d; echo
             printf abc | od -c; printf abc | hexdump -C; printf abc | md5sum; printf abc | sha256sum; expr 6 \\* 7; printf '%05d\\n' 42
             date -u -d @0; TZ=UTC date -d '2000-01-01 00:00:00' +%s; env -i A=1 env; id; nproc; uname -s",
        )
        // `2>/dev/null` on the wait: see conform_shell's busybox_shell.
        .bb(
            "bb_archive_dd",
            "mkdir x; seq 100 > x/f; tar czf a.tgz x; tar tzf a.tgz; mkdir o; tar xzf a.tgz -C o; cmp x/f o/x/f && echo same
             gzip -c x/f | gunzip | wc -l; dd if=/dev/zero of=z bs=512 count=3 2>&1; stat -c %s z; truncate -s 100 z; stat -c %s z
             mkfifo p; (echo through > p &); cat p; timeout 1 sleep 3; echo rc=$?; sleep 5 & kill $!; wait $! 2>/dev/null; echo rc=$?",
        )
        .check();
}

/// The same kind of file work in a directory bind-mounted read-write from
/// the host (`--mount`), where the sentry works on host files directly.
#[test]
fn file_operations_in_a_bind_mount() {
    Batch::new("bind")
        .bind_work()
        .bash(
            "bind_listing_and_stat",
            "mkdir -p d/sub d/empty; echo hello > d/f; printf '%5000s' x > d/big; ln -s f d/l; mkfifo d/p; ln d/f d/hard
             chmod 4755 d/big; chmod 1777 d/empty; touch -h -d '2020-01-02 03:04:05' d/* d/l; touch -d '2019-12-31 23:59:59' d .
             ls -la d; ls -lai d | awk '{$1=\"\"; print}' | sort -u | wc -l; stat -c '%n|%F|%a|%h|%s|%u|%g|%y|%b' d/* d
             stat -f -c %T . >/dev/null; echo x > d/f; cat d/hard; truncate -s 10k d/big; stat -c '%s %b' d/big",
        )
        .bash(
            "bind_copy_move",
            "mkdir -p d/sub; echo hi > d/f; ln -s f d/l; mkfifo d/p; touch -d 2001-01-01 d/f; cp -a d d2; cp -r d d3; ls -lR --time-style=+%Y d2 | grep -v total
             mv d2 d4; mv d4/f d4/g; rm -r d3; ls; ln -sf other s1; readlink s1; readlink -f d/l | sed \"s|$PWD|P|\"; chown -R 12:34 d4
             chmod -R go-rx d4; stat -c '%u %g %a' d4 d4/g; touch -d @1234567890 t; stat -c %Y t; mv d4 /dev/shm/conform-$$; mv /dev/shm/conform-$$ d5
             find d5 | sort; tar czf a.tgz d; mkdir u; tar xzf a.tgz -C u; diff -r d u/d && echo same; sed -i s/hi/bye/ d/f; cat d/f",
        )
        .bash(
            "bind_fifos_fds_and_dirs",
            "mkfifo ff; (echo via > ff &); cat ff; seq 3 > ff & cat ff; wait; exec 4>lk; flock 4 && echo locked; exec 4>&-
             echo data > f; exec 3<f; rm f; cat <&3; readlink /proc/self/fd/3 | sed \"s|$PWD|P|\"; exec 3<&-
             mkdir e; cd e; mv ../e ../e2; /bin/pwd | sed 's|.*/||'; cd ..; dd if=/dev/zero of=z bs=4096 count=3 status=none; du -k z
             mkdir -p x/y; chmod 700 x; setpriv --reuid=65534 --regid=65534 --clear-groups ls x; echo rc=$?",
        )
        .check();
}

/// The caller's stdout and stderr are host files (`husk do CMD > out 2>
/// err`): tools that copy with copy_file_range or sendfile, truncate, or
/// reopen /dev/stdout (a new description of the file, offset 0) write
/// what they write natively.
#[test]
fn stdio_redirected_to_host_files() {
    let dir = ScratchDir::new("conform-stdio");
    dir.write("in", b"one\ntwo\nthree\n", 0o644);
    let commands = [
        "cat in; cat in in",
        "dd if=in status=none; echo after",
        "echo first; tee /dev/stderr < in; echo last >&2",
        "echo gone; sort -r -o /dev/stdout in",
        "echo kept; cp in /dev/stdout",
        "echo x; sed -n 2p in >> /dev/stdout; cat /dev/stdout",
        "head -c 3 in >&2; cat in >&2; echo end; exec 3</dev/stdout; echo rc=$?",
    ];
    let husk = common::husk_bin();
    let q = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let outer = |runner: &str| {
        let mut s = String::new();
        for c in commands {
            s.push_str(&format!(
                "{runner} /bin/bash -c {} > out 2> err; echo \"== $?\"; cat out; echo --; cat err; rm out err\n",
                q(c)
            ));
        }
        s
    };
    let n = Run::native(&["/bin/sh", "-c", &outer("")]).cwd(dir.path()).run();
    let h = Run::native(&["/bin/sh", "-c", &outer(&format!("{} do --", q(&husk)))]).cwd(dir.path()).run();
    assert_same_as_native(&n, &h);
    assert_exit(&n, 0);
}
